import type { PolicyDocument, PolicyStatement } from '../bootstrap/secrets-policies';
import { clusterTagKey } from '../network/tags';

/**
 * The cloud controller manager's permissions: the control-plane action list of cloud-provider-aws
 * (docs/prerequisites.md), split the way kOps scopes it, with its conditions on this cluster's own
 * tag, `kubernetes.io/cluster/<cluster>=owned`, which the controller always puts on what it creates
 * and which the cluster's instances and security groups carry. Left out of the upstream list: the
 * volume actions (the in-tree EBS code; volumes belong to the EBS CSI driver) and the route actions
 * (cloud routes are off).
 */

/** Reads; describe calls take no resource-level conditions. */
export const CCM_READ_ACTIONS: readonly string[] = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeLaunchConfigurations',
  'autoscaling:DescribeTags',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTopology',
  'ec2:DescribeRegions',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeLoadBalancerAttributes',
  'elasticloadbalancing:DescribeLoadBalancerPolicies',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'kms:DescribeKey',
];

/** Changes to what already exists: only to resources tagged as this cluster's. */
export const CCM_TAGGED_RESOURCE_ACTIONS: readonly string[] = [
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:DeleteSecurityGroup',
  'ec2:ModifyInstanceAttribute',
  'ec2:RevokeSecurityGroupIngress',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:ApplySecurityGroupsToLoadBalancer',
  'elasticloadbalancing:AttachLoadBalancerToSubnets',
  'elasticloadbalancing:ConfigureHealthCheck',
  'elasticloadbalancing:CreateLoadBalancerListeners',
  'elasticloadbalancing:CreateLoadBalancerPolicy',
  'elasticloadbalancing:DeleteListener',
  'elasticloadbalancing:DeleteLoadBalancer',
  'elasticloadbalancing:DeleteLoadBalancerListeners',
  'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
  'elasticloadbalancing:DeregisterTargets',
  'elasticloadbalancing:DetachLoadBalancerFromSubnets',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:ModifyLoadBalancerAttributes',
  'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes',
  'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer',
  'elasticloadbalancing:SetLoadBalancerPoliciesOfListener',
  'elasticloadbalancing:SetSecurityGroups',
];

/**
 * The create calls that carry tags, as `elasticloadbalancing:CreateAction` names them. The controller
 * (cloud-provider-aws v1.36.1 pkg/providers/v1/aws_loadbalancer.go) passes `Tags` to the classic
 * `CreateLoadBalancer` and to the network load balancer's `CreateLoadBalancer`, `CreateTargetGroup`
 * and `CreateListener`; ELB then authorises `elasticloadbalancing:AddTags` on the resource being
 * created (docs.aws.amazon.com/elasticloadbalancing/latest/userguide/tagging-resources-during-creation.html).
 */
export const CCM_TAGGED_CREATE_ACTION_NAMES: readonly string[] = ['CreateListener', 'CreateLoadBalancer', 'CreateTargetGroup'];

/** Creations: only with this cluster's tag in the request. */
export const CCM_TAGGED_CREATE_ACTIONS: readonly string[] = [
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:CreateLoadBalancer',
  'elasticloadbalancing:CreateTargetGroup',
];

export interface CcmPolicyInput {
  readonly clusterName: string;
  /** `arn:<partition>:ec2:<region>:<account>` (may hold tokens), the prefix of EC2 resource ARNs. */
  readonly ec2ArnPrefix: string;
  /** `arn:<partition>:elasticloadbalancing:<region>:<account>` (may hold tokens), the prefix of load-balancing ARNs. */
  readonly elbArnPrefix: string;
  /** The cluster's VPC: the only one the controller may create security groups in. */
  readonly vpcId: string;
}

/** The cloud controller manager's policy, least privilege on this cluster's tag. */
export function cloudControllerManagerPolicy(input: CcmPolicyInput): PolicyDocument {
  const tagKey = clusterTagKey(input.clusterName);
  const owned = (kind: 'ResourceTag' | 'RequestTag') => ({ StringEquals: { [`aws:${kind}/${tagKey}`]: 'owned' } });
  const securityGroups = `${input.ec2ArnPrefix}:security-group/*`;
  const statements: PolicyStatement[] = [
    { Sid: 'Read', Effect: 'Allow', Action: CCM_READ_ACTIONS, Resource: ['*'] },
    { Sid: 'ChangeOwnedResources', Effect: 'Allow', Action: CCM_TAGGED_RESOURCE_ACTIONS, Resource: ['*'], Condition: owned('ResourceTag') },
    { Sid: 'CreateOwnedLoadBalancers', Effect: 'Allow', Action: CCM_TAGGED_CREATE_ACTIONS, Resource: ['*'], Condition: owned('RequestTag') },
    // A create call with tags is also an AddTags on a resource that has no tag yet, which the
    // ResourceTag statement above cannot allow. Allowed only from those create calls and only with
    // this cluster's tag in the request: the shape of the AWS Load Balancer Controller's own policy
    // (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json, its AddTags statement
    // with elasticloadbalancing:CreateAction and aws:RequestTag/elbv2.k8s.aws/cluster), with the tag
    // cloud-provider-aws puts on what it creates (pkg/providers/v1/tags.go buildTags:
    // `kubernetes.io/cluster/<cluster id>` = `owned`). Classic names are `loadbalancer/<name>`.
    {
      Sid: 'TagLoadBalancingResourcesAtCreation',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:AddTags'],
      Resource: [`${input.elbArnPrefix}:loadbalancer/*`, `${input.elbArnPrefix}:targetgroup/*/*`, `${input.elbArnPrefix}:listener/net/*/*/*`],
      Condition: { StringEquals: { [`aws:RequestTag/${tagKey}`]: 'owned', 'elasticloadbalancing:CreateAction': CCM_TAGGED_CREATE_ACTION_NAMES } },
    },
    // Creating a group touches the VPC too, which takes no request tag: that side is this VPC only.
    { Sid: 'CreateOwnedSecurityGroups', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: [securityGroups], Condition: owned('RequestTag') },
    { Sid: 'CreateSecurityGroupsInClusterVpc', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: [`${input.ec2ArnPrefix}:vpc/${input.vpcId}`] },
    // The controller creates its groups with TagSpecifications (pkg/providers/v1/aws.go
    // ensureSecurityGroup), which EC2 authorises as ec2:CreateTags from CreateSecurityGroup.
    {
      Sid: 'TagSecurityGroupsAtCreation',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: [securityGroups],
      Condition: { StringEquals: { [`aws:RequestTag/${tagKey}`]: 'owned', 'ec2:CreateAction': 'CreateSecurityGroup' } },
    },
    // Re-tagging its own groups, never changing whose they are.
    {
      Sid: 'RetagOwnedSecurityGroups',
      Effect: 'Allow',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Resource: [securityGroups],
      Condition: { Null: { [`aws:RequestTag/${tagKey}`]: 'true' }, StringEquals: { [`aws:ResourceTag/${tagKey}`]: 'owned' } },
    },
    // Classic and network load balancers need their service-linked role once per account.
    {
      Sid: 'LoadBalancingServiceLinkedRole',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: ['*'],
      Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
    },
  ];
  return { Version: '2012-10-17', Statement: statements };
}
