/**
 * What aws-node-termination-handler hears and may do, as plain values (names and ARNs may be
 * Terraform tokens): the EventBridge patterns that feed its queue, the queue's policy and the
 * handler's own permissions. No cdktf here, so they are tested without synthesising.
 */
import type { PolicyDocument } from '../bootstrap/secrets-policies';
import type { PrincipalPolicyDocument } from './web-identity';

/** One EventBridge rule of the handler: a short name (unique in the cluster) and its pattern. */
export interface TerminationEventRule {
  /** Part of the rule's name, `<cluster>-nth-<name>`. */
  readonly name: string;
  readonly description: string;
  readonly pattern: object;
}

/** The instance states in which the handler drains a node; EventBridge drops the others. */
export const DRAINED_INSTANCE_STATES = ['stopping', 'stopped', 'shutting-down', 'terminated'] as const;

/**
 * The events that warn of a node going away. Group lifecycle events are matched to the cluster's
 * own groups; EC2 events cannot be matched by tag, so the handler checks the instance's tag itself.
 * Without `rebalanceRecommendations` a rebalance recommendation is left to the Spot pools' capacity
 * rebalance, which launches a replacement and then terminates the instance through the group's
 * termination hook (whose event the handler hears and drains for): draining on the recommendation
 * as well evicts pods before the replacement is there, and an autoscaler answers the pods left
 * pending with a scale-up of its own (aws/aws-node-termination-handler#141).
 */
export function terminationEventRules(groupNames: readonly string[], options: { readonly rebalanceRecommendations?: boolean } = {}): TerminationEventRule[] {
  const rules: TerminationEventRule[] = [];
  if (groupNames.length > 0) {
    rules.push({
      name: 'asg-termination',
      description: 'A worker group is about to terminate an instance (its node-terminating hook holds it)',
      pattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-terminate Lifecycle Action'], detail: { AutoScalingGroupName: [...groupNames] } },
    });
  }
  rules.push(
    {
      name: 'spot-interruption',
      description: 'EC2 reclaims a Spot instance in two minutes',
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
    },
    ...(options.rebalanceRecommendations === false
      ? []
      : [{ name: 'rebalance', description: 'A Spot instance is at elevated risk of interruption', pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] } }]),
    {
      name: 'state-change',
      description: 'An instance is stopping or terminating outside its group',
      pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: [...DRAINED_INSTANCE_STATES] } },
    },
    {
      name: 'scheduled-change',
      description: 'AWS scheduled maintenance of an instance (retirement, reboot)',
      pattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] } },
    },
  );
  return rules;
}

/**
 * The queue's policy: EventBridge may send to it, only from the cluster's own rules, and nothing
 * reaches it without TLS.
 */
export function terminationQueuePolicy(queueArn: string, ruleArns: readonly string[]): PrincipalPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ClusterEventRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': [...ruleArns] } },
      },
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: queueArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

export interface TerminationHandlerPolicyInput {
  readonly queueArn: string;
  /** ARNs of the cluster's worker groups (matched by name). */
  readonly groupArns: readonly string[];
}

/**
 * The handler's permissions: the upstream list (README "Infrastructure Setup"), with the queue and
 * the lifecycle actions scoped to the cluster's queue and groups. The describe calls take no
 * resource, so they name none.
 */
export function terminationHandlerPolicy(input: TerminationHandlerPolicyInput): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadQueue', Effect: 'Allow', Action: ['sqs:DeleteMessage', 'sqs:ReceiveMessage'], Resource: [input.queueArn] },
      ...(input.groupArns.length > 0
        ? [{ Sid: 'ReleaseDrainedWorkers', Effect: 'Allow' as const, Action: ['autoscaling:CompleteLifecycleAction'], Resource: [...input.groupArns] }]
        : []),
      {
        Sid: 'FindInstances',
        Effect: 'Allow',
        Action: ['autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeTags', 'ec2:DescribeInstances'],
        Resource: ['*'],
      },
    ],
  };
}
