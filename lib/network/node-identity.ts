import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { PolicyDocument } from '../bootstrap/secrets-policies';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ProblemList } from '../plan/problems';
import { checkClusterName } from './cluster-name';
import { ALL_NODE_ROLES, NodeRole } from './ports';
import { ssmAgentPolicy } from './ssm-agent-policy';
import { ownedResourceTags } from './tags';

/** The name of the inline policy of the SSM agent's own calls (see ssm-agent-policy.ts). */
export const SSM_AGENT_POLICY_NAME = 'ssm-agent';

/** The trust policy that lets EC2 instances take the role. */
export const EC2_ASSUME_ROLE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** ARN of an AWS-managed policy in `partition` (aws, aws-cn, aws-us-gov, ...). */
export function awsManagedPolicyArn(partition: string, policyName: string): string {
  return `arn:${partition}:iam::aws:policy/${policyName}`;
}

/** Short names of the node roles in IAM names, which must fit 64 characters with the cluster and region. */
const IAM_ROLE_NAME: Readonly<Record<NodeRole, string>> = { 'control-plane': 'cp', worker: 'worker' };

/**
 * The name of a node role's IAM role and instance profile: `<cluster>-<cp|worker>-<region>`. IAM
 * names are global to the account, so the region keeps a cluster of the same name in another
 * region apart; with a 40-character cluster name and the longest region names (14) it stays within
 * IAM's 64 characters.
 */
export function nodeIamName(clusterName: string, nodeRole: NodeRole, region: string): string {
  return `${clusterName}-${IAM_ROLE_NAME[nodeRole]}-${region}`;
}

export interface NodeIdentityProps {
  /** Name of the cluster, in the role's and instance profile's names. */
  readonly clusterName: string;
  /** The nodes this identity is for. */
  readonly nodeRole: NodeRole;
  /** The region, in the names (may be a Terraform token). */
  readonly region: string;
  /**
   * The AWS partition (for example from an `aws_partition` data source), for the ARNs of the agent's policy.
   * @default - looked up with an `aws_partition` data source of this construct
   */
  readonly partition?: string;
}

/**
 * The IAM role and instance profile of one kind of node, with the SSM agent's inline policy (what
 * Session Manager and the cluster's State Manager channel need, and no parameter read), and inline
 * policies added with `addPolicy` (each scoped to the resources the nodes need). No managed policy:
 * AmazonSSMManagedInstanceCore would let every node read every parameter of the region.
 */
export class NodeIdentity extends Construct {
  public readonly role: IamRole;
  public readonly instanceProfile: IamInstanceProfile;
  /** What lets the nodes' SSM agent register and take commands (its inline policy). */
  public readonly agentPolicy: IamRolePolicy;
  private readonly inlinePolicies: IamRolePolicy[] = [];

  constructor(scope: Construct, id: string, props: NodeIdentityProps) {
    super(scope, id);
    const problems = new ProblemList();
    checkClusterName(problems, props.clusterName);
    if (!ALL_NODE_ROLES.includes(props.nodeRole)) {
      problems.add('nodeRole', props.nodeRole, 'is not a node role', `use one of ${ALL_NODE_ROLES.join(', ')}`);
    }
    problems.throwIfAny();

    const name = nodeIamName(props.clusterName, props.nodeRole, props.region);
    const partition = props.partition ?? new DataAwsPartition(this, 'partition').partition;
    this.role = new IamRole(this, 'role', {
      name,
      description: `Nodes (${props.nodeRole}) of cluster ${props.clusterName}`,
      assumeRolePolicy: EC2_ASSUME_ROLE_POLICY,
      tags: ownedResourceTags(props.clusterName, name),
    });
    this.agentPolicy = new IamRolePolicy(this, 'ssm-agent-policy', {
      name: SSM_AGENT_POLICY_NAME,
      role: this.role.id,
      policy: JSON.stringify(ssmAgentPolicy({ clusterName: props.clusterName, partition, region: props.region })),
    });
    this.instanceProfile = new IamInstanceProfile(this, 'instance-profile', {
      name,
      role: this.role.name,
      tags: ownedResourceTags(props.clusterName, name),
    });
  }

  /** Adds an inline policy to the role. */
  public addPolicy(id: string, name: string, document: PolicyDocument): IamRolePolicy {
    const policy = new IamRolePolicy(this, id, { name, role: this.role.id, policy: JSON.stringify(document) });
    this.inlinePolicies.push(policy);
    return policy;
  }

  /**
   * Everything that grants the role its permissions so far: the agent's policy, then
   * the inline policies. Nodes wait for all of it before they boot, so that the SSM agent can
   * register, and the bootstrap read its secrets, from the first second.
   */
  public get policies(): readonly ITerraformDependable[] {
    return [this.agentPolicy, ...this.inlinePolicies];
  }

  /** Name of the instance profile, for `aws_instance.iam_instance_profile` and launch templates. */
  public get instanceProfileName(): string {
    return this.instanceProfile.name;
  }

  public get instanceProfileArn(): string {
    return this.instanceProfile.arn;
  }
}

export interface ClusterNodeIdentitiesProps {
  /** Name of the cluster, in the roles' and instance profiles' names. */
  readonly clusterName: string;
  /** The region, in the names (may be a Terraform token). */
  readonly region: string;
}

/** A `NodeIdentity` for the control plane and one for the workers, sharing one partition lookup. */
export class ClusterNodeIdentities extends Construct {
  public readonly controlPlane: NodeIdentity;
  public readonly worker: NodeIdentity;
  /** The AWS partition (`aws`, `aws-cn`, ...), for ARNs. */
  public readonly partition: string;

  constructor(scope: Construct, id: string, props: ClusterNodeIdentitiesProps) {
    super(scope, id);
    const problems = new ProblemList();
    checkClusterName(problems, props.clusterName);
    problems.throwIfAny();
    const partition = new DataAwsPartition(this, 'partition').partition;
    this.partition = partition;
    this.controlPlane = new NodeIdentity(this, 'control-plane', { clusterName: props.clusterName, nodeRole: 'control-plane', region: props.region, partition });
    this.worker = new NodeIdentity(this, 'worker', { clusterName: props.clusterName, nodeRole: 'worker', region: props.region, partition });
  }

  /** The identity of nodes with `role`. */
  public identity(role: NodeRole): NodeIdentity {
    return role === 'control-plane' ? this.controlPlane : this.worker;
  }
}
