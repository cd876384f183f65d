import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { Construct } from 'constructs';
import type { ChannelProgram, ControlPlaneRecovery } from '../bootstrap/bootstrap-program';
import { ClusterGeneration } from '../bootstrap/cluster-generation';

export { ControlPlaneNodes } from './control-plane-nodes';
import type { NodeIdentity } from '../network/node-identity';
import { addControlPlaneRecoveryLibrary } from '../operations/control-plane-recovery-library';
import type { NodeChannel } from '../operations/node-channel';
import { clusterTagKey, controlPlaneNodeTagKey } from '../network/tags';
import type { ControlPlaneNodePlan } from '../plan/address-plan';
import { controlPlaneGroupName, ControlPlaneNodes } from './control-plane-nodes';

export interface ControlPlaneRecoveryWiringProps {
  readonly clusterName: string;
  readonly parameterPath: string;
  readonly region: string;
  readonly partition: string;
  readonly nodes: readonly ControlPlaneNodePlan[];
  readonly nodeKind: ControlPlaneNodes;
  /** The control-plane identity, which gets the permissions before any node boots. */
  readonly identity: NodeIdentity;
  /** The SSM channel, which carries the bootstrap's recovery library. */
  readonly channel: NodeChannel;
}

/**
 * The cluster's side of the control plane's recovery: the generation parameter, the control-plane
 * role's right to read and write it, to attach its etcd volumes and to fence the other nodes'
 * groups (self-healing nodes only), and each node's recovery settings for its bootstrap.
 */
export class ControlPlaneRecoveryWiring extends Construct {
  public readonly generation: ClusterGeneration;
  /** The bootstrap's recovery library and the channel document that installs it. */
  public readonly library: ChannelProgram;
  private readonly props: ControlPlaneRecoveryWiringProps;

  constructor(scope: Construct, id: string, props: ControlPlaneRecoveryWiringProps) {
    super(scope, id);
    this.props = props;
    this.generation = new ClusterGeneration(this, 'generation', { clusterName: props.clusterName, parameterPath: props.parameterPath });
    this.library = addControlPlaneRecoveryLibrary(props.channel).library;
    const statements = [this.generation.controlPlaneStatement()];
    if (this.selfHealing) {
      const account = new DataAwsCallerIdentity(this, 'account').accountId;
      const arn = (kind: string) => `arn:${props.partition}:ec2:${props.region}:${account}:${kind}/*`;
      // AttachVolume is authorised on the volume and on the instance: both must be this cluster's
      // control plane's, by their tags.
      const tagged = (extra: Record<string, string>) => ({ StringEquals: { [`aws:ResourceTag/${clusterTagKey(props.clusterName)}`]: 'owned', ...extra } });
      statements.push(
        { Sid: 'AttachControlPlaneEtcdVolumes', Effect: 'Allow', Action: ['ec2:AttachVolume'], Resource: [arn('volume')], Condition: { ...tagged({}), StringLike: { [`aws:ResourceTag/${controlPlaneNodeTagKey(props.clusterName)}`]: '*' } } },
        { Sid: 'ToControlPlaneInstances', Effect: 'Allow', Action: ['ec2:AttachVolume'], Resource: [arn('instance')], Condition: { ...tagged({}), StringLike: { [`aws:ResourceTag/${controlPlaneNodeTagKey(props.clusterName)}`]: '*' } } },
      );
      if (props.nodes.length > 1) {
        statements.push({
          Sid: 'FenceControlPlaneGroups',
          Effect: 'Allow',
          Action: ['autoscaling:UpdateAutoScalingGroup'],
          Resource: props.nodes.map((n) => `arn:${props.partition}:autoscaling:${props.region}:${account}:autoScalingGroup:*:autoScalingGroupName/${controlPlaneGroupName(props.clusterName, n.index)}`),
        });
      }
    }
    props.identity.addPolicy('recovery-policy', 'control-plane-recovery', { Version: '2012-10-17', Statement: statements });
  }

  private get selfHealing(): boolean {
    return this.props.nodeKind.kind === 'self-healing';
  }

  /** What node `node`'s bootstrap needs to find its cluster again. */
  public recoveryFor(node: ControlPlaneNodePlan, etcdVolumeId?: string): ControlPlaneRecovery {
    const others = this.props.nodes.filter((n) => n.index !== node.index);
    return {
      generationParameter: this.generation.parameter.name,
      selfAddress: node.privateIp,
      peerAddresses: others.map((n) => n.privateIp),
      etcdVolumeId,
      peerGroups: this.selfHealing ? others.map((n) => controlPlaneGroupName(this.props.clusterName, n.index)) : undefined,
      nodeTagKey: controlPlaneNodeTagKey(this.props.clusterName),
      library: this.library,
    };
  }
}
