import type { PolicyDocument, PolicyStatement } from '../bootstrap/secrets-policies';
import { autoscalerClusterTagKey } from '../nodes/autoscaling-tags';

/**
 * cluster-autoscaler's permissions, as plain values (ARNs may be Terraform tokens). The action list
 * is the upstream "Full Cluster Autoscaler Features Policy" (kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md at cluster-autoscaler-1.36.1) without what this
 * cluster's groups never make it call, per the 1.36.1 sources (cloudprovider/aws/aws_wrapper.go):
 * - `autoscaling:DescribeLaunchConfigurations`: only for groups with a launch configuration; ours
 *   have launch templates;
 * - `ec2:DescribeImages`, `ec2:GetInstanceTypesFromInstanceRequirements`: only for groups that
 *   choose instance types by attributes; ours list them;
 * - `eks:DescribeNodegroup`: only for EKS managed node groups (the `eks:nodegroup-name` tag).
 */

/**
 * Reads. None of them takes a resource in IAM (the Service Authorization Reference lists no
 * resource type for these Describe actions of Amazon EC2 Auto Scaling and Amazon EC2), so they are
 * allowed on `*`; they reveal sizes and instance types, never data.
 */
export const CLUSTER_AUTOSCALER_READ_ACTIONS: readonly string[] = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeScalingActivities',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeLaunchTemplateVersions',
];

/** What changes a group's size: scale-up sets the desired capacity, scale-down terminates a drained node. */
export const CLUSTER_AUTOSCALER_SCALING_ACTIONS: readonly string[] = ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'];

export interface ClusterAutoscalerPolicyInput {
  readonly clusterName: string;
  /** ARNs of the autoscaled groups (matched by name: a group's ARN carries a random id). */
  readonly groupArns: readonly string[];
}

/**
 * The autoscaler's policy. The two scaling actions take the group as their resource and its tags as
 * conditions (Service Authorization Reference, Amazon EC2 Auto Scaling: resource type
 * `autoScalingGroup`, condition key `aws:ResourceTag/${TagKey}`), so they are allowed only on this
 * cluster's autoscaled groups, named, and only while a group carries this cluster's discovery tag:
 * a pool taken out of the autoscaler's hands loses the tag and, with it, the permission.
 */
export function clusterAutoscalerPolicy(input: ClusterAutoscalerPolicyInput): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: 'DiscoverGroups', Effect: 'Allow', Action: CLUSTER_AUTOSCALER_READ_ACTIONS, Resource: ['*'] },
  ];
  if (input.groupArns.length > 0) {
    statements.push({
      Sid: 'ScaleClusterGroups',
      Effect: 'Allow',
      Action: CLUSTER_AUTOSCALER_SCALING_ACTIONS,
      Resource: [...input.groupArns],
      Condition: { StringEquals: { [`aws:ResourceTag/${autoscalerClusterTagKey(input.clusterName)}`]: 'owned' } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}
