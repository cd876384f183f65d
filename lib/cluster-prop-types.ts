import type { ControlPlaneOptions, KubeadmClusterProps } from './cluster-props';
import type { CniPlugin } from './cni/cni-plugin';
import type { RootVolumeOptions } from './network/instance-hardening';
import { ClusterNetworkSource } from './network/network-source';
import { ControlPlaneNodes } from './nodes/control-plane-nodes';
import { MachineImage } from './nodes/ami';
import { EtcdBackup } from './operations/etcd-backup';
import { ClusterAutoscaler } from './addons/cluster-autoscaler-options';
import { ServiceAccountIssuerHosting } from './addons/issuer-hosting';
import type { WorkerPoolOptions } from './nodes/worker-pool-options';
import type { ProblemList } from './plan/problems';
import { BOOLEAN, checkPropTypes, checkType, ExpectedType, isPlainObject, LIST, NUMBER, OBJECT, STRING, STRING_LIST } from './plan/prop-types';

// The type of every KubeadmCluster prop, checked before the cluster's checks read any of them.

/** The props the address plan takes as they are; it checks their types itself, under the same names. */
type PlanProps = 'vpcCidr' | 'availabilityZones' | 'zoneCount' | 'existingSubnets' | 'podCidr' | 'serviceCidr' | 'nodeCidrMaskSize';


const CNI_PLUGIN: ExpectedType = {
  name: 'a network plugin (CniPlugin)',
  check: (v) => {
    const plugin = v as Partial<CniPlugin> | null;
    return isPlainObject(plugin) && typeof plugin.install === 'function' && typeof plugin.name === 'string' && typeof plugin.defaultPodCidr === 'string' && Array.isArray(plugin.ports) && isPlainObject(plugin.datapath);
  },
  example: 'Cni.weave()',
};

const MACHINE_IMAGE: ExpectedType = { name: 'a MachineImage', check: (v) => v instanceof MachineImage, example: 'MachineImage.ubuntu2404()' };

const ROOT_VOLUME_TYPES: { readonly [K in keyof RootVolumeOptions]-?: ExpectedType } = {
  sizeGiB: NUMBER(30),
  kmsKeyId: STRING('alias/ebs-nodes'),
};

const CONTROL_PLANE_TYPES: { readonly [K in keyof ControlPlaneOptions]-?: ExpectedType } = {
  count: NUMBER(1),
  instanceType: STRING('t3.medium'),
  machineImage: MACHINE_IMAGE,
  rootVolume: OBJECT('{ sizeGiB: 30 }'),
  nodes: { name: 'a ControlPlaneNodes', check: (v) => v instanceof ControlPlaneNodes, example: 'ControlPlaneNodes.selfHealing()' },
};

const WORKER_POOL_TYPES: { readonly [K in keyof WorkerPoolOptions]-?: ExpectedType } = {
  name: STRING('workers'),
  desiredSize: NUMBER(2),
  minSize: NUMBER(2),
  maxSize: NUMBER(4),
  instanceTypes: STRING_LIST(['t3.medium']),
  spot: BOOLEAN,
  machineImage: MACHINE_IMAGE,
  rootVolume: OBJECT('{ sizeGiB: 30 }'),
  podsReachInstanceMetadata: BOOLEAN,
  labels: OBJECT("{ 'example.com/workload': 'batch' }"),
  taints: LIST("[{ key: 'example.com/dedicated', value: 'batch', effect: TaintEffect.NO_SCHEDULE }]"),
  autoscaled: BOOLEAN,
};

