import type { PolicyDocument } from '../../bootstrap/secrets-policies';
import { clusterTagKey } from '../../network/tags';

export interface CleanupPolicyInput {
  readonly clusterName: string;
  /** ARNs of the cluster's own security groups, whose rules that reference the CCM's groups are revoked. */
  readonly securityGroupArns: readonly string[];
  /** ARN of the function's log group. */
  readonly logGroupArn: string;
  /**
   * Whether it may delete the EBS driver's snapshots of the cluster.
   * @default false
   */
  readonly removeSnapshots?: boolean;
}

/**
 * What the destroy-time cleanup may do: look at instances, load balancers, target groups, security
 * groups, network interfaces, volumes and snapshots anywhere (describe calls take no resource), delete only what
 * carries the cluster's ownership tag, revoke rules only in the cluster's own groups, and write
 * its own log.
 */
export function cleanupPolicy(input: CleanupPolicyInput): PolicyDocument {
  const owned = { StringEquals: { [`aws:ResourceTag/${clusterTagKey(input.clusterName)}`]: 'owned' } };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Describe',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSnapshots',
          'ec2:DescribeVolumes',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeTags',
          'elasticloadbalancing:DescribeTargetGroups',
        ],
        Resource: ['*'],
      },
      {
        Sid: 'DeleteOwnedLoadBalancers',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteTargetGroup'],
        Resource: ['*'],
        Condition: owned,
      },
      { Sid: 'DeleteOwnedEc2', Effect: 'Allow', Action: ['ec2:DeleteSecurityGroup', 'ec2:DeleteVolume'], Resource: ['*'], Condition: owned },
      // Only when asked; the driver's snapshots carry the ownership tag (driver v1.64.0, CreateSnapshot).
      ...(input.removeSnapshots === true ? [{ Sid: 'DeleteOwnedSnapshots', Effect: 'Allow' as const, Action: ['ec2:DeleteSnapshot'], Resource: ['*'], Condition: owned }] : []),
      { Sid: 'RevokeInClusterGroups', Effect: 'Allow', Action: ['ec2:RevokeSecurityGroupIngress'], Resource: [...input.securityGroupArns] },
      { Sid: 'Log', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${input.logGroupArn}:*`] },
    ],
  };
}
