import { ServiceAccountIssuer } from '../lib/addons/service-account-issuer';
import { ServiceAccountIssuerHosting } from '../lib/addons/issuer-hosting';
import { WorkloadRole } from '../lib/addons/workload-role';
import { ClusterConfigError } from '../lib/plan/problems';
import { synthStack, type SynthesisedStack } from './support/synth';
import { problemsThrownBy } from './support/problems';

const policy = { Version: '2012-10-17' as const, Statement: [{ Sid: 'Describe', Effect: 'Allow' as const, Action: ['ec2:DescribeInstances'], Resource: ['*'] }] };

function issuerStack(hosting?: ServiceAccountIssuerHosting): { synth: SynthesisedStack; issuer: ServiceAccountIssuer } {
  let issuer!: ServiceAccountIssuer;
  const synth = synthStack((stack) => {
    issuer = new ServiceAccountIssuer(stack, 'issuer', { clusterName: 'demo', region: 'eu-west-1', hosting });
    new WorkloadRole(stack, 'ccm', { clusterName: 'demo', issuer, namespace: 'kube-system', serviceAccount: 'cloud-controller-manager', name: 'ccm', region: 'eu-west-1', policy });
  });
  return { synth, issuer };
}

function oneOf(synth: SynthesisedStack, type: string): [string, any] {
  const all = synth.resources(type);
  expect(all).toHaveLength(1);
  return all[0];
}

