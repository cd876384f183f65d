import { Eip } from '@cdktf/provider-aws/lib/eip';
import { EipAssociation } from '@cdktf/provider-aws/lib/eip-association';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { instanceRootBlockDevice, NODE_METADATA_OPTIONS, RootVolumeOptions } from '../network/instance-hardening';
import { controlPlaneNodeTagKey, nodeRoleTagKey, ownedResourceTags } from '../network/tags';
import { terraformText } from '../util/terraform-text';
import type { ControlPlaneNodePlan } from '../plan/address-plan';
import { MachineImage } from './ami';
import { ApiLoadBalancers } from './api-load-balancers';
import { architectureOf } from './architecture';
import { ControlPlaneNodes, SelfHealingNode } from './control-plane-nodes';

/** Where the API server can be reached, known before any control-plane instance exists. */
export interface ControlPlaneEndpoint {
  /** Address users and Terraform reach the API on (Elastic IP, or the public load balancer). */
  readonly publicHost: string;
  /** Address nodes reach the API on from inside the VPC (kubeadm's controlPlaneEndpoint). */
  readonly privateHost: string;
}

/** What the load balancers of a highly available control plane need. */
export interface ControlPlaneLoadBalancing {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly nodeSecurityGroupIds: readonly string[];
  readonly apiAccessCidrs: readonly string[];
}

export interface ControlPlaneProps {
  readonly clusterName: string;
  /**
   * EC2's source/destination check on the nodes; off for a routed pod network, whose nodes forward
   * packets of pod addresses.
   * @default true
   */
  readonly sourceDestCheck?: boolean;
  /** The control-plane nodes of the address plan (1, or 3 behind load balancers). */
  readonly nodes: readonly ControlPlaneNodePlan[];
  /** Subnet id for each plan subnet name. */
  readonly subnetId: (subnetName: string) => string;
  /** The control-plane security group (first) and any others. */
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileName: string;
  /**
   * Required with more than one node.
   * @default - none: a single node with an Elastic IP
   */
  readonly loadBalancing?: ControlPlaneLoadBalancing;
  /**
   * @default 't3.medium' (2 vCPU and 4 GiB, above kubeadm's minimum of 2 vCPU and 2 GiB)
   */
  readonly instanceType?: string;
  /**
   * @default MachineImage.ubuntu2404()
   */
  readonly machineImage?: MachineImage;
  /**
   * @default - 30 GiB gp3, encrypted
   */
  readonly rootVolume?: RootVolumeOptions;
  /**
   * What the instances wait for besides their own inputs (the network's routes to the internet).
   * @default - nothing
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * EC2 key pair for SSH logins.
   * @default - none
   */
  readonly keyName?: string;
  /**
   * Self-healing groups of one (the default) or plain instances.
   * @default ControlPlaneNodes.selfHealing()
   */
  readonly nodeKind?: ControlPlaneNodes;
  /** Renders a node's cloud-init user-data once the endpoint (and its etcd volume, if any) is known. */
  readonly userData: (node: ControlPlaneNodePlan, endpoint: ControlPlaneEndpoint, etcdVolumeId?: string) => string;
}

export const DEFAULT_NODE_INSTANCE_TYPE = 't3.medium';

/**
 * The control-plane nodes at their fixed private IPs. A single node gets an Elastic IP, allocated
 * before the instance so that the public address is in the API server certificate from the first
 * boot, and nodes reach it at its private IP. Three nodes sit behind two network load balancers
 * (see `ApiLoadBalancers`), whose names are known before the instances for the same reason.
 */
export class ControlPlane extends Construct {
  public readonly endpoint: ControlPlaneEndpoint;
  /** The nodes' instances with `ControlPlaneNodes.instances()`; empty for self-healing nodes. */
  public readonly instances: readonly Instance[];
  /** The self-healing nodes (groups of one, network interfaces, etcd volumes); empty with instances. */
  public readonly selfHealingNodes: readonly SelfHealingNode[];
  /** The Elastic IP of a single-node control plane. */
  public readonly elasticIp?: Eip;
  /** The load balancers of a highly available control plane. */
  public readonly loadBalancers?: ApiLoadBalancers;
  /** What must exist before the API can answer. */
  public readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE;
    const image = props.machineImage ?? MachineImage.ubuntu2404();

    const selfHealing = (props.nodeKind ?? ControlPlaneNodes.selfHealing()).kind === 'self-healing';
    const dependsOn = props.dependsOn ? [...props.dependsOn] : undefined;
    const highlyAvailable = props.nodes.length > 1;
    const balancing = props.loadBalancing;
    if (highlyAvailable && !balancing) {
      throw new Error('ControlPlane: loadBalancing is required with more than one control-plane node');
    }
    if (highlyAvailable) {
      this.loadBalancers = new ApiLoadBalancers(this, 'api', {
        clusterName: props.clusterName,
        vpcId: balancing!.vpcId,
        subnetIds: balancing!.subnetIds,
        controlPlaneSecurityGroupId: props.securityGroupIds[0],
        nodeSecurityGroupIds: balancing!.nodeSecurityGroupIds,
        apiAccessCidrs: balancing!.apiAccessCidrs,
        targetType: selfHealing ? 'ip' : 'instance',
      });
      this.endpoint = { publicHost: this.loadBalancers.publicHost, privateHost: this.loadBalancers.internalHost };
    } else {
      this.elasticIp = new Eip(this, 'endpoint', { domain: 'vpc', tags: ownedResourceTags(props.clusterName, `${props.clusterName}-api`) });
      this.endpoint = { publicHost: this.elasticIp.publicIp, privateHost: props.nodes[0].privateIp };
    }

