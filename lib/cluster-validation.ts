import { KubernetesVersion } from './bootstrap/kubernetes-version';
import { DEFAULT_READINESS_TIMEOUT_MINUTES } from './bootstrap/boot-budget';
import { Token } from 'cdktf';
import { Cni } from './cni/cni';
import { Flannel } from './cni/flannel';
import { VpcRoutes } from './cni/vpc-routes';
import type { CniPlugin } from './cni/cni-plugin';
import type { KubeadmClusterProps } from './cluster-props';
import { checkClusterPropTypes, TypedClusterProps } from './cluster-prop-types';
import { checkClusterName } from './network/cluster-name';
import { instanceRootBlockDevice } from './network/instance-hardening';
import { planSecurityGroupRules } from './network/security-group-rules';
import { isInstanceType, isMacInstanceType } from './nodes/architecture';
import { DEFAULT_NODE_INSTANCE_TYPE } from './nodes/control-plane';
import { DEFAULT_WORKER_POOL, ResolvedWorkerPool, resolveWorkerPools } from './nodes/worker-pool-options';
import { AddressPlan } from './plan/address-plan';
import { EtcdBackup } from './operations/etcd-backup';
import { ClusterAutoscaler } from './addons/cluster-autoscaler-options';
import { ClusterConfigError, ProblemList } from './plan/problems';

/** The cluster's inputs, checked and with defaults filled in. */
export interface ValidatedCluster {
  readonly plan: AddressPlan;
  readonly version: KubernetesVersion;
  readonly pools: readonly ResolvedWorkerPool[];
  readonly cni: CniPlugin;
}

/** Checks every input together so that one synth reports every problem. */
export function validateCluster(input: KubeadmClusterProps): ValidatedCluster {
  const problems = new ProblemList();
  // Every check below reads only props of the right type; the others are reported here.
  const props = checkClusterPropTypes(problems, input);
  // A name of the wrong type is reported already; a missing one is reported here.
  if (typeof props.clusterName === 'string' || (input as Partial<KubeadmClusterProps> | undefined)?.clusterName === undefined) {
    checkClusterName(problems, props.clusterName as string);
  }
  const cni = props.cni ?? Cni.weave();
  const cp = props.controlPlane ?? {};
  const count = cp.count ?? 1;
  if (count !== 1 && count !== 3) {
    problems.add('controlPlane.count', count, 'a control plane has 1 node, or 3 for etcd quorum with one node lost', 'set controlPlane.count to 1 or 3');
  }
  const instanceType = cp.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE;
  if (!isInstanceType(instanceType)) {
    problems.add('controlPlane.instanceType', instanceType, 'is not an EC2 instance type', "write types as family.size, for example 't3.medium'");
  } else if (isMacInstanceType(instanceType)) {
    problems.add('controlPlane.instanceType', instanceType, 'Mac instances boot only macOS', "choose a Linux instance type, for example 't3.medium'");
  }
  const pools = resolveWorkerPools(problems, props.workerPools ?? [DEFAULT_WORKER_POOL]);
  if (props.ebsCsiDriver === true && props.cloudControllerManager === false) {
    problems.add('ebsCsiDriver', true, 'the EBS CSI driver places volumes by the zone labels the cloud controller manager puts on nodes', 'leave cloudControllerManager on, or ebsCsiDriver off');
  }
  if (props.metricsServer === true && props.cloudControllerManager === false) {
    problems.add('metricsServer', true, 'kubelet serving certificates are approved for the DNS names the cloud controller manager gives nodes', 'leave cloudControllerManager on, or metricsServer off');
  }
  if (props.removeSnapshotsOnDestroy === true && (props.cleanUpOnDestroy === false || (props.cleanUpOnDestroy === undefined && props.cloudControllerManager === false && props.ebsCsiDriver !== true))) {
    problems.add('removeSnapshotsOnDestroy', true, 'the destroy-time cleanup removes the snapshots, and this cluster has none', 'set cleanUpOnDestroy to true, or leave removeSnapshotsOnDestroy out');
  }
  if (props.connectivityCheck !== false && !pools.some((p) => p.minSize > 0)) {
    problems.add('connectivityCheck', props.connectivityCheck ?? true, 'the pod network check needs at least one worker that is always there (a pool with minSize > 0)', 'give a pool a minSize of 1 or more, or set connectivityCheck to false');
  }
  if (props.cloudCheck === true) {
    if (props.connectivityCheck === false) {
      problems.add('cloudCheck', true, 'the cloud check runs after the connectivity check and reaches its nginx pods', 'leave connectivityCheck on, or cloudCheck off');
    }
    if (props.cloudControllerManager === false || props.ebsCsiDriver === false) {
      problems.add('cloudCheck', true, 'the cloud check proves the load balancers of the cloud controller manager and the volumes of the EBS CSI driver', 'leave cloudControllerManager and ebsCsiDriver on, or cloudCheck off');
    }
  }
  if (props.apiAccessCidrs !== undefined && props.apiAccessCidrs.length === 0) {
    problems.add('apiAccessCidrs', '[]', 'Terraform talks to the API server during the deploy, so the machine running it must be let in', "list the ranges that may reach the API, this machine's included, or leave apiAccessCidrs out to admit the deploying machine");
  }
  // The access lists are checked again when the groups are built; checking them here too puts
  // their problems in the same report as everything else.
  collect(problems, () =>
    planSecurityGroupRules({
      portTables: [],
      apiAccessCidrs: props.apiAccessCidrs,
      sshAccessCidrs: props.sshAccessCidrs,
      nodePortAccessCidrs: props.nodePortAccessCidrs,
      isUnresolved: (value) => Token.isUnresolved(value),
    }),
  );
  if (props.sshAccessCidrs?.length && props.sshKeyName === undefined) {
    problems.add('sshKeyName', 'undefined', 'sshAccessCidrs opens SSH, but the nodes have no key pair to log in with', 'set sshKeyName to an EC2 key pair of the region, or reach the nodes through SSM Session Manager and leave sshAccessCidrs out');
  }
  collect(problems, () => instanceRootBlockDevice(cp.rootVolume), 'controlPlane.rootVolume');
  cp.machineImage?.check(problems, 'controlPlane.machineImage');
  pools.forEach((pool, i) => pool.machineImage.check(problems, `workerPools[${i}].machineImage`));
  pools.forEach((pool, i) => collect(problems, () => instanceRootBlockDevice(pool.rootVolume), `workerPools[${i}].rootVolume`));
  const timeout = props.readinessTimeoutMinutes;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 120)) {
    problems.add('readinessTimeoutMinutes', timeout, 'is a whole number of minutes from 1 to 120', `use for example ${DEFAULT_READINESS_TIMEOUT_MINUTES}, the default`);
  }
  const keyArn = props.secretsKmsKeyArn;
  if (keyArn !== undefined && !Token.isUnresolved(keyArn) && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(keyArn)) {
    problems.add('secretsKmsKeyArn', keyArn, 'is not the ARN of a KMS key (an alias or key id cannot be scoped in IAM policies)', "give the key's ARN, for example 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'");
  }
  if (cni instanceof Flannel && cni.enableNftables) {
    problems.add('cni', 'Cni.flannel({ enableNftables: true })', 'Flannel with nftables needs kube-proxy in nftables mode, and kubeadm runs it in iptables mode here', 'leave enableNftables off');
  }
  const version = collect(problems, () => KubernetesVersion.of(props.kubernetesVersion));
  const plan = collect(problems, () =>
    AddressPlan.create({
      vpcCidr: props.vpcCidr,
      availabilityZones: props.availabilityZones,
      zoneCount: props.zoneCount,
      existingSubnets: props.existingSubnets,
      podCidr: props.podCidr === undefined ? cni.defaultPodCidr : props.podCidr,
      serviceCidr: props.serviceCidr,
      nodeCidrMaskSize: props.nodeCidrMaskSize,
      controlPlaneCount: count === 3 ? 3 : 1,
      workerCount: pools.reduce((sum, p) => sum + Math.max(0, p.maxSize), 0),
    }),
  );
  if (cni instanceof VpcRoutes && plan) {
    cni.checkPlan(problems, plan);
  }
  (props.backup ?? EtcdBackup.toNewBucket()).check(problems, 'backup');
  checkAutoscaling(problems, props.clusterAutoscaler ?? ClusterAutoscaler.disabled(), pools, props);
  problems.throwIfAny();
  return { plan: plan!, version: version!, pools, cni };
}

