import { RUN_SETTING_VARIABLES } from '../examples/run-settings';
import { Command, CommandResult, Workspace } from './command';
import type { ClusterNames } from './names';
import type { E2eOptions } from './options';
import { API_CALL, RetryContext, RetryPolicy, runWithRetry } from './retry';

/** One cluster of the deployed example, as the run learns it. */
export interface ClusterState {
  readonly names: ClusterNames;
  /** `<prefix>_...` of the cluster's outputs: its name with `-` as `_`. */
  readonly outputPrefix: string;
  readonly controlPlaneCount: number;
  /** Written from the `<cluster>_kubeconfig` output after the deploy. */
  kubeconfigPath?: string;
  /** The bucket and key prefix of `<cluster>_etcd_snapshot_location`. */
  snapshotBucket?: string;
  snapshotPrefix?: string;
  /** Nodes that must be Ready: the connectivity check's own count (EXPECTED_NODES). */
  requiredNodes?: number;
}

/** What the run has learnt and done so far; the destroy reads it. */
export interface RunState {
  /** `terraform` or `tofu`, as cdktf runs it. */
  terraform: string;
  stack?: string;
  clusters: ClusterState[];
  /** The settings of the last deploy, so that the destroy synthesises the same stack. */
  kubernetesVersion: string;
  cloudCheck: boolean;
  /** A deploy was started: from here on the destroy has something to do. */
  deployStarted: boolean;
  kubeconfigDir?: string;
  account?: string;
  /** The deploy-path estimate the synth printed. */
  estimate?: string;
  /** Things the run knows it leaves behind, for the report. */
  left: string[];
}

export interface E2eContext extends RetryContext {
  readonly options: E2eOptions;
  readonly files: Workspace;
  /** The runner's own environment (TERRAFORM_BINARY_NAME). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Names the run's own objects (ConfigMaps of the restore drill). */
  readonly runId: string;
  readonly state: RunState;
}

/** How long one API call may take before it is stopped and tried again. */
export const API_CALL_TIMEOUT_MS = 120_000;

/** The app command of an example, as `cdktf.json` has it for the default one. */
export function appCommand(example: string): string {
  return `node --require ./own-source-maps.js --import tsx examples/${example}/main.ts`;
}

/** The environment that makes the example deploy as this run wants (examples/run-settings.ts). */
export function exampleEnv(ctx: E2eContext): Record<string, string> {
  return {
    [RUN_SETTING_VARIABLES.region]: ctx.options.region,
    [RUN_SETTING_VARIABLES.kubernetesVersion]: ctx.state.kubernetesVersion,
    [RUN_SETTING_VARIABLES.cloudCheck]: String(ctx.state.cloudCheck),
    // No version checks or usage reports from the CLI in the middle of a run.
    CHECKPOINT_DISABLE: '1',
    ...(ctx.state.terraform !== 'terraform' ? { TERRAFORM_BINARY_NAME: ctx.state.terraform } : {}),
  };
}

/** The synthesised stack's folder, where `terraform output` runs. */
export function stackDir(ctx: E2eContext): string {
  return `cdktf.out/stacks/${ctx.state.stack}`;
}

/** Runs `aws ... --region <region> --output json` with retries and returns its parsed output. */
export async function awsJson<T = unknown>(ctx: E2eContext, args: readonly string[], what: string, check: string, policy: RetryPolicy = API_CALL): Promise<T> {
  const result = await runWithRetry(ctx, awsCommand(ctx, args), policy, what, check);
  return parseJson<T>(result, what, check);
}

/** Runs `aws ... --region <region>` with retries. */
export async function aws(ctx: E2eContext, args: readonly string[], what: string, check: string, policy: RetryPolicy = API_CALL): Promise<CommandResult> {
  return runWithRetry(ctx, awsCommand(ctx, args), policy, what, check);
}

export function awsCommand(ctx: E2eContext, args: readonly string[]): Command {
  const output = args.includes('--output') ? [] : ['--output', 'json'];
  return { program: 'aws', args: [...args, '--region', ctx.options.region, ...output], timeoutMs: API_CALL_TIMEOUT_MS, env: { AWS_PAGER: '' } };
}

/** `kubectl` against one cluster, with its admin kubeconfig and a bounded request. */
export function kubectlCommand(cluster: ClusterState, args: readonly string[], input?: string): Command {
  if (cluster.kubeconfigPath === undefined) {
    throw new Error(`no kubeconfig for ${cluster.names.clusterName} yet: the deploy has not given one`);
  }
  return {
    program: 'kubectl',
    args: ['--kubeconfig', cluster.kubeconfigPath, '--request-timeout=30s', ...args],
    timeoutMs: 60_000,
    ...(input !== undefined ? { input } : {}),
  };
}

export async function kubectlJson<T = unknown>(ctx: E2eContext, cluster: ClusterState, args: readonly string[], what: string, check: string): Promise<T> {
  const result = await runWithRetry(ctx, kubectlCommand(cluster, [...args, '-o', 'json']), API_CALL, what, check);
  return parseJson<T>(result, what, check);
}

function parseJson<T>(result: CommandResult, what: string, check: string): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`${what}: the answer was not JSON (${result.stdout.slice(0, 200)}); ${check}`);
  }
}

/** Whether a kubectl or aws failure says the object is not there. */
export function isNotFound(result: CommandResult): boolean {
  return result.exitCode !== 0 && /notfound|not found|does not exist|ParameterNotFound|NoSuchBucket/i.test(`${result.stderr}\n${result.stdout}`);
}

/**
 * How many resources the stack's state holds, and where that was read: `terraform state list`
 * reads any backend (the S3 one of ha-cilium too) once the stack folder is initialised; before
 * that, the local state file beside the repository.
 */
export async function stateResources(ctx: E2eContext): Promise<{ readonly count: number; readonly where: string }> {
  const listed = await ctx.runner.run({ program: ctx.state.terraform, args: [`-chdir=${stackDir(ctx)}`, 'state', 'list'], timeoutMs: API_CALL_TIMEOUT_MS });
  if (listed.exitCode === 0) {
    return { count: listed.stdout.split('\n').filter((line) => line.trim() !== '').length, where: `${ctx.state.terraform} -chdir=${stackDir(ctx)} state list` };
  }
  const file = `terraform.${ctx.state.stack}.tfstate`;
  const text = ctx.files.readText(file);
  return { count: text ? ((JSON.parse(text) as { resources?: unknown[] }).resources ?? []).length : 0, where: file };
}