export const CLUSTER_PROP_TYPES: { readonly [K in Exclude<keyof KubeadmClusterProps, PlanProps>]-?: ExpectedType } = {
  clusterName: STRING('demo'),
  kubernetesVersion: STRING('1.36.4'),
  network: { name: 'a ClusterNetworkSource', check: (v) => v instanceof ClusterNetworkSource, example: 'ClusterNetworkSource.newVpc()' },
  controlPlane: OBJECT("{ count: 1, instanceType: 't3.medium' }"),
  workerPools: LIST("[{ name: 'workers', desiredSize: 2 }]"),
  cni: CNI_PLUGIN,
  apiAccessCidrs: STRING_LIST(['192.0.2.0/24']),
  sshAccessCidrs: STRING_LIST(['192.0.2.0/24']),
  sshKeyName: STRING('my-key-pair'),
  nodePortAccessCidrs: STRING_LIST(['192.0.2.0/24']),
  connectivityCheck: BOOLEAN,
  cloudCheck: BOOLEAN,
  readinessTimeoutMinutes: NUMBER(50),
  secretsKmsKeyArn: STRING('arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  backup: { name: 'an EtcdBackup', check: (v) => v instanceof EtcdBackup, example: 'EtcdBackup.toNewBucket()' },
  serviceAccountIssuerHosting: { name: 'a ServiceAccountIssuerHosting', check: (v) => v instanceof ServiceAccountIssuerHosting, example: 'ServiceAccountIssuerHosting.cloudFront()' },
  cloudControllerManager: BOOLEAN,
  ebsCsiDriver: BOOLEAN,
  metricsServer: BOOLEAN,
  nodeTerminationHandler: BOOLEAN,
  clusterAutoscaler: { name: 'a ClusterAutoscaler', check: (v) => v instanceof ClusterAutoscaler, example: 'ClusterAutoscaler.enabled()' },
  scaleUpCheck: BOOLEAN,
  cleanUpOnDestroy: BOOLEAN,
  removeSnapshotsOnDestroy: BOOLEAN,
  abandon: BOOLEAN,
};

/** The props the address plan checks, by the names the plan and the cluster share. */
export const PLAN_PROP_NAMES: readonly PlanProps[] = ['vpcCidr', 'availabilityZones', 'zoneCount', 'existingSubnets', 'podCidr', 'serviceCidr', 'nodeCidrMaskSize'];

/** Cluster props whose nested options have the right types; a pool of the wrong type is undefined. */
export interface TypedClusterProps extends Omit<Partial<KubeadmClusterProps>, 'workerPools'> {
  readonly workerPools?: ReadonlyArray<WorkerPoolOptions | undefined>;
}

/**
 * Checks the type of every prop (the address plan's own are left to the plan, which reports them
 * under the same names) and returns the props without those of the wrong type, nested options
 * included, so that the cluster's checks read only the types they were written for.
 */
export function checkClusterPropTypes(problems: ProblemList, props: unknown): TypedClusterProps {
  const typed = checkPropTypes<Omit<KubeadmClusterProps, PlanProps>>(problems, '', props, CLUSTER_PROP_TYPES);
  const rootVolume = (property: string, options: { readonly rootVolume?: RootVolumeOptions }) =>
    options.rootVolume === undefined ? {} : { rootVolume: checkPropTypes<RootVolumeOptions>(problems, `${property}.rootVolume`, options.rootVolume, ROOT_VOLUME_TYPES) };
  let controlPlane: ControlPlaneOptions | undefined;
  if (typed.controlPlane !== undefined) {
    const options = checkPropTypes<ControlPlaneOptions>(problems, 'controlPlane', typed.controlPlane, CONTROL_PLANE_TYPES);
    controlPlane = { ...options, ...rootVolume('controlPlane', options) };
  }
  const workerPools = typed.workerPools?.map((pool, i) => {
    const property = `workerPools[${i}]`;
    if (!checkType(problems, property, pool, OBJECT("{ name: 'workers', desiredSize: 2 }")) || !isPlainObject(pool)) {
      return undefined;
    }
    const options = checkPropTypes<WorkerPoolOptions>(problems, property, pool, WORKER_POOL_TYPES);
    return { ...options, ...rootVolume(property, options) } as WorkerPoolOptions;
  });
  const planProps = isPlainObject(props) ? Object.fromEntries(PLAN_PROP_NAMES.filter((k) => k in props).map((k) => [k, props[k]])) : {};
  return {
    ...planProps,
    ...typed,
    ...(controlPlane !== undefined ? { controlPlane } : {}),
    ...(workerPools !== undefined ? { workerPools } : {}),
  };
}
