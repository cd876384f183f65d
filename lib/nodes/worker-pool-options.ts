import { ProblemList } from '../plan/problems';
import { MachineImage } from './ami';
import { architectureOf, isInstanceType, isMacInstanceType } from './architecture';
import { DEFAULT_NODE_INSTANCE_TYPE } from './control-plane';
import type { RootVolumeOptions } from '../network/instance-hardening';

/** What a taint does to pods that do not tolerate it (`spec.taints[].effect` of a Node). */
export enum TaintEffect {
  NO_SCHEDULE = 'NoSchedule',
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  NO_EXECUTE = 'NoExecute',
}

/** A taint every node of a pool registers with. */
export interface NodeTaint {
  readonly key: string;
  /**
   * @default - no value
   */
  readonly value?: string;
  readonly effect: TaintEffect;
}

/** A group of identical worker nodes, scaled by an auto scaling group. */
export interface WorkerPoolOptions {
  /** Name of the pool, a lower-case DNS label unique in the cluster. */
  readonly name: string;
  /**
   * @default 2
   */
  readonly desiredSize?: number;
  /**
   * @default - desiredSize
   */
  readonly minSize?: number;
  /**
   * The address plan reserves a pod range for this many nodes of the pool.
   * @default - desiredSize
   */
  readonly maxSize?: number;
  /**
   * Instance types, all of one architecture; several let the pool use whichever has capacity.
   * @default ['t3.medium']
   */
  readonly instanceTypes?: readonly string[];
  /**
   * Run the pool on Spot capacity (price-capacity-optimized across `instanceTypes`).
   * @default false
   */
  readonly spot?: boolean;
  /**
   * @default MachineImage.ubuntu2404()
   */
  readonly machineImage?: MachineImage;
  /**
   * @default - 30 GiB gp3, encrypted
   */
  readonly rootVolume?: RootVolumeOptions;
  /**
   * Let pods reach the instance metadata service (hop limit 2), for AWS integrations that run as
   * pods with the node's role. Pods can then read the node's user-data, which holds the cluster's
   * bootstrap token: turn it on only for pools that need it.
   * @default false
   */
  readonly podsReachInstanceMetadata?: boolean;
  /**
   * Labels every node of the pool registers with (the kubelet's `--node-labels`), for pods'
   * node selectors. Keys in the `kubernetes.io` and `k8s.io` namespaces are refused by the kubelet,
   * except under `node.kubernetes.io/` and `kubelet.kubernetes.io/`.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Taints every node of the pool registers with (kubeadm's `nodeRegistration.taints`), so that only
   * pods that tolerate them run there.
   * @default - none
   */
  readonly taints?: readonly NodeTaint[];
  /**
   * Let the cluster autoscaler (`clusterAutoscaler: ClusterAutoscaler.enabled()`) size the pool
   * between minSize and maxSize: the group carries the autoscaler's discovery tags and the
   * node-template tags of its labels, taints and resources. Set it to false to keep a pool that
   * may scale out of the autoscaler's hands.
   * @default - true when the autoscaler is enabled and maxSize > minSize
   */
  readonly autoscaled?: boolean;
}

/** A pool's options with every default filled in. */
export interface ResolvedWorkerPool {
  readonly name: string;
  readonly desiredSize: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly instanceTypes: readonly string[];
  readonly spot: boolean;
  readonly machineImage: MachineImage;
  readonly rootVolume?: RootVolumeOptions;
  readonly podsReachInstanceMetadata: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeTaint[];
  /** Whether the pool may be autoscaled: asked for, or maxSize > minSize (the autoscaler must be on too). */
  readonly autoscaled: boolean;
}

export const DEFAULT_WORKER_POOL: WorkerPoolOptions = { name: 'workers', desiredSize: 2 };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * Fills defaults and checks every pool, adding each problem found to `problems`. An undefined
 * entry (a pool already reported as not being one) keeps its place in the numbering and is skipped.
 */
export function resolveWorkerPools(problems: ProblemList, pools: ReadonlyArray<WorkerPoolOptions | undefined>): ResolvedWorkerPool[] {
  const seen = new Set<string>();
  return pools.flatMap((pool, i) => (pool === undefined ? [] : [resolvePool(problems, seen, pool, i)]));
}

