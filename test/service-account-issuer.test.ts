import { ServiceAccountIssuer } from '../lib/addons/service-account-issuer';
import { WorkloadRole } from '../lib/addons/workload-role';
import { ClusterConfigError } from '../lib/plan/problems';
import { synthStack } from './support/synth';
import { problemsThrownBy } from './support/problems';

const policy = { Version: '2012-10-17' as const, Statement: [{ Sid: 'Describe', Effect: 'Allow' as const, Action: ['ec2:DescribeInstances'], Resource: ['*'] }] };

describe('ServiceAccountIssuer', () => {
  let issuer!: ServiceAccountIssuer;
  const synth = synthStack((stack) => {
    issuer = new ServiceAccountIssuer(stack, 'issuer', { clusterName: 'demo', region: 'eu-west-1' });
    new WorkloadRole(stack, 'ccm', { clusterName: 'demo', issuer, namespace: 'kube-system', serviceAccount: 'cloud-controller-manager', name: 'ccm', region: 'eu-west-1', policy });
  });
  const one = (type: string) => {
    const all = synth.resources(type);
    expect(all).toHaveLength(1);
    return all[0];
  };

  test('a bucket of its own, owner-enforced (no ACLs), with public ACLs blocked and a public policy allowed', () => {
    const [, bucket] = one('aws_s3_bucket');
    expect(bucket.bucket_prefix).toBe('demo-oidc-');
    expect(bucket.tags['kubernetes.io/cluster/demo']).toBe('owned');
    expect(one('aws_s3_bucket_ownership_controls')[1].rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    const [, block] = one('aws_s3_bucket_public_access_block');
    expect(block).toMatchObject({ block_public_acls: true, ignore_public_acls: true, block_public_policy: false, restrict_public_buckets: false });
    expect(synth.resources('aws_s3_bucket_acl')).toEqual([]);
    // S3 refuses a public policy while Block Public Access is on: the policy waits for the settings.
    const [blockKey] = one('aws_s3_bucket_public_access_block');
    expect(one('aws_s3_bucket_policy')[1].depends_on).toContain(`aws_s3_bucket_public_access_block.${blockKey}`);
  });

  test('the discovery document is written by Terraform, the key set is not (a control-plane node publishes it)', () => {
    const [, object] = one('aws_s3_object');
    expect(object.key).toBe('.well-known/openid-configuration');
    expect(object.content_type).toBe('application/json');
    const [bucketKey] = one('aws_s3_bucket');
    const url = `https://\${aws_s3_bucket.${bucketKey}.bucket}.s3.eu-west-1.amazonaws.com`;
    expect(JSON.parse(object.content)).toEqual({
      issuer: url,
      jwks_uri: `${url}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    expect(issuer.issuerUrl).toContain('.s3.eu-west-1.amazonaws.com');
    expect(issuer.jwksUrl.endsWith('/openid/v1/jwks')).toBe(true);
  });

  test('the IAM OIDC provider trusts the issuer URL for STS, without a thumbprint', () => {
    const [, provider] = one('aws_iam_openid_connect_provider');
    const [bucketKey] = one('aws_s3_bucket');
    expect(provider.url).toBe(`https://\${aws_s3_bucket.${bucketKey}.bucket}.s3.eu-west-1.amazonaws.com`);
    expect(provider.client_id_list).toEqual(['sts.amazonaws.com']);
    expect(provider).not.toHaveProperty('thumbprint_list');
  });

  test('a workload role is assumable only by its service account through this provider, with only its inline policy', () => {
    const [, role] = one('aws_iam_role');
    const [providerKey] = one('aws_iam_openid_connect_provider');
    const [bucketKey] = one('aws_s3_bucket');
    const host = `\${aws_s3_bucket.${bucketKey}.bucket}.s3.eu-west-1.amazonaws.com`;
    expect(role.name).toBe('demo-ccm-eu-west-1');
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Sid: 'ServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: `\${aws_iam_openid_connect_provider.${providerKey}.arn}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${host}:sub`]: 'system:serviceaccount:kube-system:cloud-controller-manager', [`${host}:aud`]: 'sts.amazonaws.com' } },
      },
    ]);
    const [, inline] = one('aws_iam_role_policy');
    expect(JSON.parse(inline.policy)).toEqual(policy);
    expect(synth.resources('aws_iam_role_policy_attachment')).toEqual([]);
  });
});

describe('WorkloadRole input', () => {
  test('bad names and an empty policy are reported together', () => {
    const problems = problemsThrownBy(() =>
      synthStack((stack) => {
        const issuer = new ServiceAccountIssuer(stack, 'issuer', { clusterName: 'demo', region: 'eu-west-1' });
        new WorkloadRole(stack, 'r', { clusterName: 'demo', issuer, namespace: 'Kube System', serviceAccount: 'a b', name: 'much-too-long-name', region: 'eu-west-1', policy: { Version: '2012-10-17', Statement: [] } });
      }),
    );
    expect(problems.map((p) => p.property)).toEqual(['namespace', 'serviceAccount', 'name', 'policy']);
  });

  test('the issuer refuses a cluster name that cannot name its bucket', () => {
    expect(() => synthStack((stack) => new ServiceAccountIssuer(stack, 'i', { clusterName: 'Demo', region: 'eu-west-1' }))).toThrow(ClusterConfigError);
  });
});