describe('ServiceAccountIssuer, default hosting: a private bucket behind CloudFront', () => {
  const { synth, issuer } = issuerStack();
  const one = (type: string) => oneOf(synth, type);
  const [bucketKey] = one('aws_s3_bucket');
  const [distributionKey, distribution] = one('aws_cloudfront_distribution');
  const host = `\${aws_cloudfront_distribution.${distributionKey}.domain_name}`;
  const url = `https://${host}`;

  test('a bucket of its own, owner-enforced (no ACLs), with every Block Public Access setting on', () => {
    const [, bucket] = one('aws_s3_bucket');
    expect(bucket.bucket_prefix).toBe('demo-oidc-');
    expect(bucket.tags['kubernetes.io/cluster/demo']).toBe('owned');
    expect(one('aws_s3_bucket_ownership_controls')[1].rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(one('aws_s3_bucket_public_access_block')[1]).toMatchObject({ block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true });
    expect(synth.resources('aws_s3_bucket_acl')).toEqual([]);
    // Nothing reads the account's settings: nothing here depends on them.
    expect(synth.json.data?.aws_s3_account_public_access_block).toBeUndefined();
  });

  test('the bucket policy lets only CloudFront, for this distribution, read the two documents, and refuses plain HTTP', () => {
    expect(JSON.parse(one('aws_s3_bucket_policy')[1].policy).Statement).toEqual([
      {
        Sid: 'IssuerDiscoveryThroughCloudFront',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: [`\${aws_s3_bucket.${bucketKey}.arn}/.well-known/openid-configuration`, `\${aws_s3_bucket.${bucketKey}.arn}/openid/v1/jwks`],
        Condition: { StringEquals: { 'AWS:SourceArn': `\${aws_cloudfront_distribution.${distributionKey}.arn}` } },
      },
      { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`\${aws_s3_bucket.${bucketKey}.arn}`, `\${aws_s3_bucket.${bucketKey}.arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  test('the distribution reads the bucket through origin access control (SigV4, always), GET and HEAD over HTTPS only, on its own certificate', () => {
    const [oacKey, oac] = one('aws_cloudfront_origin_access_control');
    expect(oac).toMatchObject({ name: 'demo-issuer-eu-west-1', origin_access_control_origin_type: 's3', signing_behavior: 'always', signing_protocol: 'sigv4' });
    expect(distribution.origin).toEqual([
      { origin_id: 'issuer-bucket', domain_name: `\${aws_s3_bucket.${bucketKey}.bucket_regional_domain_name}`, origin_access_control_id: `\${aws_cloudfront_origin_access_control.${oacKey}.id}` },
    ]);
    expect(distribution.default_cache_behavior).toMatchObject({ target_origin_id: 'issuer-bucket', allowed_methods: ['GET', 'HEAD'], cached_methods: ['GET', 'HEAD'], viewer_protocol_policy: 'https-only' });
    expect(distribution.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
    expect(distribution).toMatchObject({ enabled: true, price_class: 'PriceClass_100', wait_for_deployment: false });
    // Only the documents: no website endpoint, no default object, no aliases.
    expect(distribution).not.toHaveProperty('default_root_object');
    expect(distribution).not.toHaveProperty('aliases');
  });

  test('the edge keeps a document five minutes at most, and the cache key holds nothing from the request', () => {
    const [policyKey, cache] = one('aws_cloudfront_cache_policy');
    expect(distribution.default_cache_behavior.cache_policy_id).toBe(`\${aws_cloudfront_cache_policy.${policyKey}.id}`);
    expect(cache).toMatchObject({ min_ttl: 0, default_ttl: 300, max_ttl: 300 });
    expect(cache.parameters_in_cache_key_and_forwarded_to_origin).toMatchObject({ cookies_config: { cookie_behavior: 'none' }, headers_config: { header_behavior: 'none' }, query_strings_config: { query_string_behavior: 'none' } });
    expect(one('aws_s3_object')[1].cache_control).toBe('max-age=300');
  });

  test('one issuer URL, https://<distribution>: in the discovery document, the IAM provider and the API server flags', () => {
    const [, object] = one('aws_s3_object');
    expect(object.key).toBe('.well-known/openid-configuration');
    expect(object.content_type).toBe('application/json');
    expect(JSON.parse(object.content)).toEqual({
      issuer: url,
      jwks_uri: `${url}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const [, provider] = one('aws_iam_openid_connect_provider');
    expect(provider.url).toBe(url);
    expect(provider.client_id_list).toEqual(['sts.amazonaws.com']);
    expect(provider).not.toHaveProperty('thumbprint_list');
    // What the API server gets, resolved the same way as the provider's URL.
    const resolved = synthStack((stack) => {
      const i = new ServiceAccountIssuer(stack, 'issuer', { clusterName: 'demo', region: 'eu-west-1' });
      new (require('cdktf').TerraformOutput)(stack, 'args', { value: i.apiServerArgs });
    }).json.output.args.value;
    expect(resolved).toEqual({ issuerUrl: url, jwksUrl: `${url}/openid/v1/jwks` });
    expect(issuer.hosting.kind).toBe('cloudfront');
  });

  test('a workload role trusts the provider with conditions keyed by the distribution host', () => {
    const [providerKey] = one('aws_iam_openid_connect_provider');
    expect(JSON.parse(one('aws_iam_role')[1].assume_role_policy).Statement).toEqual([
      {
        Sid: 'ServiceAccount',
        Effect: 'Allow',
        Principal: { Federated: `\${aws_iam_openid_connect_provider.${providerKey}.arn}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${host}:sub`]: 'system:serviceaccount:kube-system:cloud-controller-manager', [`${host}:aud`]: 'sts.amazonaws.com' } },
      },
    ]);
  });

  test('what IAM reads changes only after the guard: the bucket settings, the policy, the document and the provider wait for it', () => {
    const data = synth.resources('terraform_data');
    const [pinKey, pin] = data.find(([k]) => k.includes('issuer-url-pin'))!;
    const [guardKey, guard] = data.find(([k]) => k.includes('issuer-url-guard'))!;
    expect(pin).toEqual({ input: { url }, lifecycle: { ignore_changes: ['input'] } });
    expect(guard.input).toEqual({ url });
    expect(guard.lifecycle.precondition).toEqual([{ condition: `\${(terraform_data.${pinKey}.output["url"] == "${url}")}`, error_message: expect.stringContaining('would move the service-account issuer of a running cluster') }]);
    for (const type of ['aws_s3_bucket_public_access_block', 'aws_s3_object', 'aws_iam_openid_connect_provider']) {
      expect(one(type)[1].depends_on).toContain(`terraform_data.${guardKey}`);
    }
    // The policy follows the access settings, which follow the guard.
    expect(one('aws_s3_bucket_policy')[1].depends_on).toContain(`aws_s3_bucket_public_access_block.${one('aws_s3_bucket_public_access_block')[0]}`);
  });
});

describe('ServiceAccountIssuer, ServiceAccountIssuerHosting.publicBucket()', () => {
  const { synth, issuer } = issuerStack(ServiceAccountIssuerHosting.publicBucket());
  const one = (type: string) => oneOf(synth, type);
  const [bucketKey] = one('aws_s3_bucket');
  const url = `https://\${aws_s3_bucket.${bucketKey}.bucket}.s3.eu-west-1.amazonaws.com`;

  test('the bucket endpoint is the issuer, as before CloudFront: a public read of the two documents, ACLs still blocked', () => {
    expect(synth.resources('aws_cloudfront_distribution')).toEqual([]);
    expect(one('aws_s3_bucket_public_access_block')[1]).toMatchObject({ block_public_acls: true, ignore_public_acls: true, block_public_policy: false, restrict_public_buckets: false });
    expect(JSON.parse(one('aws_s3_bucket_policy')[1].policy).Statement[0]).toEqual({
      Sid: 'PublicIssuerDiscovery', Effect: 'Allow', Principal: '*', Action: 's3:GetObject',
      Resource: [`\${aws_s3_bucket.${bucketKey}.arn}/.well-known/openid-configuration`, `\${aws_s3_bucket.${bucketKey}.arn}/openid/v1/jwks`],
    });
    expect(one('aws_iam_openid_connect_provider')[1].url).toBe(url);
    expect(JSON.parse(one('aws_s3_object')[1].content).issuer).toBe(url);
    expect(issuer.issuerUrl).toMatch(/^https:\/\/.+\.s3\.eu-west-1\.amazonaws\.com$/);
    expect(issuer.distribution).toBeUndefined();
  });

  test("the plan reads the account's Block Public Access and refuses the public policy, naming the setting and the fix", () => {
    const accounts = Object.entries(synth.json.data.aws_s3_account_public_access_block);
    expect(accounts).toHaveLength(1);
    const [accountKey, account] = accounts[0];
    // The deploying account: no account id given.
    expect(account).toEqual({});
    const conditions = one('aws_s3_bucket_policy')[1].lifecycle.precondition;
    expect(conditions.map((c: { condition: string }) => c.condition)).toEqual([
      `\${!data.aws_s3_account_public_access_block.${accountKey}.block_public_policy}`,
      `\${!data.aws_s3_account_public_access_block.${accountKey}.restrict_public_buckets}`,
    ]);
    const [policyMessage, restrictMessage] = conditions.map((c: { error_message: string }) => c.error_message);
    expect(policyMessage).toContain('BlockPublicPolicy is on, so S3 refuses the public bucket policy');
    expect(restrictMessage).toContain('RestrictPublicBuckets is on, so S3 would ignore the public bucket policy');
    for (const message of [policyMessage, restrictMessage]) {
      expect(message).toContain('Use ServiceAccountIssuerHosting.cloudFront() (the default)');
      expect(message).toContain('aws s3control put-public-access-block');
    }
  });

  test('a cluster that signs as its bucket keeps every resource address it had: switching hosting replaces nothing by name', () => {
    const names = (s: SynthesisedStack) =>
      ['aws_s3_bucket', 'aws_s3_bucket_ownership_controls', 'aws_s3_bucket_public_access_block', 'aws_s3_bucket_policy', 'aws_s3_object', 'aws_iam_openid_connect_provider'].map((t) => `${t}.${oneOf(s, t)[0]}`);
    expect(names(synth)).toEqual(names(issuerStack().synth));
    expect(names(synth)).toEqual([
      'aws_s3_bucket.issuer_bucket_CFD23B53', 'aws_s3_bucket_ownership_controls.issuer_ownership_D1CA25ED', 'aws_s3_bucket_public_access_block.issuer_public-access_1F5310A2',
      'aws_s3_bucket_policy.issuer_policy_7B08F5EC', 'aws_s3_object.issuer_discovery_D6ECD2EC', 'aws_iam_openid_connect_provider.issuer_provider_40AD49EB',
    ]);
  });
});

describe('WorkloadRole and issuer input', () => {
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

  test('a price class CloudFront does not have is refused at synth, with the classes it has', () => {
    const problems = problemsThrownBy(() =>
      synthStack((stack) => new ServiceAccountIssuer(stack, 'i', { clusterName: 'demo', region: 'eu-west-1', hosting: ServiceAccountIssuerHosting.cloudFront({ priceClass: 'PriceClass_50' }) })),
    );
    expect(problems).toEqual([{ property: 'serviceAccountIssuerHosting.priceClass', value: expect.stringContaining('PriceClass_50'), message: 'is not a CloudFront price class', fix: 'use one of PriceClass_100, PriceClass_200, PriceClass_All' }]);
  });
});
