import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { ServiceAccountIssuerArgs } from '../bootstrap/kubeadm-config';
import { checkClusterName } from '../network/cluster-name';
import { ownedResourceTags } from '../network/tags';
import { ProblemList } from '../plan/problems';
import { DISCOVERY_DOCUMENT_KEY, issuerBucketPolicy, issuerPublishPolicy, JWKS_KEY, openIdConfiguration, STS_AUDIENCE, WebIdentityTrust } from './web-identity';

export interface ServiceAccountIssuerProps {
  readonly clusterName: string;
  /** The region of the bucket (may be a Terraform token). */
  readonly region: string;
}

/** S3 allows 37 characters of prefix before the 26 it adds. */
const BUCKET_PREFIX_CLUSTER_CHARACTERS = 30;

/**
 * The cluster's service-account issuer, published for IAM: a bucket whose policy lets anyone read
 * exactly the OpenID discovery document (written here) and the key set (which a control-plane node
 * copies from its API server), and the IAM OIDC provider that trusts tokens from it for STS.
 *
 * The bucket's own Block Public Access settings allow a public bucket policy and still block ACLs
 * (objects belong to the bucket owner, ACLs are off). Account-level Block Public Access must allow
 * public bucket policies too, or IAM cannot read the issuer.
 */
export class ServiceAccountIssuer extends Construct {
  public readonly bucket: S3Bucket;
  public readonly provider: IamOpenidConnectProvider;
  /** `https://<bucket>.s3.<region>.amazonaws.com`: the issuer the API server names in its tokens. */
  public readonly issuerUrl: string;
  /** The issuer URL without its scheme: the prefix of the trust conditions (`<host>:sub`). */
  public readonly issuerHost: string;
  /** Where the key set is published. */
  public readonly jwksUrl: string;
  /** The resources that must exist before a token from the issuer can be exchanged. */
  public readonly published: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ServiceAccountIssuerProps) {
    super(scope, id);
    const problems = new ProblemList();
    checkClusterName(problems, props.clusterName);
    problems.throwIfAny();

    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: `${props.clusterName.slice(0, BUCKET_PREFIX_CLUSTER_CHARACTERS).replace(/-$/, '')}-oidc-`,
      // It holds two public documents the cluster rewrites; nothing to keep after the cluster.
      forceDestroy: true,
      tags: ownedResourceTags(props.clusterName, `${props.clusterName}-service-account-issuer`),
    });
    const ownership = new S3BucketOwnershipControls(this, 'ownership', { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      ignorePublicAcls: true,
      // The bucket policy that publishes the two documents is public by design.
      blockPublicPolicy: false,
      restrictPublicBuckets: false,
    });
    const policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: JSON.stringify(issuerBucketPolicy(this.bucket.arn)),
      dependsOn: [publicAccess, ownership],
    });

    this.issuerHost = `${this.bucket.bucket}.s3.${props.region}.amazonaws.com`;
    this.issuerUrl = `https://${this.issuerHost}`;
    this.jwksUrl = `${this.issuerUrl}/${JWKS_KEY}`;
    const discovery = new S3Object(this, 'discovery', {
      bucket: this.bucket.id,
      key: DISCOVERY_DOCUMENT_KEY,
      content: JSON.stringify(openIdConfiguration(this.issuerUrl)),
      contentType: 'application/json',
      dependsOn: [ownership],
    });
    this.provider = new IamOpenidConnectProvider(this, 'provider', {
      url: this.issuerUrl,
      clientIdList: [STS_AUDIENCE],
      // No thumbprint: IAM trusts S3's certificate through its own root CAs.
      tags: ownedResourceTags(props.clusterName, `${props.clusterName}-service-account-issuer`),
    });
    this.published = [policy, discovery, this.provider];
  }

  /** The API server flags' values. */
  public get apiServerArgs(): ServiceAccountIssuerArgs {
    return { issuerUrl: this.issuerUrl, jwksUrl: this.jwksUrl };
  }

  /** Who a role for `namespace/serviceAccount` trusts. */
  public trust(namespace: string, serviceAccount: string): WebIdentityTrust {
    return { providerArn: this.provider.arn, issuerHost: this.issuerHost, namespace, serviceAccount };
  }

  /** The control-plane role's permission to publish the key set. */
  public publishPolicy() {
    return issuerPublishPolicy(this.bucket.arn);
  }
}
