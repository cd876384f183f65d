import { Eip } from '@cdktf/provider-aws/lib/eip';
import { EipAssociation } from '@cdktf/provider-aws/lib/eip-association';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { instanceRootBlockDevice, NODE_METADATA_OPTIONS, RootVolumeOptions } from '../network/instance-hardening';
import { ownedResourceTags } from '../network/tags';
import type { ControlPlaneNodePlan } from '../plan/address-plan';
import { MachineImage } from './ami';
import { architectureOf } from './architecture';

/** Where the API server can be reached, known before any control-plane instance exists. */
export interface ControlPlaneEndpoint {
  /** Address users and Terraform reach the API on (the Elastic IP). */
  readonly publicHost: string;
  /** Address nodes reach the API on from inside the VPC. */
  readonly privateHost: string;
}

export interface ControlPlaneProps {
  readonly clusterName: string;
  /** The control-plane nodes of the address plan (1 node). */
  readonly nodes: readonly ControlPlaneNodePlan[];
  /** Subnet id for each plan subnet name. */
  readonly subnetId: (subnetName: string) => string;
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileName: string;
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
  /** Renders a node's cloud-init user-data once the endpoint is known. */
  readonly userData: (node: ControlPlaneNodePlan, endpoint: ControlPlaneEndpoint) => string;
}

export const DEFAULT_NODE_INSTANCE_TYPE = 't3.medium';

/**
 * A single control-plane node at its fixed private IP, with an Elastic IP allocated before the
 * instance so that the public address is in the API server certificate from the first boot.
 */
export class ControlPlane extends Construct {
  public readonly endpoint: ControlPlaneEndpoint;
  public readonly instances: readonly Instance[];
  public readonly elasticIp: Eip;
  /** What must exist before the API can answer. */
  public readonly ready: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ControlPlaneProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE;
    const image = props.machineImage ?? MachineImage.ubuntu2404();

    this.elasticIp = new Eip(this, 'endpoint', { domain: 'vpc', tags: ownedResourceTags(props.clusterName, `${props.clusterName}-api`) });
    this.endpoint = { publicHost: this.elasticIp.publicIp, privateHost: props.nodes[0].privateIp };

    this.instances = props.nodes.map(
      (node) =>
        new Instance(this, `node-${node.index}`, {
          ami: image.amiId(this, architectureOf(instanceType)),
          instanceType,
          subnetId: props.subnetId(node.subnetName),
          privateIp: node.privateIp,
          vpcSecurityGroupIds: [...props.securityGroupIds],
          iamInstanceProfile: props.instanceProfileName,
          metadataOptions: { ...NODE_METADATA_OPTIONS },
          rootBlockDevice: instanceRootBlockDevice(props.rootVolume),
          // Source/destination checks stay on: the network plugins used here encapsulate pod
          // traffic in packets between node addresses.
          userDataBase64: Fn.base64encode(props.userData(node, this.endpoint)),
          tags: ownedResourceTags(props.clusterName, `${props.clusterName}-control-plane-${node.index}`),
          volumeTags: ownedResourceTags(props.clusterName, `${props.clusterName}-control-plane-${node.index}`),
          // A newer Ubuntu image must not replace the node that holds etcd; new nodes pick it up.
          lifecycle: { ignoreChanges: ['ami'] },
        }),
    );
    const association = new EipAssociation(this, 'endpoint-association', {
      allocationId: this.elasticIp.allocationId,
      instanceId: this.instances[0].id,
    });
    this.ready = [...this.instances, association];
  }
}
