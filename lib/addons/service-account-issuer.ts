import type { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { DataAwsS3AccountPublicAccessBlock } from '@cdktf/provider-aws/lib/data-aws-s3-account-public-access-block';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { TerraformData } from '../util/terraform-data';
import { ISSUER_SERVED_ENV, ISSUER_SERVED_PROGRAM, ISSUER_SERVED_TIMEOUT_MINUTES } from './issuer-served-program';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { ITerraformDependable, Op, Precondition } from 'cdktf';
import { Construct } from 'constructs';
import type { ServiceAccountIssuerArgs } from '../bootstrap/kubeadm-config';
import { checkClusterName } from '../network/cluster-name';
import { ownedResourceTags } from '../network/tags';
import { ProblemList } from '../plan/problems';
import { IssuerDistribution } from './issuer-distribution';
import { IssuerHostingKind, ServiceAccountIssuerHosting } from './issuer-hosting';
import { issuerUrlPin } from './issuer-url-pin';
import {
  cloudFrontIssuerBucketPolicy, DISCOVERY_DOCUMENT_KEY, ISSUER_CACHE_CONTROL, issuerBucketPolicy, issuerPublishPolicy, JWKS_KEY, openIdConfiguration, STS_AUDIENCE, WebIdentityTrust,
} from './web-identity';

export interface ServiceAccountIssuerProps {
  readonly clusterName: string;
  /** The region of the bucket (may be a Terraform token). */
  readonly region: string;
  /**
   * Where IAM reads the issuer.
   * @default ServiceAccountIssuerHosting.cloudFront()
   */
  readonly hosting?: ServiceAccountIssuerHosting;
}

/** S3 allows 37 characters of prefix before the 26 it adds. */
const BUCKET_PREFIX_CLUSTER_CHARACTERS = 30;

/** The fix the account-settings checks give: the default hosting, or the account setting. */
const PUBLIC_BUCKET_FIX =
  'Use ServiceAccountIssuerHosting.cloudFront() (the default), which needs no public policy; ' +
  'or, for a cluster whose API server already signs as the bucket, turn the setting off for the account ' +
  '(aws s3control put-public-access-block --account-id <account> --public-access-block-configuration ' +
  'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false), where your organisation allows it.';

/**
 * The cluster's service-account issuer, published for IAM: a bucket of its own with the OpenID
 * discovery document (written here) and the key set (which a control-plane node copies from its
 * API server), served to IAM as the hosting says, and the IAM OIDC provider that trusts tokens
 * from it for STS.
 *
 * With the default hosting the bucket is private (every Block Public Access setting on) and a
 * CloudFront distribution reads it with origin access control. With `publicBucket()` a public
 * bucket policy publishes the two documents, and the plan stops when the account's Block Public
 * Access would refuse that policy or ignore it.
 */
export class ServiceAccountIssuer extends Construct {
  public readonly hosting: ServiceAccountIssuerHosting;
  public readonly bucket: S3Bucket;
  /** The distribution that serves the documents (with `cloudFront()` hosting). */
  public readonly distribution?: CloudfrontDistribution;
  public readonly provider: IamOpenidConnectProvider;
  /** `https://<distribution>.cloudfront.net` or `https://<bucket>.s3.<region>.amazonaws.com`: the issuer the API server names in its tokens. */
  public readonly issuerUrl: string;
  /** The issuer URL without its scheme: the prefix of the trust conditions (`<host>:sub`). */
  public readonly issuerHost: string;
  /** Where the key set is published. */
  public readonly jwksUrl: string;
  /** The resources that must exist before a token from the issuer can be exchanged. */
  public readonly published: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ServiceAccountIssuerProps) {
    super(scope, id);
    this.hosting = props.hosting ?? ServiceAccountIssuerHosting.cloudFront();
    const problems = new ProblemList();
    checkClusterName(problems, props.clusterName);
    for (const [field, value, message, fix] of this.hosting.problems()) {
      problems.add(`serviceAccountIssuerHosting.${field}`, value, message, fix);
    }
    problems.throwIfAny();
    const cloudFront = this.hosting.kind === IssuerHostingKind.CLOUD_FRONT;
    const tags = ownedResourceTags(props.clusterName, `${props.clusterName}-service-account-issuer`);

    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: `${props.clusterName.slice(0, BUCKET_PREFIX_CLUSTER_CHARACTERS).replace(/-$/, '')}-oidc-`,
      // It holds two public documents the cluster rewrites; nothing to keep after the cluster.
      forceDestroy: true,
      tags,
    });
    const ownership = new S3BucketOwnershipControls(this, 'ownership', { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    if (cloudFront) {
      this.distribution = new IssuerDistribution(this, 'cdn', { clusterName: props.clusterName, region: props.region, bucket: this.bucket, priceClass: this.hosting.priceClass! }).distribution;
      this.issuerHost = this.distribution.domainName;
    } else {
      this.issuerHost = `${this.bucket.bucket}.s3.${props.region}.amazonaws.com`;
    }
    this.issuerUrl = `https://${this.issuerHost}`;
    this.jwksUrl = `${this.issuerUrl}/${JWKS_KEY}`;
    // Nothing below changes what IAM reads until the plan has shown the cluster keeps its issuer.
    const guard = issuerUrlPin(this, this.issuerUrl);

    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      ignorePublicAcls: true,
      // Only the public-bucket hosting has a public policy (a policy S3 counts as public).
      blockPublicPolicy: cloudFront,
      restrictPublicBuckets: cloudFront,
      dependsOn: [guard],
    });
    const policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: JSON.stringify(cloudFront ? cloudFrontIssuerBucketPolicy(this.bucket.arn, this.distribution!.arn) : issuerBucketPolicy(this.bucket.arn)),
      dependsOn: [publicAccess, ownership],
      lifecycle: cloudFront ? undefined : { precondition: this.accountAllowsPublicPolicy() },
    });
    const discovery = new S3Object(this, 'discovery', {
      bucket: this.bucket.id,
      key: DISCOVERY_DOCUMENT_KEY,
      content: JSON.stringify(openIdConfiguration(this.issuerUrl)),
      contentType: 'application/json',
      cacheControl: ISSUER_CACHE_CONTROL,
      dependsOn: [ownership, guard],
    });
    // The deploy waits here, not at the distribution, until the document is served as IAM reads it.
    const served = new TerraformData(this, 'issuer-served', {
      triggersReplace: { url: this.issuerUrl },
      dependsOn: [policy, discovery, ...(this.distribution ? [this.distribution] : [])],
      provisioners: [
        {
          type: 'local-exec',
          interpreter: ['node', '-e', ISSUER_SERVED_PROGRAM],
          command: `wait for the service-account issuer at ${this.issuerUrl}`,
          environment: { [ISSUER_SERVED_ENV.url]: this.issuerUrl, [ISSUER_SERVED_ENV.timeoutSeconds]: String(ISSUER_SERVED_TIMEOUT_MINUTES * 60) },
        },
      ],
    });
    this.provider = new IamOpenidConnectProvider(this, 'provider', {
      url: this.issuerUrl,
      clientIdList: [STS_AUDIENCE],
      // No thumbprint: IAM verifies the issuer's certificate (S3's or CloudFront's, both from
      // public CAs) against its own trusted root CAs. Without one IAM reads the host's
      // certificate at creation, so the provider comes once the document is served.
      tags,
      dependsOn: [guard, served],
    });
    this.published = [policy, discovery, served, this.provider];
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

  /**
   * The account's Block Public Access, read at plan time: `BlockPublicPolicy` makes S3 refuse the
   * public policy (the apply fails), `RestrictPublicBuckets` makes S3 ignore it (the apply passes
   * and IAM cannot read the issuer). An account with no account-level configuration at all makes
   * the provider's read fail ("couldn't find resource"): the public bucket asks the account to
   * say that it allows public policies.
   */
  private accountAllowsPublicPolicy(): Precondition[] {
    const account = new DataAwsS3AccountPublicAccessBlock(this, 'account-public-access', {});
    return [
      {
        condition: Op.not(account.blockPublicPolicy),
        errorMessage: `The account's S3 Block Public Access setting BlockPublicPolicy is on, so S3 refuses the public bucket policy of ServiceAccountIssuerHosting.publicBucket(). ${PUBLIC_BUCKET_FIX}`,
      },
      {
        condition: Op.not(account.restrictPublicBuckets),
        errorMessage: `The account's S3 Block Public Access setting RestrictPublicBuckets is on, so S3 would ignore the public bucket policy of ServiceAccountIssuerHosting.publicBucket() and IAM could not read the issuer. ${PUBLIC_BUCKET_FIX}`,
      },
    ];
  }
}
