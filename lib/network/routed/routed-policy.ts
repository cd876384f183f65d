import type { PolicyDocument } from '../../bootstrap/secrets-policies';
import { clusterTagKey } from '../tags';

export interface RoutedNetworkPolicyInput {
  readonly clusterName: string;
  /** `arn:<partition>:ec2:<region>:*` (may hold tokens), the prefix of EC2 resource ARNs. */
  readonly ec2ArnPrefix: string;
}

/**
 * What the control plane's route reconciler may do, and nothing else: read route tables and
 * instances (describe calls take no resource-level conditions), change routes only in route tables
 * that carry the cluster's tag (`owned` on the tables this stack makes, `shared` on an existing
 * VPC's), and turn the source/destination check off only on the cluster's own instances (which
 * carry `owned`). The actions and their resource types: the Service Authorization Reference for
 * Amazon EC2 (CreateRoute, ReplaceRoute and DeleteRoute act on `route-table`; ModifyInstanceAttribute
 * on `instance`); the same actions cloud-provider-aws's route controller calls
 * (pkg/providers/v1/aws_routes.go).
 */
export function routedNetworkPolicy(input: RoutedNetworkPolicyInput): PolicyDocument {
  const tagKey = clusterTagKey(input.clusterName);
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadRoutesAndInstances', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeRouteTables'], Resource: ['*'] },
      {
        Sid: 'PodRoutesInClusterRouteTables',
        Effect: 'Allow',
        Action: ['ec2:CreateRoute', 'ec2:DeleteRoute', 'ec2:ReplaceRoute'],
        Resource: [`${input.ec2ArnPrefix}:route-table/*`],
        Condition: { StringEquals: { [`aws:ResourceTag/${tagKey}`]: ['owned', 'shared'] } },
      },
      {
        Sid: 'SourceDestCheckOfClusterInstances',
        Effect: 'Allow',
        Action: ['ec2:ModifyInstanceAttribute'],
        Resource: [`${input.ec2ArnPrefix}:instance/*`],
        Condition: { StringEquals: { [`aws:ResourceTag/${tagKey}`]: 'owned' } },
      },
    ],
  };
}
