/** Where the issuer's documents are served from; see `ServiceAccountIssuerHosting`. */
export enum IssuerHostingKind {
  /** A private bucket behind a CloudFront distribution with origin access control. */
  CLOUD_FRONT = 'cloudfront',
  /** The bucket's own S3 endpoint, with a public bucket policy. */
  PUBLIC_BUCKET = 'public-bucket',
}

/** Options of `ServiceAccountIssuerHosting.cloudFront()`. */
export interface CloudFrontIssuerOptions {
  /**
   * The distribution's price class: which edge locations serve the documents. IAM is their only
   * reader, so the cheapest class serves as well as any.
   * @default 'PriceClass_100'
   */
  readonly priceClass?: string;
}

const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'];

/**
 * How the cluster's service-account issuer (its OpenID discovery document and key set) is served
 * to IAM. The issuer URL is in every token the API server signs and in its flags, which kubeadm
 * fixes when the cluster is made: pick it once, for the cluster's life.
 */
export class ServiceAccountIssuerHosting {
  /**
   * A private bucket (all four Block Public Access settings on) behind a CloudFront distribution
   * that reads it with origin access control; the issuer is `https://<distribution>.cloudfront.net`.
   * Works in an account that blocks public access.
   */
  public static cloudFront(options: CloudFrontIssuerOptions = {}): ServiceAccountIssuerHosting {
    return new ServiceAccountIssuerHosting(IssuerHostingKind.CLOUD_FRONT, options.priceClass ?? 'PriceClass_100');
  }

  /**
   * The bucket's own endpoint, `https://<bucket>.s3.<region>.amazonaws.com`, with a bucket policy
   * that lets anyone read the two documents. For a cluster whose API server already signs with
   * that issuer. The account must allow public bucket policies: the plan reads the account's
   * Block Public Access settings and stops when `BlockPublicPolicy` or `RestrictPublicBuckets` is on.
   */
  public static publicBucket(): ServiceAccountIssuerHosting {
    return new ServiceAccountIssuerHosting(IssuerHostingKind.PUBLIC_BUCKET, undefined);
  }

  private constructor(
    public readonly kind: IssuerHostingKind,
    /** The distribution's price class (CloudFront only). */
    public readonly priceClass: string | undefined,
  ) {}

  /** What is wrong with the options, as [field, value, problem, fix]. */
  public problems(): Array<[string, string, string, string]> {
    if (this.priceClass !== undefined && !PRICE_CLASSES.includes(this.priceClass)) {
      return [['priceClass', this.priceClass, 'is not a CloudFront price class', `use one of ${PRICE_CLASSES.join(', ')}`]];
    }
    return [];
  }
}
