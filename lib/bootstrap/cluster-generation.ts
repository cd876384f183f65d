import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Construct } from 'constructs';
import { ownedResourceTags } from '../network/tags';
import type { PolicyStatement } from './secrets-policies';

/**
 * The cluster's memory of itself: one String parameter, `<path>/cluster-generation`, that says
 * whether the cluster exists. Terraform creates it holding `none` and never changes it again; the
 * control-plane node whose `kubeadm init` starts the cluster writes a generation id into it. A
 * control-plane node that boots later and finds an id never starts an empty cluster: it joins its
 * peers, takes back its etcd data, or restores the newest snapshot of that generation, and
 * otherwise stops and says how to recover. Snapshots live under the generation's id, so the
 * snapshots of another cluster (a fresh one started by hand) never count as this cluster's newest.
 */

/** The parameter's value while no cluster has been started: Terraform creates it so. */
export const NO_CLUSTER_GENERATION = 'none';
/** Written by hand, it lets the next first control-plane node start a new, empty cluster. */
export const NEW_CLUSTER_REQUEST = 'new-cluster';
/** A generation id: the UTC time of the cluster's `kubeadm init` and 6 random hex digits. */
export const CLUSTER_GENERATION_PATTERN = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/;

/** `<path>/cluster-generation`. */
export function clusterGenerationParameterName(parameterPath: string): string {
  return `${parameterPath}/cluster-generation`;
}

export interface ClusterGenerationProps {
  readonly clusterName: string;
  /** The cluster's Parameter Store path, for example `/kubeadm/demo`. */
  readonly parameterPath: string;
}

/** The generation parameter and what control-plane nodes may do with it. */
export class ClusterGeneration extends Construct {
  public readonly parameter: SsmParameter;

  constructor(scope: Construct, id: string, props: ClusterGenerationProps) {
    super(scope, id);
    this.parameter = new SsmParameter(this, 'parameter', {
      name: clusterGenerationParameterName(props.parameterPath),
      description: `Generation of cluster ${props.clusterName}: ${NO_CLUSTER_GENERATION} until its first kubeadm init writes an id; set it to ${NEW_CLUSTER_REQUEST} to start an empty cluster on the next first control-plane node`,
      type: 'String',
      value: NO_CLUSTER_GENERATION,
      tags: ownedResourceTags(props.clusterName, `${props.clusterName}-cluster-generation`),
      // The node writes the id; a later deploy must never set it back (that would allow a second init).
      lifecycle: { ignoreChanges: ['value'] },
    });
  }

  /** Control-plane nodes read the generation and write it once (at genesis, or naming a running cluster). */
  public controlPlaneStatement(): PolicyStatement {
    return { Sid: 'ReadAndWriteClusterGeneration', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: [this.parameter.arn] };
  }
}
