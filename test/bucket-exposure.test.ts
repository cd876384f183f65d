import { EXAMPLES } from '../examples/synth';
import { synthesisedExample } from './support/example-synth';

// No bucket of any example is public by default: every Allow in a bucket policy names a principal
// that is not everyone, or is held to one source by a fixed aws:SourceArn (S3 API Reference,
// PublicAccessBlockConfiguration: a grant to a fixed service principal or a fixed aws:SourceArn
// is not public), and every bucket has all four Block Public Access settings on.

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const isEveryone = (principal: unknown): boolean =>
  principal === '*' || (typeof principal === 'object' && principal !== null && Object.values(principal as Record<string, unknown>).some((p) => p === '*' || (Array.isArray(p) && p.includes('*'))));

/** A fixed `aws:SourceArn` (condition keys are case-insensitive) under StringEquals or ArnEquals. */
const heldToOneSource = (statement: Statement): boolean =>
  Object.entries(statement.Condition ?? {}).some(
    ([operator, keys]) => ['StringEquals', 'ArnEquals'].includes(operator) && Object.entries(keys).some(([key, value]) => key.toLowerCase() === 'aws:sourcearn' && typeof value === 'string' && !value.includes('*')),
  );

describe.each(Object.keys(EXAMPLES))('example %s: buckets', (example) => {
  const synth = synthesisedExample(example);
  const buckets = synth.resources('aws_s3_bucket');

  test('no bucket policy lets everyone in (an Allow to "*" or {AWS: "*"} needs a fixed aws:SourceArn)', () => {
    const policies = synth.resources('aws_s3_bucket_policy');
    expect(policies.length).toBeGreaterThan(0);
    for (const [key, policy] of policies) {
      const statements: Statement[] = JSON.parse(policy.policy).Statement;
      const open = statements.filter((s) => s.Effect === 'Allow' && isEveryone(s.Principal) && !heldToOneSource(s));
      expect({ policy: key, open }).toEqual({ policy: key, open: [] });
    }
  });

  test('every bucket has a public access block with all four settings on', () => {
    expect(buckets.length).toBeGreaterThan(0);
    const blocks = synth.resources('aws_s3_bucket_public_access_block');
    for (const [bucketKey] of buckets) {
      const own = blocks.filter(([, b]) => b.bucket === `\${aws_s3_bucket.${bucketKey}.id}`).map(([, b]) => b);
      expect({ bucket: bucketKey, blocks: own.length }).toEqual({ bucket: bucketKey, blocks: 1 });
      expect(own[0]).toMatchObject({ block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true });
    }
  });

  test("the service-account issuer is read through CloudFront, and nothing reads the account's public-access settings", () => {
    const issuers = buckets.filter(([key]) => key.includes('service-account-issuer'));
    expect(issuers.length).toBeGreaterThan(0);
    expect(synth.resources('aws_cloudfront_distribution')).toHaveLength(issuers.length);
    expect(synth.data('aws_s3_account_public_access_block')).toEqual([]);
  });
});

describe('the check itself', () => {
  test('catches the public bucket policy of the previous hosting, and passes the CloudFront one', () => {
    const publicRead: Statement = { Effect: 'Allow', Principal: '*' };
    const awsStar: Statement = { Effect: 'Allow', Principal: { AWS: '*' } };
    const cloudFront: Statement = { Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } } };
    const wildcardSource: Statement = { Effect: 'Allow', Principal: '*', Condition: { StringLike: { 'aws:SourceArn': 'arn:aws:cloudfront::*' } } };
    expect([publicRead, awsStar, wildcardSource].map((s) => isEveryone(s.Principal) && !heldToOneSource(s))).toEqual([true, true, true]);
    expect(isEveryone(cloudFront.Principal)).toBe(false);
    expect(heldToOneSource(cloudFront)).toBe(true);
  });
});
