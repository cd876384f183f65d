import { architectureOf, isInstanceType, isMacInstanceType, ubuntuAmiParameter } from '../lib/nodes/architecture';

describe('architectureOf', () => {
  test.each([
    // Graviton 2 to 4: a `g` right after the generation digit.
    't4g.medium', 'm7g.large', 'c6gn.xlarge', 'x2gd.large', 'im4gn.large', 'is4gen.large', 'r8g.large', 'g5g.xlarge', 'hpc7g.16xlarge',
    // Graviton 1: the a1 family, which has no `g`.
    'a1.large', 'a1.metal',
    // Apple silicon EC2 Mac families (unsupported: they boot only macOS, see isMacInstanceType).
    'mac2.metal', 'mac2-m2pro.metal', 'mac-m4.metal',
  ])('%s is arm64', (type) => {
    expect(architectureOf(type)).toBe('arm64');
  });

  test.each([
    't3.medium', 'm7i.large', 'g5.xlarge', 'g4dn.xlarge', 'p4d.24xlarge', 'inf2.xlarge', 'c7a.large', 'm5.large', 'u-6tb1.metal',
    // A family whose name merely starts with `a` and a 1 is not Graviton 1.
    'a10.large',
    // The Intel EC2 Mac family (unsupported, like every Mac family).
    'mac1.metal',
  ])('%s is amd64', (type) => {
    expect(architectureOf(type)).toBe('amd64');
  });
});

describe('isInstanceType', () => {
  test.each(['t3.medium', 't4g.nano', 'c6gn.16xlarge', 'u-6tb1.metal', 'a1.metal', 'mac2-m2pro.metal'])('%s is an instance type', (type) => {
    expect(isInstanceType(type)).toBe(true);
  });

  test.each(['', 't3', 't3.', '.large', 'T3.medium', 't3.Medium', 't3.medium ', ' t3.medium', 't3_medium', 'm5.large.x', '3t.large', 't3..medium'])('%j is not', (type) => {
    expect(isInstanceType(type)).toBe(false);
  });
});

describe('isMacInstanceType', () => {
  // Written like any instance type, but they boot only macOS, so no Ubuntu node runs on them.
  test.each(['mac1.metal', 'mac2.metal', 'mac2-m2.metal', 'mac2-m2pro.metal', 'mac-m4.metal'])('%s is an EC2 Mac', (type) => {
    expect(isInstanceType(type)).toBe(true);
    expect(isMacInstanceType(type)).toBe(true);
  });

  test.each(['m5.large', 'm7g.large', 'a1.metal', 'c5.metal'])('%s is not', (type) => {
    expect(isMacInstanceType(type)).toBe(false);
  });
});

describe('ubuntuAmiParameter', () => {
  test.each([['amd64'], ['arm64']] as const)('names Canonical\'s Ubuntu 24.04 %s image', (architecture) => {
    expect(ubuntuAmiParameter(architecture)).toBe(`/aws/service/canonical/ubuntu/server/24.04/stable/current/${architecture}/hvm/ebs-gp3/ami-id`);
  });

  test('each architecture gets its own parameter', () => {
    expect(ubuntuAmiParameter('amd64')).not.toBe(ubuntuAmiParameter('arm64'));
  });
});
