import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { NOT_FOUND_EXIT } from './command';
import { appCommand, awsCommand, awsJson, ClusterState, E2eContext, exampleEnv, stateResources } from './context';
import { clusterNames } from './names';
import { API_CALL, failureLine, isTransient, runWithRetry, StepError } from './retry';

/**
 * Everything that can be known before anything is created: the tools, the credentials and the
 * region, the example's synthesised stack and its clusters, and that none of them exists yet.
 * Each check fails with what is wrong and how to put it right.
 */
export async function preflight(ctx: E2eContext): Promise<string> {
  const tools = await checkTools(ctx);
  const identity = await awsJson<{ Account?: string; Arn?: string }>(
    ctx,
    ['sts', 'get-caller-identity'],
    'reading the AWS identity',
    'give the AWS CLI credentials: AWS_PROFILE (aws configure / aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; an opt-in region not enabled for the account refuses them too',
  );
  ctx.state.account = identity.Account;
  const optIn = (
    await runWithRetry(
      ctx,
      awsCommand(ctx, ['ec2', 'describe-regions', '--all-regions', '--region-names', ctx.options.region, '--query', 'Regions[0].OptInStatus', '--output', 'text']),
      API_CALL,
      `looking up region ${ctx.options.region}`,
      'the region name and whether it is enabled (aws ec2 describe-regions --all-regions, from another region), and that these credentials may call ec2:DescribeRegions',
    )
  ).stdout.trim();
  if (optIn === 'not-opted-in') {
    throw new StepError(`region ${ctx.options.region} is not enabled for account ${identity.Account}`, 'enable it (aws account enable-region --region-name ...) or choose another region');
  }
  await synthesise(ctx);
  if (!ctx.options.destroyOnly) {
    await checkNoState(ctx);
    for (const cluster of ctx.state.clusters) {
      await checkClusterIsNew(ctx, cluster);
    }
  }
  const clusters = ctx.state.clusters.map((c) => c.names.clusterName).join(', ');
  return `${tools}; account ${identity.Account}; cluster ${clusters} in ${ctx.options.region}`;
}

const MIN_TERRAFORM = [1, 6] as const;

async function toolOutput(ctx: E2eContext, program: string, args: readonly string[], needed: string): Promise<string> {
  const result = await ctx.runner.run({ program, args, timeoutMs: 60_000 });
  if (result.exitCode === NOT_FOUND_EXIT) {
    throw new StepError(`${program} is not on the PATH`, needed);
  }
  if (result.exitCode !== 0) {
    throw new StepError(`${program} ${args.join(' ')} failed: ${failureLine(result)}`, needed);
  }
  return `${result.stdout}\n${result.stderr}`;
}

/** cdktf, terraform (or tofu), aws and kubectl, each at a version that works here. */
async function checkTools(ctx: E2eContext): Promise<string> {
  const cdktf = firstVersion(await toolOutput(ctx, 'cdktf', ['--version'], 'run npm ci in the repository: it installs cdktf-cli, and npm run puts it on the PATH'));
  const terraform = await findTerraform(ctx);
  const awsVersion = firstVersion(await toolOutput(ctx, 'aws', ['--version'], 'install the AWS CLI (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)'));
  const kubectlOut = await toolOutput(ctx, 'kubectl', ['version', '--client', '-o', 'json'], 'install kubectl (https://kubernetes.io/docs/tasks/tools/)');
  const kubectl = firstVersion(kubectlOut);
  const kubectlMinor = Number(kubectl.split('.')[1]);
  const versions = [ctx.options.kubernetesVersion, ...(ctx.options.upgradeTo ? [ctx.options.upgradeTo] : [])].map((v) => KubernetesVersion.of(v));
  const outOfSkew = versions.filter((v) => Math.abs(v.minor - kubectlMinor) > 1);
  if (outOfSkew.length > 0) {
    throw new StepError(
      `kubectl ${kubectl} is more than one minor away from Kubernetes ${outOfSkew.join(' and ')}`,
      `install a kubectl within one minor of ${versions.join(' and ')} (kubectl's version skew policy)`,
    );
  }
  return `cdktf ${cdktf}, ${ctx.state.terraform} ${terraform}, aws ${awsVersion}, kubectl ${kubectl}`;
}

/** TERRAFORM_BINARY_NAME if set, else terraform, else tofu; at least 1.6 as the README asks. */
async function findTerraform(ctx: E2eContext): Promise<string> {
  const named = ctx.env.TERRAFORM_BINARY_NAME;
  const candidates = named ? [named] : ['terraform', 'tofu'];
  for (const program of candidates) {
    const result = await ctx.runner.run({ program, args: ['version', '-json'], timeoutMs: 60_000 });
    if (result.exitCode === NOT_FOUND_EXIT) {
      continue;
    }
    if (result.exitCode !== 0) {
      throw new StepError(`${program} version failed: ${failureLine(result)}`, `check the ${program} installation`);
    }
    const version = firstVersion(result.stdout);
    const [major, minor] = version.split('.').map(Number);
    if (major < MIN_TERRAFORM[0] || (major === MIN_TERRAFORM[0] && minor < MIN_TERRAFORM[1])) {
      throw new StepError(`${program} is version ${version}, the stack needs ${MIN_TERRAFORM.join('.')} or later`, `install Terraform or OpenTofu ${MIN_TERRAFORM.join('.')} or later`);
    }
    ctx.state.terraform = program;
    return version;
  }
  throw new StepError(
    `${candidates.join(' or ')} is not on the PATH`,
    named ? `TERRAFORM_BINARY_NAME=${named} names a program that is not on the PATH` : 'install Terraform 1.6 or later, or OpenTofu (found as tofu)',
  );
}