function resolvePool(problems: ProblemList, seen: Set<string>, pool: WorkerPoolOptions, i: number): ResolvedWorkerPool {
  const at = `workerPools[${i}]`;
  if (!DNS_LABEL.test(pool.name ?? '')) {
    problems.add(`${at}.name`, pool.name, 'a pool name is a lower-case DNS label of at most 32 characters', "use letters, digits and '-', for example 'workers'");
  } else if (seen.has(pool.name)) {
    problems.add(`${at}.name`, pool.name, 'another pool has the same name', 'give every pool its own name');
  }
  seen.add(pool.name);
  const desiredSize = pool.desiredSize ?? 2;
  const minSize = pool.minSize ?? desiredSize;
  const maxSize = pool.maxSize ?? Math.max(desiredSize, minSize);
  for (const [key, value] of [['desiredSize', desiredSize], ['minSize', minSize], ['maxSize', maxSize]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      problems.add(`${at}.${key}`, value, 'sizes are whole numbers of 0 or more', `set ${key} to a whole number`);
    }
  }
  if (minSize > desiredSize || desiredSize > maxSize) {
    problems.add(`${at}.desiredSize`, desiredSize, `must lie between minSize (${minSize}) and maxSize (${maxSize})`, 'set minSize <= desiredSize <= maxSize');
  }
  const instanceTypes = pool.instanceTypes ?? [DEFAULT_NODE_INSTANCE_TYPE];
  if (instanceTypes.length === 0) {
    problems.add(`${at}.instanceTypes`, [], 'lists no instance type', `list at least one, for example ['${DEFAULT_NODE_INSTANCE_TYPE}']`);
  }
  const bad = instanceTypes.filter((t) => !isInstanceType(t));
  if (bad.length > 0) {
    problems.add(`${at}.instanceTypes`, instanceTypes, `${bad.join(', ')} is not an EC2 instance type`, "write types as family.size, for example 't3.medium'");
  }
  const mac = instanceTypes.filter((t) => isInstanceType(t) && isMacInstanceType(t));
  if (mac.length > 0) {
    problems.add(`${at}.instanceTypes`, instanceTypes, `${mac.join(', ')} boots only macOS`, "choose Linux instance types, for example 't3.medium'");
  }
  const architectures = new Set(instanceTypes.map(architectureOf));
  if (architectures.size > 1) {
    problems.add(`${at}.instanceTypes`, instanceTypes, 'mixes arm64 (Graviton) and amd64 types, which need different images', 'split them into two pools');
  }
  const labels = pool.labels ?? {};
  checkLabels(problems, `${at}.labels`, labels);
  const taints = pool.taints ?? [];
  checkTaints(problems, `${at}.taints`, taints);
  if (pool.autoscaled === true && !(maxSize > minSize)) {
    problems.add(`${at}.autoscaled`, true, `the autoscaler sizes a pool between minSize (${minSize}) and maxSize (${maxSize}), which leaves it nothing to do`, 'give the pool a maxSize greater than its minSize, or leave autoscaled out');
  }
  return {
    name: pool.name,
    desiredSize,
    minSize,
    maxSize,
    instanceTypes,
    spot: pool.spot ?? false,
    machineImage: pool.machineImage ?? MachineImage.ubuntu2404(),
    podsReachInstanceMetadata: pool.podsReachInstanceMetadata ?? false,
    labels,
    taints,
    autoscaled: (pool.autoscaled ?? true) && maxSize > minSize,
    ...(pool.rootVolume ? { rootVolume: pool.rootVolume } : {}),
  };
}

// A label or taint key: an optional DNS-subdomain prefix and a name of at most 63 characters;
// a label value: at most 63 such characters, or empty (kubernetes/apimachinery
// pkg/util/validation/validation.go, IsQualifiedName and IsValidLabelValue).
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/**
 * The kubelet refuses `--node-labels` in the kubernetes.io and k8s.io namespaces but for these
 * prefixes (kubernetes/kubernetes cmd/kubelet/app/options/options.go, `ValidateKubeletFlags`;
 * the NodeRestriction admission plugin enforces the same): the rest are the control plane's to set.
 */
const KUBELET_LABEL_PREFIXES = ['kubelet.kubernetes.io/', 'node.kubernetes.io/'];
/** What the autoscaler's node-template tags put before a label or taint key; a tag key holds 128 characters. */
export const NODE_TEMPLATE_KEY_ROOM = 128 - 'k8s.io/cluster-autoscaler/node-template/label/'.length;

function reservedNamespace(key: string): boolean {
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  const reserved = ['kubernetes.io', 'k8s.io'].some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
  return reserved && !KUBELET_LABEL_PREFIXES.some((p) => key.startsWith(p));
}

function checkKey(problems: ProblemList, at: string, key: string): void {
  if (!QUALIFIED_NAME.test(key) || key.length > NODE_TEMPLATE_KEY_ROOM) {
    problems.add(at, key, `is not a label key of at most ${NODE_TEMPLATE_KEY_ROOM} characters (an optional DNS prefix and '/', then a name of at most 63 letters, digits, '-', '_' and '.')`, "use for example 'workload' or 'example.com/workload'");
  }
}

function checkLabels(problems: ProblemList, at: string, labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    checkKey(problems, `${at}.${key}`, key);
    if (QUALIFIED_NAME.test(key) && reservedNamespace(key)) {
      problems.add(`${at}.${key}`, key, 'the kubelet may not set labels in the kubernetes.io and k8s.io namespaces (but for node.kubernetes.io/ and kubelet.kubernetes.io/)', "use your own prefix, for example 'example.com/workload'");
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      problems.add(`${at}.${key}`, value, 'is not a label value (at most 63 letters, digits, -, _ and ., beginning and ending with a letter or digit)', "use for example 'batch'");
    }
  }
}

function checkTaints(problems: ProblemList, at: string, taints: readonly NodeTaint[]): void {
  const effects = Object.values(TaintEffect) as string[];
  const seen = new Set<string>();
  taints.forEach((taint, i) => {
    if (typeof taint !== 'object' || taint === null) {
      problems.add(`${at}[${i}]`, taint, 'is not a taint', "write { key: 'example.com/dedicated', value: 'batch', effect: TaintEffect.NO_SCHEDULE }");
      return;
    }
    checkKey(problems, `${at}[${i}].key`, taint.key);
    if (taint.value !== undefined && !LABEL_VALUE.test(taint.value)) {
      problems.add(`${at}[${i}].value`, taint.value, 'is not a taint value (at most 63 letters, digits, -, _ and .)', "use for example 'true'");
    }
    if (!effects.includes(taint.effect)) {
      problems.add(`${at}[${i}].effect`, taint.effect, 'is not a taint effect', 'use TaintEffect.NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE');
    }
    // The autoscaler's node-template tags hold one taint per key.
    if (seen.has(taint.key)) {
      problems.add(`${at}[${i}].key`, taint.key, 'another taint of the pool has the same key', 'give each key one taint');
    }
    seen.add(taint.key);
  });
}
