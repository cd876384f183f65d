import { CloudfrontCachePolicy } from '@cdktf/provider-aws/lib/cloudfront-cache-policy';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Construct } from 'constructs';
import { ownedResourceTags } from '../network/tags';
import { ISSUER_CACHE_SECONDS } from './web-identity';

export interface IssuerDistributionProps {
  readonly clusterName: string;
  /** The region (may be a Terraform token): origin access controls and cache policies are global, named per cluster and region. */
  readonly region: string;
  /** The private bucket that holds the two documents. */
  readonly bucket: S3Bucket;
  readonly priceClass: string;
}

const ORIGIN_ID = 'issuer-bucket';

/**
 * A CloudFront distribution in front of the issuer's private bucket. CloudFront signs its reads
 * with SigV4 (origin access control), so the bucket needs no public policy; viewers get HTTPS only
 * on CloudFront's own `*.cloudfront.net` certificate, whose public CA IAM trusts without a
 * thumbprint (IAM API Reference, UpdateOpenIDConnectProviderThumbprint: IAM verifies the JWKS
 * endpoint's certificate against its library of trusted root CAs). Only GET and HEAD; nothing
 * from the request (cookies, headers, query strings) reaches the cache key or the bucket.
 *
 * Cost: the always-free tier covers 1 TB out and 10 million requests a month
 * (aws.amazon.com/cloudfront/pricing); STS fetches a few small documents now and then.
 */
export class IssuerDistribution extends Construct {
  public readonly distribution: CloudfrontDistribution;
  public readonly originAccessControl: CloudfrontOriginAccessControl;
  public readonly cachePolicy: CloudfrontCachePolicy;

  constructor(scope: Construct, id: string, props: IssuerDistributionProps) {
    super(scope, id);
    const name = `${props.clusterName}-issuer-${props.region}`;
    this.originAccessControl = new CloudfrontOriginAccessControl(this, 'origin-access', {
      name,
      description: `Reads the service-account issuer of cluster ${props.clusterName}`,
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });
    // At most ISSUER_CACHE_SECONDS at the edge whatever the objects say (the maximum TTL bounds
    // their Cache-Control; the default applies without it), and never a minimum that would
    // outlive a new key set (CloudFront API Reference, CachePolicyConfig).
    this.cachePolicy = new CloudfrontCachePolicy(this, 'cache', {
      name,
      comment: 'Service-account issuer documents: five minutes at most',
      minTtl: 0,
      defaultTtl: ISSUER_CACHE_SECONDS,
      maxTtl: ISSUER_CACHE_SECONDS,
      parametersInCacheKeyAndForwardedToOrigin: {
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: { headerBehavior: 'none' },
        queryStringsConfig: { queryStringBehavior: 'none' },
        enableAcceptEncodingGzip: true,
      },
    });
    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: `Service-account issuer of cluster ${props.clusterName}`,
      priceClass: props.priceClass,
      isIpv6Enabled: true,
      origin: [{ originId: ORIGIN_ID, domainName: props.bucket.bucketRegionalDomainName, originAccessControlId: this.originAccessControl.id }],
      defaultCacheBehavior: {
        targetOriginId: ORIGIN_ID,
        allowedMethods: ['GET', 'HEAD'],
        cachedMethods: ['GET', 'HEAD'],
        viewerProtocolPolicy: 'https-only',
        cachePolicyId: this.cachePolicy.id,
        compress: true,
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: { cloudfrontDefaultCertificate: true },
      tags: ownedResourceTags(props.clusterName, `${props.clusterName}-service-account-issuer`),
      // The apply goes on once the distribution exists: the control plane needs only its domain
      // name. What reads the documents (the IAM provider, every role's trust) waits for the
      // issuer's own wait (issuer-served), which polls the document from the deploying machine.
      waitForDeployment: false,
    });
  }
}