function firstVersion(text: string): string {
  return /(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? 'unknown';
}

/** Synthesises the example as the deploy will, and learns its stack and clusters. */
async function synthesise(ctx: E2eContext): Promise<void> {
  const mainFile = `examples/${ctx.options.example}/main.ts`;
  if (ctx.files.readText(mainFile) === undefined) {
    throw new StepError(`there is no example "${ctx.options.example}" (${mainFile})`, 'choose a folder under examples/ (README "Examples")');
  }
  const [node, ...args] = appCommand(ctx.options.example).split(' ');
  const result = await ctx.runner.run({ program: node, args, env: exampleEnv(ctx), timeoutMs: 300_000 });
  if (result.exitCode !== 0) {
    throw new StepError(`synthesising example ${ctx.options.example} failed: ${failureLine(result)}`, `run it by hand: ${appCommand(ctx.options.example)}`, result);
  }
  ctx.state.estimate = /Estimated deploy time[^:]*: (~[\d.]+ min)/.exec(result.stdout)?.[1];
  const manifest = JSON.parse(ctx.files.readText('cdktf.out/manifest.json') ?? '{}') as { stacks?: Record<string, unknown> };
  const stacks = Object.keys(manifest.stacks ?? {});
  if (stacks.length !== 1) {
    throw new StepError(`example ${ctx.options.example} synthesised ${stacks.length} stacks (${stacks.join(', ')}), the run deploys one`, 'cdktf.out/manifest.json');
  }
  ctx.state.stack = stacks[0];
  const stack = JSON.parse(ctx.files.readText(`cdktf.out/stacks/${stacks[0]}/cdk.tf.json`) ?? '{}') as { output?: Record<string, { value?: unknown }> };
  ctx.state.clusters = clustersOf(stack.output ?? {});
  if (ctx.state.clusters.length === 0) {
    throw new StepError(`example ${ctx.options.example} has no cluster the run recognises (no <cluster>_parameter_path output)`, `cdktf.out/stacks/${stacks[0]}/cdk.tf.json`);
  }
}

/** The clusters of a synthesised stack, from the outputs every cluster has. */
export function clustersOf(outputs: Record<string, { value?: unknown }>): ClusterState[] {
  const clusters: ClusterState[] = [];
  for (const [key, output] of Object.entries(outputs)) {
    const match = /^(.+)_parameter_path$/.exec(key);
    if (!match || typeof output.value !== 'string' || !/^\/kubeadm\/[a-z0-9-]+$/.test(output.value)) {
      continue;
    }
    const prefix = match[1];
    const plan = outputs[`${prefix}_address_plan`]?.value as { controlPlaneCount?: number } | undefined;
    const clusterName = output.value.split('/').pop()!;
    clusters.push({ names: clusterNames(clusterName, output.value), outputPrefix: prefix, controlPlaneCount: plan?.controlPlaneCount ?? 1 });
  }
  return clusters;
}

/** A state with resources in it is a cluster an earlier run did not destroy. */
async function checkNoState(ctx: E2eContext): Promise<void> {
  const { count, where } = await stateResources(ctx);
  if (count > 0) {
    throw new StepError(
      `the state of stack ${ctx.state.stack} holds ${count} resources (${where}): an earlier deploy of it is still there`,
      `destroy it first: npm run e2e -- --region ${ctx.options.region} --example ${ctx.options.example} --destroy-only (or npx cdktf destroy ${ctx.state.stack})`,
    );
  }
}

/** Cluster names are unique in an account and region: the generation parameter tells. */
async function checkClusterIsNew(ctx: E2eContext, cluster: ClusterState): Promise<void> {
  const command = awsCommand(ctx, ['ssm', 'get-parameter', '--name', cluster.names.generationParameter]);
  for (let attempt = 1; ; attempt++) {
    const result = await ctx.runner.run(command);
    if (result.exitCode === 0) {
      throw new StepError(
        `a cluster named ${cluster.names.clusterName} already exists in ${ctx.options.region} (${cluster.names.generationParameter} is there)`,
        `destroy it first (npm run e2e -- --region ${ctx.options.region} --example ${ctx.options.example} --destroy-only, from the checkout that deployed it), or run in another region`,
      );
    }
    if (/ParameterNotFound/.test(result.stderr)) {
      return;
    }
    if (attempt >= API_CALL.attempts || !isTransient(result)) {
      throw new StepError(`looking for an existing cluster ${cluster.names.clusterName} failed: ${failureLine(result)}`, 'that these credentials may call ssm:GetParameter');
    }
    await ctx.clock.sleep(API_CALL.delayMs);
  }
}
