import { Command, CommandResult } from './command';
import { appCommand, ClusterState, E2eContext, exampleEnv, isNotFound, kubectlCommand, kubectlJson, stackDir } from './context';
import { CHECK_NAMESPACE, CLOUD_CHECK_JOB, CONNECTIVITY_JOB, EXPECTED_NODES_ENV, LOAD_BALANCER_SERVICE_NAME, VOLUME_CLAIM_NAME } from './names';
import { failureLine, formatDuration, RetryPolicy, runWithRetry, StepError, waitFor } from './retry';

/**
 * The deploys: the first one (whose last step is the connectivity check: the deploy fails when the
 * check's Job fails), the redeploy with the cloud check, and what the runner checks after each.
 */

/** AWS and registry errors of the moment in a deploy's error lines, which a second deploy gets past. */
export const DEPLOY_TRANSIENT =
  /RequestLimitExceeded|Throttling|TooManyRequests|Rate exceeded|ServiceUnavailable|InternalError|InternalFailure|connection reset by peer|TLS handshake timeout|could not query provider registry|Failed to query available provider packages|no such host/i;
/** A failed check must fail the run: a deploy whose errors name a check's Job is never retried. */
const CHECK_FAILURE = /pod-network-check|cloud-check|scale-up-check|connectivity-check/;

/** The part of a deploy's output from its first error on. */
function errorPart(result: CommandResult): string {
  const text = `${result.stdout}\n${result.stderr}`;
  const at = text.search(/Error:/);
  return at < 0 ? '' : text.slice(at);
}

export const DEPLOY_RETRY: RetryPolicy = {
  attempts: 2,
  delayMs: 60_000,
  retryable: (result) => {
    const errors = errorPart(result);
    return DEPLOY_TRANSIENT.test(errors) && !CHECK_FAILURE.test(errors);
  },
};

/**
 * Runs `cdktf deploy` or `destroy`; a failure names the first error Terraform printed (cdktf's own
 * last line only says that Terraform failed).
 */
export async function runCdktf(ctx: E2eContext, command: Command, policy: RetryPolicy, what: string): Promise<void> {
  try {
    await runWithRetry(ctx, command, policy, what, `the error lines of the ${command.args[0]} output above`);
  } catch (e) {
    const first = e instanceof StepError && e.result ? /Error: .*/.exec(`${e.result.stdout}\n${e.result.stderr}`)?.[0] : undefined;
    if (first === undefined || !(e instanceof StepError)) {
      throw e;
    }
    const tries = e.attempts > 1 ? ` after ${e.attempts} tries` : '';
    throw new StepError(`${what} failed${tries}: ${first.replace(/[\s│╵╷]+$/, '').trim()}`, e.check, e.result, e.attempts);
  }
}

export function cdktfCommand(ctx: E2eContext, verb: 'deploy' | 'destroy', timeoutMs: number): Command {
  return {
    program: 'cdktf',
    args: [verb, ctx.state.stack!, '--app', appCommand(ctx.options.example), '--auto-approve'],
    env: exampleEnv(ctx),
    timeoutMs,
    echo: true,
  };
}

/** `cdktf deploy` with the run's settings, then the outputs the later phases need. */
export async function cdktfDeploy(ctx: E2eContext, timeoutMs: number, what: string): Promise<void> {
  ctx.state.deployStarted = true;
  ctx.log(`  cdktf deploy ${ctx.state.stack} (Kubernetes ${ctx.state.kubernetesVersion}, cloud check ${ctx.state.cloudCheck ? 'on' : 'off'}); at most ${formatDuration(timeoutMs)}`);
  await runCdktf(ctx, cdktfCommand(ctx, 'deploy', timeoutMs), DEPLOY_RETRY, what);
  await readOutputs(ctx);
}

type Outputs = Record<string, { readonly value?: unknown }>;

