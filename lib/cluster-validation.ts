import { KubernetesVersion } from './bootstrap/kubernetes-version';
import { Cni } from './cni/cni';
import type { CniPlugin } from './cni/cni-plugin';
import type { KubeadmClusterProps } from './cluster-props';
import { checkClusterName } from './network/cluster-name';
import { isInstanceType } from './nodes/architecture';
import { DEFAULT_NODE_INSTANCE_TYPE } from './nodes/control-plane';
import { DEFAULT_WORKER_POOL, ResolvedWorkerPool, resolveWorkerPools } from './nodes/worker-pool-options';
import { AddressPlan } from './plan/address-plan';
import { ClusterConfigError, ProblemList } from './plan/problems';

/** The cluster's inputs, checked and with defaults filled in. */
export interface ValidatedCluster {
  readonly plan: AddressPlan;
  readonly version: KubernetesVersion;
  readonly pools: readonly ResolvedWorkerPool[];
  readonly cni: CniPlugin;
}

/** Checks every input together so that one synth reports every problem. */
export function validateCluster(props: KubeadmClusterProps): ValidatedCluster {
  const problems = new ProblemList();
  checkClusterName(problems, props.clusterName);
  const cni = props.cni ?? Cni.weave();
  const cp = props.controlPlane ?? {};
  const count = cp.count ?? 1;
  if (count !== 1 && count !== 3) {
    problems.add('controlPlane.count', count, 'a control plane has 1 node, or 3 for etcd quorum with one node lost', 'set controlPlane.count to 1 or 3');
  }
  const instanceType = cp.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE;
  if (!isInstanceType(instanceType)) {
    problems.add('controlPlane.instanceType', instanceType, 'is not an EC2 instance type', "write types as family.size, for example 't3.medium'");
  }
  const pools = resolveWorkerPools(problems, props.workerPools ?? [DEFAULT_WORKER_POOL]);
  if (props.connectivityCheck !== false && !pools.some((p) => p.minSize > 0)) {
    problems.add('connectivityCheck', String(props.connectivityCheck ?? true), 'the pod network check needs at least one worker that is always there (a pool with minSize > 0)', 'give a pool a minSize of 1 or more, or set connectivityCheck to false');
  }
  const version = collect(problems, () => KubernetesVersion.of(props.kubernetesVersion));
  const plan = collect(problems, () =>
    AddressPlan.create({
      vpcCidr: props.vpcCidr,
      availabilityZones: props.availabilityZones,
      zoneCount: props.zoneCount,
      existingSubnets: props.existingSubnets,
      podCidr: props.podCidr ?? cni.defaultPodCidr,
      serviceCidr: props.serviceCidr,
      nodeCidrMaskSize: props.nodeCidrMaskSize,
      controlPlaneCount: count === 3 ? 3 : 1,
      workerCount: pools.reduce((sum, p) => sum + Math.max(0, p.maxSize), 0),
    }),
  );
  problems.throwIfAny();
  return { plan: plan!, version: version!, pools, cni };
}

function collect<T>(problems: ProblemList, make: () => T): T | undefined {
  try {
    return make();
  } catch (e) {
    if (e instanceof ClusterConfigError) {
      problems.addAll(e.problems);
      return undefined;
    }
    throw e;
  }
}
