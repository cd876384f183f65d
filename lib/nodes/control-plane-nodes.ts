import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { DataAwsSubnet } from '@cdktf/provider-aws/lib/data-aws-subnet';
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { NetworkInterface } from '@cdktf/provider-aws/lib/network-interface';
import { dependable, Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { launchTemplateRootBlockDevice, NODE_METADATA_OPTIONS, RootVolumeOptions } from '../network/instance-hardening';
import { controlPlaneNodeTagKey, nodeRoleTagKey, ownedResourceTags } from '../network/tags';
import type { ControlPlaneNodePlan } from '../plan/address-plan';
import { ProblemList } from '../plan/problems';
import { terraformText } from '../util/terraform-text';
import { MachineImage } from './ami';

/**
 * How control-plane nodes run. `ControlPlaneNodes.selfHealing()` (the default for new clusters):
 * each node is an auto scaling group of one in its zone, whose launch template's primary network
 * interface is a network interface that keeps the node's fixed private IP (and, with one node, the
 * Elastic IP), and whose etcd data lives on an EBS volume of its own that every replacement
 * attaches at boot. AWS replaces a lost instance; no deploy is needed. `ControlPlaneNodes.instances()`
 * keeps one `aws_instance` per node, as clusters deployed before this release have them: moving
 * those to groups replaces their nodes (see "Moving a cluster from the previous release").
 * Sources: docs/control-plane-self-healing.md.
 */
export class ControlPlaneNodes {
  /** Auto scaling groups of one, with network interfaces and etcd volumes that outlive instances. */
  public static selfHealing(options: SelfHealingOptions = {}): ControlPlaneNodes {
    return new ControlPlaneNodes('self-healing', options);
  }

  /** One `aws_instance` per node, replaced only by a deploy (the previous release's shape). */
  public static instances(): ControlPlaneNodes {
    return new ControlPlaneNodes('instances', {});
  }

  private constructor(
    public readonly kind: 'self-healing' | 'instances',
    public readonly options: SelfHealingOptions,
  ) {}
}

export interface SelfHealingOptions {
  /**
   * Size of each node's etcd volume, in GiB. etcd's own database is limited to 8 GiB by default
   * (kubeadm keeps etcd's default quota of 2 GiB), so 20 GiB leaves room for its write-ahead log
   * and a snapshot beside it.
   * @default 20
   */
  readonly etcdVolumeSizeGiB?: number;
}

export const DEFAULT_ETCD_VOLUME_GIB = 20;

/** Name of a control-plane node's auto scaling group (and launch template): `<cluster>-control-plane-<i>`. */
export function controlPlaneGroupName(clusterName: string, index: number): string {
  return `${clusterName}-control-plane-${index}`;
}

export interface SelfHealingNodeProps {
  readonly clusterName: string;
  readonly node: ControlPlaneNodePlan;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileName: string;
  readonly instanceType: string;
  /** The image id, looked up (and pinned) once for the whole control plane. */
  readonly imageId: string;
  /** The image's root device name. */
  readonly machineImage: MachineImage;
  readonly rootVolume?: RootVolumeOptions;
  readonly keyName?: string;
  readonly etcdVolumeSizeGiB?: number;
  /**
   * Off for a routed pod network, which forwards pod addresses: the check belongs to the network
   * interface, which every replacement instance takes over.
   * @default true
   */
  readonly sourceDestCheck?: boolean;
  readonly dependsOn?: readonly ITerraformDependable[];
  /** The node's user-data; it gets the etcd volume's id. */
  readonly userData: (etcdVolumeId: string) => string;
}

/**
 * One self-healing control-plane node: its network interface (the fixed private IP), its etcd
 * volume in the interface's zone, and an auto scaling group of one whose launch template puts the
 * interface in as the primary one. The group never holds two instances: the interface can be
 * attached to one instance only, so a replacement is launched once the old instance has gone
 * (instance maintenance policy 0 % to 100 %). Nothing rolls the node by itself: a new launch
 * template version applies to the next replacement.
 */
export class SelfHealingNode extends Construct {
  public readonly networkInterface: NetworkInterface;
  public readonly etcdVolume: EbsVolume;
  public readonly launchTemplate: LaunchTemplate;
  public readonly group: AutoscalingGroup;

  constructor(scope: Construct, id: string, props: SelfHealingNodeProps) {
    super(scope, id);
    const { clusterName, node } = props;
    const name = controlPlaneGroupName(clusterName, node.index);
    const size = props.etcdVolumeSizeGiB ?? DEFAULT_ETCD_VOLUME_GIB;
    const problems = new ProblemList();
    if (!Number.isInteger(size) || size < 8 || size > 1024) {
      problems.add('controlPlane.nodes.etcdVolumeSizeGiB', size, 'is not a whole number of GiB from 8 to 1024', `leave it out (${DEFAULT_ETCD_VOLUME_GIB}) or give, for example, 50`);
    }
    problems.throwIfAny();
    const nodeTags = {
      ...ownedResourceTags(clusterName, name),
      [nodeRoleTagKey(clusterName)]: 'control-plane',
      [controlPlaneNodeTagKey(clusterName)]: String(node.index),
    };

    this.networkInterface = new NetworkInterface(this, 'network-interface', {
      subnetId: props.subnetId,
      privateIps: [node.privateIp],
      securityGroups: [...props.securityGroupIds],
      description: `Control-plane node ${node.index} of ${clusterName}: its fixed address, kept across instances`,
      sourceDestCheck: props.sourceDestCheck,
      tags: nodeTags,
    });
    const zone = new DataAwsSubnet(this, 'subnet', { id: props.subnetId }).availabilityZone;
    this.etcdVolume = new EbsVolume(this, 'etcd-volume', {
      availabilityZone: zone,
      size,
      type: 'gp3',
      encrypted: true,
      tags: { ...nodeTags, Name: `${name}-etcd` },
      // The cluster's data: never replaced by a deploy.
      lifecycle: { ignoreChanges: ['availability_zone'] },
    });
    this.launchTemplate = new LaunchTemplate(this, 'launch-template', {
      name,
      imageId: props.imageId,
      instanceType: props.instanceType,
      iamInstanceProfile: { name: props.instanceProfileName },
      keyName: props.keyName,
      // The security groups are the interface's own (a launch template that names an interface
      // may not name groups besides).
      networkInterfaces: [{ deviceIndex: 0, networkInterfaceId: this.networkInterface.id, deleteOnTermination: 'false' }],
      metadataOptions: { ...NODE_METADATA_OPTIONS },
      blockDeviceMappings: [launchTemplateRootBlockDevice(props.machineImage.rootDeviceName, props.rootVolume)],
      userData: Fn.base64gzip(terraformText(props.userData(this.etcdVolume.id))),
      updateDefaultVersion: true,
      tagSpecifications: [{ resourceType: 'volume', tags: nodeTags }],
      tags: nodeTags,
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
    this.group = new AutoscalingGroup(this, 'group', {
      name,
      minSize: 1,
      maxSize: 1,
      desiredCapacity: 1,
      vpcZoneIdentifier: [props.subnetId],
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      // A replacement only after the old instance has gone: the interface fits one instance.
      instanceMaintenancePolicy: { minHealthyPercentage: 0, maxHealthyPercentage: 100 },
      // Terraform waits for the instance to run, not for Kubernetes (the readiness wait does).
      waitForCapacityTimeout: '10m',
      // The upgrade associations find each node by these tags, whichever instance it is now.
      tag: Object.entries(nodeTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
  }

  /** Makes the group (and so every instance it launches) wait for `dependency` as well. */
  public waitFor(dependency: ITerraformDependable): void {
    // dependable() is how cdktf renders a constructor's dependsOn: a bare address.
    this.group.dependsOn = [...(this.group.dependsOn ?? []), dependable(dependency)];
  }
}