/** The stack's outputs from Terraform's state: kubeconfigs and the snapshot location. */
export async function readOutputs(ctx: E2eContext): Promise<void> {
  const outputs = await terraformOutputs(ctx);
  for (const cluster of ctx.state.clusters) {
    const kubeconfig = outputs[`${cluster.outputPrefix}_kubeconfig`]?.value;
    if (typeof kubeconfig === 'string' && kubeconfig.includes('apiVersion')) {
      ctx.state.kubeconfigDir ??= ctx.files.makeTempDir();
      cluster.kubeconfigPath = `${ctx.state.kubeconfigDir}/${cluster.names.clusterName}.kubeconfig`;
      ctx.files.writeText(cluster.kubeconfigPath, kubeconfig, { secret: true });
    }
    const location = /^s3:\/\/([^/]+)\/(.*)$/.exec(String(outputs[`${cluster.outputPrefix}_etcd_snapshot_location`]?.value ?? ''));
    if (location) {
      cluster.snapshotBucket = location[1];
      cluster.snapshotPrefix = location[2];
    }
  }
}

async function terraformOutputs(ctx: E2eContext): Promise<Outputs> {
  const stateFile = `terraform.${ctx.state.stack}.tfstate`;
  try {
    const result = await runWithRetry(
      ctx,
      { program: ctx.state.terraform, args: [`-chdir=${stackDir(ctx)}`, 'output', '-json'], timeoutMs: 120_000 },
      { attempts: 3, delayMs: 5_000 },
      'reading the stack outputs',
      `${ctx.state.terraform} -chdir=${stackDir(ctx)} output (the state file ${stateFile})`,
    );
    return JSON.parse(result.stdout || '{}') as Outputs;
  } catch (e) {
    // A stack folder without `terraform init` (a --destroy-only from a fresh synth) still has
    // the local state file, whose outputs are the same.
    const state = ctx.files.readText(stateFile);
    if (state === undefined || !(e instanceof StepError)) {
      throw e;
    }
    return ((JSON.parse(state) as { outputs?: Outputs }).outputs ?? {}) as Outputs;
  }
}

interface Job {
  readonly spec?: { readonly template?: { readonly spec?: { readonly containers?: ReadonlyArray<{ readonly env?: ReadonlyArray<{ readonly name: string; readonly value?: string }> }> } } };
  readonly status?: { readonly succeeded?: number; readonly failed?: number; readonly startTime?: string; readonly completionTime?: string };
}

interface NodeList {
  readonly items: ReadonlyArray<{
    readonly metadata: { readonly name: string };
    readonly status?: { readonly nodeInfo?: { readonly kubeletVersion?: string }; readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string }> };
  }>;
}

