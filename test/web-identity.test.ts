import {
  DISCOVERY_DOCUMENT_KEY,
  issuerBucketPolicy,
  issuerPublishPolicy,
  JWKS_KEY,
  openIdConfiguration,
  webIdentityPodSpec,
  webIdentityTrustPolicy,
} from '../lib/addons/web-identity';
import { validateK8sObject } from './support/k8s-objects';

const ISSUER = 'https://demo-oidc-abc.s3.eu-west-1.amazonaws.com';
const BUCKET_ARN = 'arn:aws:s3:::demo-oidc-abc';

describe('the published issuer', () => {
  test('discovery names the issuer, the published key set and ES256 (the service-account key is ECDSA P-256)', () => {
    expect(openIdConfiguration(ISSUER)).toEqual({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });

  test('the bucket policy makes exactly the two documents public, and nothing without TLS', () => {
    const policy = issuerBucketPolicy(BUCKET_ARN);
    const publicReads = policy.Statement.filter((s) => s.Effect === 'Allow');
    expect(publicReads).toEqual([
      { Sid: 'PublicIssuerDiscovery', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: [`${BUCKET_ARN}/${DISCOVERY_DOCUMENT_KEY}`, `${BUCKET_ARN}/${JWKS_KEY}`] },
    ]);
    expect(JSON.stringify(publicReads)).not.toMatch(/\/\*|s3:\*|ListBucket|PutObject/);
    expect(policy.Statement.find((s) => s.Effect === 'Deny')?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  test('a control-plane node may replace the key set and nothing else', () => {
    expect(issuerPublishPolicy(BUCKET_ARN).Statement).toEqual([{ Sid: 'PublishServiceAccountKeys', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${BUCKET_ARN}/openid/v1/jwks`] }]);
  });
});

describe('web identity for one service account', () => {
  test('the trust policy admits one subject with the STS audience, through one provider', () => {
    const policy = webIdentityTrustPolicy({ providerArn: 'arn:aws:iam::111122223333:oidc-provider/x', issuerHost: 'demo-oidc-abc.s3.eu-west-1.amazonaws.com', namespace: 'kube-system', serviceAccount: 'cloud-controller-manager' });
    expect(policy.Statement).toEqual([
      {
        Sid: 'ServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: 'arn:aws:iam::111122223333:oidc-provider/x' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'demo-oidc-abc.s3.eu-west-1.amazonaws.com:sub': 'system:serviceaccount:kube-system:cloud-controller-manager',
            'demo-oidc-abc.s3.eu-west-1.amazonaws.com:aud': 'sts.amazonaws.com',
          },
        },
      },
    ]);
    // StringEquals, never StringLike: no wildcard subject.
    expect(JSON.stringify(policy)).not.toMatch(/StringLike|\*/);
  });

  test('the pod spec pieces are what the SDKs read, and a pod with them passes the Kubernetes schema', () => {
    const spec = webIdentityPodSpec({ roleArn: 'arn:aws:iam::111122223333:role/demo-ccm-eu-west-1', region: 'eu-west-1' });
    expect(Object.fromEntries(spec.env.map((e) => [e.name, e.value]))).toEqual({
      AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/demo-ccm-eu-west-1',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      AWS_REGION: 'eu-west-1',
      AWS_STS_REGIONAL_ENDPOINTS: 'regional',
    });
    expect(spec.volumes[0].projected.sources).toEqual([{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }]);
    expect(spec.volumeMounts).toEqual([{ name: spec.volumes[0].name, mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount', readOnly: true }]);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: { containers: [{ name: 'c', image: 'x', env: spec.env, volumeMounts: spec.volumeMounts }], volumes: spec.volumes },
        },
      },
    };
    expect(() => validateK8sObject(JSON.parse(JSON.stringify(deployment)))).not.toThrow();
    // The schema does catch a broken volume, so the check above means something.
    const broken = JSON.parse(JSON.stringify(deployment));
    broken.spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds = 'a day';
    expect(() => validateK8sObject(broken)).toThrow();
  });
});
