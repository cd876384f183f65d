import { CloudformationStack } from '@cdktf/provider-aws/lib/cloudformation-stack';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { nodeRoleTagKey } from '../network/tags';

/**
 * The bucket of a cluster's etcd snapshots. Encryption is SSE-S3 (AES256): its key belongs to S3
 * and outlives the stack, so a retained bucket stays readable after `cdktf destroy`, and nodes
 * need no KMS grant to write. A key of the cluster's own would be scheduled for deletion with the
 * stack and take every snapshot with it. Secrets inside a snapshot are encrypted anyway, with the
 * cluster's encryption-at-rest key (the `encryption-config` parameter).
 *
 * By default the bucket is made by a CloudFormation stack whose bucket has `DeletionPolicy:
 * Retain`: Terraform cannot leave a resource it manages behind on destroy, but it can delete a
 * CloudFormation stack that leaves its bucket behind. With `emptyOnDestroy` it is a plain
 * `aws_s3_bucket` with `force_destroy`, which destroy empties and deletes.
 */

/** Days a noncurrent (expired or overwritten) snapshot version is kept before it is deleted. */
export const NONCURRENT_VERSION_DAYS = 1;
export const LIFECYCLE_RULE_ID = 'expire-old-etcd-snapshots';

export interface BackupBucketProps {
  readonly clusterName: string;
  readonly retentionDays: number;
  /** @default false - the bucket outlives the stack */
  readonly emptyOnDestroy?: boolean;
}

export interface BucketSettings {
  readonly retentionDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** The stack's CloudFormation template, as an object: one retained bucket and its TLS-only policy. */
export function retainedBucketTemplate(settings: BucketSettings): object {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'etcd snapshots of a kubeadm cluster; kept when the stack is deleted',
    Resources: {
      Bucket: {
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: {
            Rules: [
              {
                Id: LIFECYCLE_RULE_ID,
                Status: 'Enabled',
                ExpirationInDays: settings.retentionDays,
                NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              },
            ],
          },
          Tags: Object.entries(settings.tags).map(([Key, Value]) => ({ Key, Value })),
        },
      },
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        // Kept with the bucket: a deleted or replaced stack must not leave it open to plain HTTP.
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          Bucket: { Ref: 'Bucket' },
          PolicyDocument: tlsOnlyPolicy({ 'Fn::GetAtt': ['Bucket', 'Arn'] }),
        },
      },
    },
    Outputs: {
      BucketName: { Value: { Ref: 'Bucket' } },
    },
  };
}

/** Refuses every request that does not use TLS. */
function tlsOnlyPolicy(bucketArn: unknown): object {
  // Fn::Join, not Fn::Sub: a `${...}` in the template body would be read by Terraform as its own.
  const objects = typeof bucketArn === 'string' ? `${bucketArn}/*` : { 'Fn::Join': ['', [bucketArn, '/*']] };
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [bucketArn, objects], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
  };
}

export class BackupBucket extends Construct {
  /** The bucket's name (a Terraform token: AWS or Terraform generates it). */
  public readonly bucketName: string;
  /** Whether `cdktf destroy` keeps the bucket and its snapshots. */
  public readonly retainedOnDestroy: boolean;
  /** The resources that must exist before nodes write to the bucket. */
  public readonly resources: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const tags = { Name: `${props.clusterName}-etcd-backups`, [nodeRoleTagKey(props.clusterName)]: 'etcd-backups' };
    this.retainedOnDestroy = !props.emptyOnDestroy;
    if (this.retainedOnDestroy) {
      const stack = new CloudformationStack(this, 'stack', {
        name: `${props.clusterName}-etcd-backups`,
        templateBody: JSON.stringify(retainedBucketTemplate({ retentionDays: props.retentionDays, tags })),
        tags,
      });
      // Attribute access rather than outputs["..."], so the name carries no quotes into JSON and programs.
      this.bucketName = Token.asString(stack.interpolationForAttribute('outputs.BucketName'));
      this.resources = [stack];
      return;
    }
    const bucket = new S3Bucket(this, 'bucket', { bucketPrefix: `${props.clusterName}-etcd-backups-`, forceDestroy: true, tags });
    const versioning = new S3BucketVersioningA(this, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: true,
      restrictPublicBuckets: true,
    });
    const ownership = new S3BucketOwnershipControls(this, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    const lifecycle = new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: LIFECYCLE_RULE_ID,
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: props.retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
      dependsOn: [versioning],
    });
    const policy = new S3BucketPolicy(this, 'policy', {
      bucket: bucket.id,
      policy: JSON.stringify(tlsOnlyPolicy(bucket.arn)),
      dependsOn: [publicAccess],
    });
    this.bucketName = bucket.bucket;
    this.resources = [bucket, versioning, encryption, publicAccess, ownership, lifecycle, policy];
  }
}