export interface NodeSummary {
  readonly total: number;
  readonly ready: number;
  /** Node names by kubelet version. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly notReady: readonly string[];
}

export async function nodeSummary(ctx: E2eContext, cluster: ClusterState): Promise<NodeSummary> {
  const nodes = await kubectlJson<NodeList>(ctx, cluster, ['get', 'nodes'], `listing the nodes of ${cluster.names.clusterName}`, 'kubectl get nodes');
  const versions: Record<string, string[]> = {};
  const notReady: string[] = [];
  for (const node of nodes.items) {
    const version = node.status?.nodeInfo?.kubeletVersion ?? 'unknown';
    (versions[version] ??= []).push(node.metadata.name);
    if (!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      notReady.push(node.metadata.name);
    }
  }
  return { total: nodes.items.length, ready: nodes.items.length - notReady.length, versions, notReady };
}

export function describeNodes(summary: NodeSummary): string {
  const versions = Object.entries(summary.versions).map(([v, names]) => `${names.length} at ${v}`).join(', ');
  return `${summary.ready}/${summary.total} nodes Ready (${versions})`;
}

/** Waits until the API answers /readyz through the admin kubeconfig. */
export async function waitForApi(ctx: E2eContext, cluster: ClusterState, timeoutMs: number, check: string): Promise<void> {
  await waitFor(ctx, {
    what: `the API server of ${cluster.names.clusterName} to answer /readyz`,
    timeoutMs,
    intervalMs: 15_000,
    check,
    probe: async () => {
      const result = await ctx.runner.run(kubectlCommand(cluster, ['get', '--raw', '/readyz']));
      return { done: result.exitCode === 0, seen: result.exitCode === 0 ? 'ok' : failureLine(result) };
    },
  });
}

/** Waits until every node is Ready and `accept` takes the summary. */
export async function waitForNodes(
  ctx: E2eContext,
  cluster: ClusterState,
  options: { readonly what: string; readonly timeoutMs: number; readonly check: string; readonly accept: (s: NodeSummary) => boolean },
): Promise<NodeSummary> {
  let last: NodeSummary | undefined;
  await waitFor(ctx, {
    what: options.what,
    timeoutMs: options.timeoutMs,
    intervalMs: 30_000,
    check: options.check,
    probe: async () => {
      last = await nodeSummary(ctx, cluster);
      return { done: last.notReady.length === 0 && options.accept(last), seen: `${describeNodes(last)}${last.notReady.length ? `; not Ready: ${last.notReady.join(', ')}` : ''}` };
    },
  });
  return last!;
}

/** A Job of the check that must have succeeded; says how long it ran, from its status. */
async function succeededJob(ctx: E2eContext, cluster: ClusterState, job: string, check: string): Promise<{ readonly ran: string; readonly found: Job }> {
  const found = await kubectlJson<Job>(ctx, cluster, ['-n', CHECK_NAMESPACE, 'get', 'job', job], `reading job/${job} of ${cluster.names.clusterName}`, check);
  const status = found.status ?? {};
  if (!status.succeeded) {
    throw new StepError(`job/${job} of ${cluster.names.clusterName} has not succeeded (${JSON.stringify(status)})`, check);
  }
  const ran = status.startTime && status.completionTime ? Date.parse(status.completionTime) - Date.parse(status.startTime) : NaN;
  return { ran: Number.isNaN(ran) ? 'passed' : `passed in ${formatDuration(ran)}`, found };
}

/** How many nodes the check holds must be Ready: the control plane and each pool's minimum. */
function expectedNodes(job: Job): number | undefined {
  const value = job.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === EXPECTED_NODES_ENV)?.value;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** After the deploy: the API answers, the check's Job succeeded, every node is Ready. */
export async function verifyConnectivity(ctx: E2eContext): Promise<string> {
  const details: string[] = [];
  for (const cluster of ctx.state.clusters) {
    await waitForApi(ctx, cluster, 5 * 60_000, 'apiAccessCidrs must admit this machine; the <cluster>_api_endpoint output; the control-plane instance');
    const job = await succeededJob(ctx, cluster, CONNECTIVITY_JOB, `kubectl -n ${CHECK_NAMESPACE} logs job/${CONNECTIVITY_JOB}`);
    const nodes = await waitForNodes(ctx, cluster, { what: `every node of ${cluster.names.clusterName} to be Ready`, timeoutMs: 10 * 60_000, check: 'kubectl describe node <name>; journalctl -u kubelet on it', accept: () => true });
    // Later phases hold the cluster to the check's own count: an autoscaler may remove nodes above it.
    cluster.requiredNodes = expectedNodes(job.found) ?? nodes.ready;
    details.push(`${cluster.names.clusterName}: check Job ${job.ran}, ${describeNodes(nodes)}`);
  }
  return details.join('; ');
}

/** The cloud check is a redeploy with `cloudCheck: true`: its Job runs when it is created. */
export async function cloudCheck(ctx: E2eContext): Promise<string> {
  ctx.state.cloudCheck = true;
  await cdktfDeploy(ctx, 60 * 60_000, 'cdktf deploy with the cloud check');
  const details: string[] = [];
  for (const cluster of ctx.state.clusters) {
    const job = await succeededJob(ctx, cluster, CLOUD_CHECK_JOB, `kubectl -n ${CHECK_NAMESPACE} logs job/${CLOUD_CHECK_JOB}`);
    for (const [kind, name] of [['service', LOAD_BALANCER_SERVICE_NAME], ['persistentvolumeclaim', VOLUME_CLAIM_NAME]] as const) {
      const result = await ctx.runner.run(kubectlCommand(cluster, ['-n', CHECK_NAMESPACE, 'get', kind, name]));
      if (!isNotFound(result)) {
        throw new StepError(
          `${kind}/${name} of ${cluster.names.clusterName} is still there after the cloud check (${result.exitCode === 0 ? 'found' : failureLine(result)})`,
          `it holds an AWS load balancer or volume: kubectl -n ${CHECK_NAMESPACE} delete ${kind} ${name}`,
        );
      }
    }
    details.push(`${cluster.names.clusterName}: cloud-check Job ${job.ran}; its load balancer and volume are gone`);
  }
  return details.join('; ');
}
