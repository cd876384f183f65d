import { criticalPath, deployGraph, GraphNode, StackJson } from './deploy-graph';
import { DurationRule, TYPICAL_DURATIONS, typicalDuration, TypicalDuration } from './deploy-durations';
import { formatTable } from './plan/describe';

/**
 * How long a first deploy takes to a checked cluster, estimated from the synthesised stack: the
 * longest chain of waits Terraform's graph allows, each wait at its typical time. Pure TypeScript
 * (no cdktf): it reads the JSON `cdktf synth` writes, so it sees exactly what Terraform will.
 */

export interface DeployPathOptions {
  /**
   * Construct path of the cluster (`KubeadmCluster.node.path`, which starts with the stack's name)
   * whose connectivity check ends the path: with several clusters in one stack, each has its own.
   * @default - every connectivity check in the stack
   */
  readonly clusterPath?: string;
  /**
   * The typical durations, first match wins.
   * @default TYPICAL_DURATIONS
   */
  readonly durations?: readonly DurationRule[];
}

/** One wait of the chain. */
export interface DeployStep extends TypicalDuration {
  /** Terraform's address of the block. */
  readonly address: string;
  readonly type: string;
  /** The construct path below the stack (`cluster/network/nat-gateway-0`), or the address. */
  readonly name: string;
  /** Minutes from the start of the apply until this step is done. */
  readonly doneAt: number;
}

export interface DeployPathEstimate {
  /** Minutes until the cluster is checked (or, without a check, until the apply ends). */
  readonly minutes: number;
  /** Whether the path ends at a connectivity check; without one it ends where the apply does. */
  readonly endsAtCheck: boolean;
  /** The longest chain, first wait first: the steps that take time (zero-minute blocks left out). */
  readonly steps: readonly DeployStep[];
  /** Minutes until the last block of the apply is done; more than `minutes` when something ends after the check. */
  readonly applyMinutes: number;
  /** The block the apply ends with. */
  readonly applyEndsWith: string;
}

/**
 * The construct path below the stack (`cluster/network/vpc`): the one cdktf records in the block's
 * metadata, or, where that was left out (`Testing.synth`), the one its logical id spells, the path
 * joined by `_` and a hash appended.
 */
export function blockName(node: Pick<GraphNode, 'address' | 'path'>): string {
  if (node.path) {
    return node.path.slice(node.path.indexOf('/') + 1);
  }
  const id = node.address.slice(node.address.lastIndexOf('.') + 1);
  return /_[0-9A-F]{8}$/.test(id) ? id.slice(0, -9).replace(/_/g, '/') : node.address;
}

/** A connectivity check (a Job that Terraform waits to complete) of the cluster, when one is named. */
function isCheck(node: GraphNode, clusterPath?: string): boolean {
  const below = clusterPath?.slice(clusterPath.indexOf('/') + 1);
  return node.type === 'kubernetes_job_v1' && node.mode === 'resource' && node.body.wait_for_completion === true && (below === undefined || blockName(node).startsWith(`${below}/`));
}

/** The estimate for one synthesised stack (the parsed `cdk.tf.json`). */
export function estimateDeployPath(stack: StackJson, options: DeployPathOptions = {}): DeployPathEstimate {
  const graph = deployGraph(stack);
  const needs = new Map([...graph].map(([address, node]) => [address, node.needs]));
  const rules = options.durations ?? TYPICAL_DURATIONS;
  const durations = new Map([...graph].map(([address, node]) => [address, typicalDuration(node, rules)]));
  const minutesOf = (address: string) => durations.get(address)!.minutes;

  const checks = [...graph.values()].filter((node) => isCheck(node, options.clusterPath)).map((node) => node.address);
  const everything = [...graph.keys()];
  const whole = criticalPath(needs, minutesOf, everything);
  const path = checks.length > 0 ? criticalPath(needs, minutesOf, checks) : whole;
  let doneAt = 0;
  const steps: DeployStep[] = [];
  for (const address of path.chain) {
    const node = graph.get(address)!;
    const duration = durations.get(address)!;
    doneAt = hundredths(doneAt + duration.minutes);
    if (duration.minutes > 0) {
      steps.push({ ...duration, address, type: node.type, name: blockName(node), doneAt });
    }
  }
  return { minutes: hundredths(path.minutes), endsAtCheck: checks.length > 0, steps, applyMinutes: hundredths(whole.minutes), applyEndsWith: blockName(graph.get(whole.chain.at(-1)!)!) };
}

/** Minutes to the hundredth, so that sums of typical times print as written (0.1 + 0.2 is 0.3). */
function hundredths(minutes: number): number {
  return Math.round(minutes * 100) / 100;
}

/** The estimate as the synth summary prints it. */
export function describeDeployPath(estimate: DeployPathEstimate): string {
  const whole = Math.max(1, Math.round(estimate.minutes));
  const rows = estimate.steps.map((s) => [String(s.minutes), String(s.doneAt), s.name, s.type, s.what]);
  const lines = [
    estimate.endsAtCheck
      ? `Estimated deploy time to a checked cluster (modelled, typical AWS times): ~${whole} min`
      : `Estimated deploy time, no connectivity check (modelled, typical AWS times): ~${whole} min`,
    `An estimate, not a measurement: the longest chain of waits in the stack's graph, each at its typical time (TYPICAL_DURATIONS says where each comes from).`,
    formatTable(['min', 'done at', 'step', 'type', 'waits for'], rows),
  ];
  if (estimate.applyMinutes > estimate.minutes) {
    lines.push(`The apply itself goes on until ~${estimate.applyMinutes} min (its last step: ${estimate.applyEndsWith}).`);
  }
  return lines.join('\n');
}