/** The autoscaler's options, and that it has pools to size (and they an autoscaler). */
function checkAutoscaling(problems: ProblemList, autoscaler: ClusterAutoscaler, pools: readonly ResolvedWorkerPool[], props: TypedClusterProps): void {
  if (autoscaler.enabled) {
    autoscaler.check(problems, 'clusterAutoscaler');
    if (!pools.some((p) => p.autoscaled)) {
      problems.add('clusterAutoscaler', 'ClusterAutoscaler.enabled()', 'no worker pool gives the autoscaler room: it sizes pools with maxSize > minSize that are not autoscaled: false', 'give a pool a maxSize greater than its minSize, or leave clusterAutoscaler out');
    }
  } else {
    (props.workerPools ?? []).forEach((pool, i) => {
      if (pool?.autoscaled === true) {
        problems.add(`workerPools[${i}].autoscaled`, true, 'the cluster runs no autoscaler', 'set clusterAutoscaler: ClusterAutoscaler.enabled(), or leave autoscaled out');
      }
    });
  }
  if (props.scaleUpCheck === true) {
    if (!autoscaler.enabled) {
      problems.add('scaleUpCheck', true, 'the scale-up check proves the cluster autoscaler', 'set clusterAutoscaler: ClusterAutoscaler.enabled(), or scaleUpCheck off');
    }
    if (props.connectivityCheck === false) {
      problems.add('scaleUpCheck', true, 'the scale-up check runs after the connectivity check', 'leave connectivityCheck on, or scaleUpCheck off');
    }
  }
}

/**
 * Runs a check that throws a `ClusterConfigError` and keeps its problems for the common report,
 * with their properties under `prefix` when the check knows only its own part of the input.
 */
function collect<T>(problems: ProblemList, make: () => T, prefix?: string): T | undefined {
  try {
    return make();
  } catch (e) {
    if (e instanceof ClusterConfigError) {
      problems.addAll(prefix ? e.problems.map((p) => ({ ...p, property: `${prefix}.${p.property}` })) : e.problems);
      return undefined;
    }
    throw e;
  }
}
