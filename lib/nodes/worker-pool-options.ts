import { ProblemList } from '../plan/problems';
import { MachineImage } from './ami';
import { architectureOf, isInstanceType, isMacInstanceType } from './architecture';
import { DEFAULT_NODE_INSTANCE_TYPE } from './control-plane';
import type { RootVolumeOptions } from '../network/instance-hardening';

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
  return {
    name: pool.name,
    desiredSize,
    minSize,
    maxSize,
    instanceTypes,
    spot: pool.spot ?? false,
    machineImage: pool.machineImage ?? MachineImage.ubuntu2404(),
    podsReachInstanceMetadata: pool.podsReachInstanceMetadata ?? false,
    ...(pool.rootVolume ? { rootVolume: pool.rootVolume } : {}),
  };
}
