import type { PolicyDocument, PolicyStatement } from '../bootstrap/secrets-policies';
import { METRIC_NAMESPACE } from './etcd-snapshot-program';

/**
 * What control-plane nodes may do for the day-2 programs, as plain policy documents (values may be
 * Terraform tokens): write and read snapshots under the cluster's own key prefix only, list only
 * that prefix, and report metrics in the cluster programs' namespace only.
 */

export interface SnapshotAccessInput {
  readonly partition: string;
  readonly bucketName: string;
  /** The cluster's key prefix, ending in `/`. */
  readonly keyPrefix: string;
}

export function snapshotAccessStatements(input: SnapshotAccessInput): PolicyStatement[] {
  const objects = `arn:${input.partition}:s3:::${input.bucketName}/${input.keyPrefix}*`;
  return [
    { Sid: 'WriteEtcdSnapshots', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objects] },
    { Sid: 'ReadEtcdSnapshots', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objects] },
    {
      Sid: 'ListEtcdSnapshots',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:${input.partition}:s3:::${input.bucketName}`],
      Condition: { StringLike: { 's3:prefix': [`${input.keyPrefix}*`] } },
    },
  ];
}

/** PutMetricData has no resource-level permissions; the namespace condition is what limits it. */
export function metricsStatement(): PolicyStatement {
  return {
    Sid: 'ReportClusterMetrics',
    Effect: 'Allow',
    Action: ['cloudwatch:PutMetricData'],
    Resource: ['*'],
    Condition: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
  };
}

export interface RestoreRequestAccessInput {
  /** ARN of the String parameter the bootstrap reads (and clears) for a restore request. */
  readonly parameterArn: string;
}

export function restoreRequestStatement(input: RestoreRequestAccessInput): PolicyStatement {
  return { Sid: 'ReadAndClearRestoreRequest', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: [input.parameterArn] };
}

export function policyOf(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}