    if (selfHealing) {
      const imageId = image.amiId(this, architectureOf(instanceType));
      this.instances = [];
      this.selfHealingNodes = props.nodes.map(
        (node) =>
          new SelfHealingNode(this, `node-${node.index}`, {
            clusterName: props.clusterName,
            node,
            subnetId: props.subnetId(node.subnetName),
            securityGroupIds: props.securityGroupIds,
            instanceProfileName: props.instanceProfileName,
            instanceType,
            imageId,
            machineImage: image,
            rootVolume: props.rootVolume,
            keyName: props.keyName,
            etcdVolumeSizeGiB: (props.nodeKind ?? ControlPlaneNodes.selfHealing()).options.etcdVolumeSizeGiB,
            sourceDestCheck: props.sourceDestCheck,
            dependsOn: props.dependsOn,
            userData: (volumeId) => props.userData(node, this.endpoint, volumeId),
          }),
      );
      // The targets are the fixed addresses, which every replacement instance takes over.
      props.nodes.forEach((node) => this.loadBalancers?.addTarget(node.privateIp));
      const groups = this.selfHealingNodes.map((n) => n.group);
      // Control-plane nodes sit in public subnets, whose only way out is the internet gateway, and
      // EC2 gives a public IPv4 address only to an interface it creates at launch, never to one made
      // beforehand (AssociatePublicIpAddress, EC2 API reference). So every node's interface gets an
      // Elastic IP, and its group waits for it: without one the first boot cannot reach the package
      // repositories. A single node's is the endpoint's own address. An association needs the
      // VPC's internet gateway attached (EC2 refuses it before), hence the network's routes first.
      const associations = this.selfHealingNodes.map((selfHealingNode, i) => {
        if (i === 0 && this.elasticIp) {
          return new EipAssociation(this, 'endpoint-association', {
            allocationId: this.elasticIp.allocationId,
            networkInterfaceId: selfHealingNode.networkInterface.id,
            dependsOn,
          });
        }
        const index = props.nodes[i].index;
        const address = new Eip(this, `node-${index}-address`, {
          domain: 'vpc',
          tags: ownedResourceTags(props.clusterName, `${props.clusterName}-control-plane-${index}`),
        });
        return new EipAssociation(this, `node-${index}-address-association`, {
          allocationId: address.allocationId,
          networkInterfaceId: selfHealingNode.networkInterface.id,
          dependsOn,
        });
      });
      this.selfHealingNodes.forEach((selfHealingNode, i) => selfHealingNode.waitFor(associations[i]));
      this.ready = this.elasticIp ? [...groups, ...associations] : [...groups, ...this.loadBalancers!.listeners];
      return;
    }
    this.selfHealingNodes = [];
    this.instances = props.nodes.map(
      (node) =>
        new Instance(this, `node-${node.index}`, {
          ami: image.amiId(this, architectureOf(instanceType)),
          instanceType,
          subnetId: props.subnetId(node.subnetName),
          privateIp: node.privateIp,
          vpcSecurityGroupIds: [...props.securityGroupIds],
          iamInstanceProfile: props.instanceProfileName,
          keyName: props.keyName,
          metadataOptions: { ...NODE_METADATA_OPTIONS },
          rootBlockDevice: instanceRootBlockDevice(props.rootVolume),
          // Source/destination checks stay on for the overlays, which carry pod traffic between node
          // addresses; a routed pod network forwards pod addresses, so they go off (EC2 drops
          // packets an instance neither sent nor is addressed to while the check is on).
          sourceDestCheck: props.sourceDestCheck,
          // cloud-init reads gzip-compressed user-data.
          userDataBase64: Fn.base64gzip(terraformText(props.userData(node, this.endpoint))),
          // The node tag is how the node's upgrade association finds it (see addKubernetesUpgrade).
          tags: {
            ...ownedResourceTags(props.clusterName, `${props.clusterName}-control-plane-${node.index}`),
            [nodeRoleTagKey(props.clusterName)]: 'control-plane',
            [controlPlaneNodeTagKey(props.clusterName)]: String(node.index),
          },
          volumeTags: ownedResourceTags(props.clusterName, `${props.clusterName}-control-plane-${node.index}`),
          dependsOn,
          // A newer Ubuntu image must not replace the node that holds etcd. User-data runs once, at
          // the first boot; a change would only stop and start the node, so changes reach a running
          // control plane through the SSM channel, never through user-data.
          lifecycle: { ignoreChanges: ['ami', 'user_data_base64'] },
        }),
    );
    this.instances.forEach((instance) => this.loadBalancers?.addTarget(instance.id));
    if (this.elasticIp) {
      const association = new EipAssociation(this, 'endpoint-association', {
        allocationId: this.elasticIp.allocationId,
        instanceId: this.instances[0].id,
        dependsOn,
      });
      this.ready = [...this.instances, association];
    } else {
      this.ready = [...this.instances, ...this.loadBalancers!.listeners];
    }
  }
}
