/**
 * Credentials for pods by web identity, as plain objects (values may be Terraform tokens): the
 * issuer's discovery document, the bucket policy that publishes it, the trust policy of a role a
 * service account may assume, and the pod spec pieces that hand the token to the AWS SDKs. No
 * cdktf here, so who may assume what is tested without synthesising.
 */

/** The audience of the tokens pods exchange with STS; the IAM OIDC provider lists it as its client. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
/** Object key of the issuer's OpenID discovery document, relative to the issuer URL. */
export const DISCOVERY_DOCUMENT_KEY = '.well-known/openid-configuration';
/** Object key of the issuer's key set; the API server serves the same document at `/openid/v1/jwks`. */
export const JWKS_KEY = 'openid/v1/jwks';
/** Where the projected token is mounted, as the EKS pod identity webhook mounts it. */
export const WEB_IDENTITY_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
export const WEB_IDENTITY_TOKEN_FILE = `${WEB_IDENTITY_TOKEN_DIR}/token`;
/** Name of the projected token volume (the webhook's own name for it). */
export const WEB_IDENTITY_VOLUME = 'aws-iam-token';
/** A day, the longest the webhook allows; the kubelet renews the token well before it expires. */
export const WEB_IDENTITY_TOKEN_SECONDS = 86400;

export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly id_token_signing_alg_values_supported: readonly string[];
}

/**
 * The discovery document IAM reads at `<issuer>/.well-known/openid-configuration`. The API server
 * signs with the cluster's service-account key, an ECDSA P-256 key: ES256.
 */
export function openIdConfiguration(issuerUrl: string): OpenIdConfiguration {
  return {
    issuer: issuerUrl,
    jwks_uri: `${issuerUrl}/${JWKS_KEY}`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
  };
}

/** A statement of a resource-based or trust policy (these name a principal). */
export interface PrincipalStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: '*' | { readonly Federated: string } | { readonly AWS: string } | { readonly Service: string };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PrincipalPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PrincipalStatement[];
}

/**
 * How long a published issuer document may be served from a cache, in seconds: CloudFront's edge
 * caches at most this long (its cache policy's default and maximum TTL) and the objects say so in
 * `Cache-Control`. The key set changes when the service-account key rotates; Kubernetes' rotation
 * adds the new public key to the verifying set before the API server signs with it, so five
 * minutes of a stale key set delays nothing that is not already waiting for the rotation.
 */
export const ISSUER_CACHE_SECONDS = 300;

/** The `Cache-Control` value of the two issuer documents. */
export const ISSUER_CACHE_CONTROL = `max-age=${ISSUER_CACHE_SECONDS}`;

/** The two objects IAM reads, as ARNs in the bucket. */
function issuerObjects(bucketArn: string): string[] {
  return [`${bucketArn}/${DISCOVERY_DOCUMENT_KEY}`, `${bucketArn}/${JWKS_KEY}`];
}

/** Nothing in the bucket is served without TLS. */
function tlsOnly(bucketArn: string): PrincipalStatement {
  return {
    Sid: 'TlsOnly',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/**
 * The issuer bucket's policy behind CloudFront: only the CloudFront service, on behalf of exactly
 * the cluster's distribution, may read exactly the discovery document and the key set. AWS
 * documents this statement for origin access control (CloudFront Developer Guide, "Restrict access
 * to an Amazon Simple Storage Service origin"), and a grant to a fixed service principal with a
 * fixed `aws:SourceArn` is not public in S3's sense (S3 API Reference,
 * PublicAccessBlockConfiguration, "The meaning of public"), so it stands with every Block Public
 * Access setting on, the account's included.
 */
export function cloudFrontIssuerBucketPolicy(bucketArn: string, distributionArn: string): PrincipalPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IssuerDiscoveryThroughCloudFront',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: issuerObjects(bucketArn),
        Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
      },
      tlsOnly(bucketArn),
    ],
  };
}

/**
 * The issuer bucket's policy with `ServiceAccountIssuerHosting.publicBucket()`: anyone may read
 * exactly the discovery document and the key set (IAM fetches them without credentials), nothing
 * else is public, and nothing is served without TLS. S3 counts this policy as public: the
 * account's Block Public Access must allow it.
 */
export function issuerBucketPolicy(bucketArn: string): PrincipalPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'PublicIssuerDiscovery', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: issuerObjects(bucketArn) },
      tlsOnly(bucketArn),
    ],
  };
}

/** What a control-plane node may do with the issuer bucket: replace the key set, nothing else. */
export function issuerPublishPolicy(bucketArn: string) {
  return {
    Version: '2012-10-17' as const,
    Statement: [{ Sid: 'PublishServiceAccountKeys', Effect: 'Allow' as const, Action: ['s3:PutObject'], Resource: [`${bucketArn}/${JWKS_KEY}`] }],
  };
}

/** Who a workload role trusts: one service account of one namespace, through one OIDC provider. */
export interface WebIdentityTrust {
  /** ARN of the IAM OIDC provider of the cluster's issuer. */
  readonly providerArn: string;
  /** The issuer URL without `https://`, the prefix of the provider's condition keys. */
  readonly issuerHost: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * The trust policy of a role for one service account: `sts:AssumeRoleWithWebIdentity` through the
 * cluster's provider, only with a token whose subject is that service account and whose audience
 * is STS.
 */
export function webIdentityTrustPolicy(trust: WebIdentityTrust): PrincipalPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: trust.providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${trust.issuerHost}:sub`]: `system:serviceaccount:${trust.namespace}:${trust.serviceAccount}`,
            [`${trust.issuerHost}:aud`]: STS_AUDIENCE,
          },
        },
      },
    ],
  };
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export interface ProjectedTokenVolume {
  readonly name: string;
  readonly projected: {
    readonly sources: ReadonlyArray<{ readonly serviceAccountToken: { readonly audience: string; readonly expirationSeconds: number; readonly path: string } }>;
  };
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
}

/** What a container needs to call AWS as a role by web identity, for charts that accept env and volumes. */
export interface WebIdentityPodSpec {
  readonly env: readonly EnvVar[];
  readonly volumes: readonly ProjectedTokenVolume[];
  readonly volumeMounts: readonly VolumeMount[];
}

/**
 * The environment, the projected token volume and its mount that make the AWS SDKs assume
 * `roleArn` with the pod's service-account token: the same pieces the EKS pod identity webhook
 * injects, without a webhook.
 */
export function webIdentityPodSpec(props: { readonly roleArn: string; readonly region: string }): WebIdentityPodSpec {
  return {
    env: [
      { name: 'AWS_ROLE_ARN', value: props.roleArn },
      { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: WEB_IDENTITY_TOKEN_FILE },
      { name: 'AWS_REGION', value: props.region },
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
    ],
    volumes: [
      {
        name: WEB_IDENTITY_VOLUME,
        projected: { sources: [{ serviceAccountToken: { audience: STS_AUDIENCE, expirationSeconds: WEB_IDENTITY_TOKEN_SECONDS, path: 'token' } }] },
      },
    ],
    volumeMounts: [{ name: WEB_IDENTITY_VOLUME, mountPath: WEB_IDENTITY_TOKEN_DIR, readOnly: true }],
  };
}
