import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { launchTemplateRootBlockDevice, NODE_METADATA_OPTIONS, POD_REACHABLE_METADATA_OPTIONS } from '../network/instance-hardening';
import { clusterTagKey, nodeRoleTagKey, ownedResourceTags, terminationHandlerTagKey } from '../network/tags';
import { terraformText } from '../util/terraform-text';
import { architectureOf } from './architecture';
import { autoscalingTags } from './autoscaling-tags';
import { LAUNCH_HEARTBEAT_SECONDS, LAUNCH_HOOK_NAME, TERMINATION_HEARTBEAT_SECONDS, TERMINATION_HOOK_NAME, WAIT_FOR_CAPACITY_TIMEOUT } from './lifecycle-hooks';
import type { ResolvedWorkerPool } from './worker-pool-options';

export interface WorkerPoolProps {
  readonly clusterName: string;
  readonly pool: ResolvedWorkerPool;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileArn: string;
  /**
   * EC2 key pair for SSH logins.
   * @default - none
   */
  readonly keyName?: string;
  /** The workers' cloud-init user-data (kubeadm join). */
  readonly userData: string;
  /**
   * What the pool's launch template and group wait for (the network's routes to the internet, what
   * workers read at boot, the control plane's upgrade).
   * @default - nothing
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * With the cluster autoscaler, the pods a node holds (the kubelet's `maxPods`): a pool whose
   * `autoscaled` holds then carries the autoscaler's discovery and node-template tags.
   * @default - the cluster has no autoscaler
   */
  readonly autoscaler?: { readonly podsPerNode: number };
}

/**
 * Worker nodes as a launch template and an auto scaling group. Workers need only the CA, which
 * exists before the control plane, and the join token a control-plane node publishes, so the pool
 * boots alongside the control plane and each node waits for the token and retries its join until
 * the API answers.
 */
export class WorkerPool extends Construct {
  /** Name of a pool's auto scaling group (and launch template): `<cluster>-<pool>`. */
  public static groupName(clusterName: string, poolName: string): string {
    return `${clusterName}-${poolName}`;
  }

  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: WorkerPoolProps) {
    super(scope, id);
    const { pool, clusterName } = props;
    const name = WorkerPool.groupName(clusterName, pool.name);
    const tags = { ...ownedResourceTags(clusterName, name), [nodeRoleTagKey(clusterName)]: 'worker' };

    this.launchTemplate = new LaunchTemplate(this, 'launch-template', {
      name,
      imageId: pool.machineImage.amiId(this, architectureOf(pool.instanceTypes[0])),
      instanceType: pool.spot || pool.instanceTypes.length > 1 ? undefined : pool.instanceTypes[0],
      iamInstanceProfile: { arn: props.instanceProfileArn },
      keyName: props.keyName,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      metadataOptions: { ...(pool.podsReachInstanceMetadata ? POD_REACHABLE_METADATA_OPTIONS : NODE_METADATA_OPTIONS) },
      blockDeviceMappings: [launchTemplateRootBlockDevice(pool.machineImage.rootDeviceName, pool.rootVolume)],
      // cloud-init reads gzip-compressed user-data.
      userData: Fn.base64gzip(terraformText(props.userData)),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: 'instance', tags },
        { resourceType: 'volume', tags },
      ],
      tags,
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });

    const launchTemplate = { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() };
    const mixed = pool.spot || pool.instanceTypes.length > 1;
    this.autoScalingGroup = new AutoscalingGroup(this, 'group', {
      name,
      minSize: pool.minSize,
      maxSize: pool.maxSize,
      desiredCapacity: pool.desiredSize,
      vpcZoneIdentifier: [...props.subnetIds],
      ...(mixed
        ? {
            mixedInstancesPolicy: {
              launchTemplate: {
                launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version: launchTemplate.version },
                override: pool.instanceTypes.map((instanceType) => ({ instanceType })),
              },
              instancesDistribution: pool.spot
                ? { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: 'price-capacity-optimized' }
                : { onDemandPercentageAboveBaseCapacity: 100 },
            },
          }
        : { launchTemplate }),
      // A Spot pool replaces an instance at elevated risk of interruption before EC2 reclaims it:
      // the new one first, then the old one through the termination hook (and so a drain).
      capacityRebalance: pool.spot ? true : undefined,
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      // A new launch template version rolls the pool, so workers pick up new settings: new
      // instances first (up to twice the group's size), each counted only once its Node is Ready
      // (the launch hook), and old ones go only as new ones are counted.
      instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200 } },
      // Hooks on the group from its first instance on. The worker's bootstrap completes the launch
      // hook once its Node is Ready; an instance that never gets there is given up (ABANDON).
      initialLifecycleHook: [
        { name: LAUNCH_HOOK_NAME, lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', heartbeatTimeout: LAUNCH_HEARTBEAT_SECONDS, defaultResult: 'ABANDON' },
        { name: TERMINATION_HOOK_NAME, lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', heartbeatTimeout: TERMINATION_HEARTBEAT_SECONDS, defaultResult: 'CONTINUE' },
      ],
      // The first instances become Ready nodes only after the control plane and the network plugin.
      waitForCapacityTimeout: WAIT_FOR_CAPACITY_TIMEOUT,
      // A destroy deletes the group with its instances at once, without waiting for hooks.
      forceDelete: true,
      tag: [
        { key: 'Name', value: name, propagateAtLaunch: true },
        { key: clusterTagKey(clusterName), value: 'owned', propagateAtLaunch: true },
        // On the group, not the launch template: groups of an earlier release get it without a roll.
        { key: terminationHandlerTagKey(clusterName), value: 'drain', propagateAtLaunch: true },
        // Group tags change in place, so turning the autoscaler on or off rolls no instance.
        ...(props.autoscaler && pool.autoscaled
          ? autoscalingTags({ clusterName, pool, podsPerNode: props.autoscaler.podsPerNode }).map((tag) => ({ ...tag, propagateAtLaunch: false }))
          : []),
      ],
      // desiredSize is the size the group starts with. Afterwards the group's size is the
      // operators' (or an autoscaler's) to set; a later deploy must not undo it.
      lifecycle: { ignoreChanges: ['desired_capacity'] },
    });
  }
}
