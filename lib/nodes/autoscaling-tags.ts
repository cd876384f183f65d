/**
 * The tags by which cluster-autoscaler finds a worker group and knows what a node of it would be
 * before one exists (pure values; `WorkerPool` puts them on the group). Source: kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md at cluster-autoscaler-1.36.1, "Auto-Discovery
 * Setup".
 */
import { DEFAULT_ROOT_VOLUME_SIZE_GIB } from '../network/instance-hardening';
import type { ResolvedWorkerPool } from './worker-pool-options';

/** The tag every autoscaled group carries; the autoscaler looks for groups that have it and the next. */
export const AUTOSCALER_ENABLED_TAG = 'k8s.io/cluster-autoscaler/enabled';

/** The tag that makes a group this cluster's among the autoscaled groups of the account and region. */
export function autoscalerClusterTagKey(clusterName: string): string {
  return `k8s.io/cluster-autoscaler/${clusterName}`;
}

/** The auto-discovery tag keys, as the chart's `autoDiscovery.tags` lists them. */
export function autoscalerDiscoveryTagKeys(clusterName: string): string[] {
  return [AUTOSCALER_ENABLED_TAG, autoscalerClusterTagKey(clusterName)];
}

const NODE_TEMPLATE = 'k8s.io/cluster-autoscaler/node-template';

export interface AutoscalingTagsInput {
  readonly clusterName: string;
  readonly pool: ResolvedWorkerPool;
  /** The pods a node of the pool holds: the kubelet's `maxPods`, the address plan's pods per node. */
  readonly podsPerNode: number;
}

/**
 * The tags of an autoscaled group, as key and value, in a stable order:
 * - the two discovery tags (their values are ignored unless the flag names values; `owned` says whose);
 * - one node-template label tag per pool label and one taint tag per pool taint, `<value>:<effect>`,
 *   which the autoscaler reads to build a node of a group that has none (it applies neither: the
 *   kubelet registers with the same labels and taints, from the pool's join configuration);
 * - the resources the autoscaler cannot learn from the instance type: ephemeral storage (the root
 *   volume; without the tag its template node has none, so no pod that requests some would fit)
 *   and pods (its template assumes 110; the kubelet's `maxPods` may be fewer).
 * None propagates to instances: they are for the group.
 */
export function autoscalingTags(input: AutoscalingTagsInput): Array<{ readonly key: string; readonly value: string }> {
  const { pool } = input;
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const labels = Object.entries(pool.labels).sort(([a], [b]) => byKey(a, b));
  const taints = [...pool.taints].sort((a, b) => byKey(a.key, b.key));
  return [
    { key: AUTOSCALER_ENABLED_TAG, value: 'true' },
    { key: autoscalerClusterTagKey(input.clusterName), value: 'owned' },
    ...labels.map(([key, value]) => ({ key: `${NODE_TEMPLATE}/label/${key}`, value })),
    ...taints.map((taint) => ({ key: `${NODE_TEMPLATE}/taint/${taint.key}`, value: `${taint.value ?? ''}:${taint.effect}` })),
    { key: `${NODE_TEMPLATE}/resources/ephemeral-storage`, value: `${pool.rootVolume?.sizeGiB ?? DEFAULT_ROOT_VOLUME_SIZE_GIB}Gi` },
    { key: `${NODE_TEMPLATE}/resources/pods`, value: String(input.podsPerNode) },
  ];
}
