/** CPU architecture of an instance type, in Ubuntu's naming. */
export type Architecture = 'amd64' | 'arm64';

// Graviton 2 and later families carry a `g` right after the generation digit (t4g, m7g, c6gn,
// x2gd, im4gn, is4gen, g5g); GPU families such as g5 or p4d start with their letter instead and
// are x86. Graviton 1 is the one family without the `g`: a1.
const GRAVITON = /^(?:a1|[a-z]+\d+g[a-z-]*)\./;
// EC2 Mac families: mac1 is Intel, every later one (mac2, mac2-m2pro, mac-m4, ...) Apple silicon.
const MAC = /^mac[\d-]/;
const INTEL_MAC = /^mac1\./;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/**
 * Whether `value` is written like an EC2 instance type (`family.size`). It says nothing about
 * whether the cluster can run on it: see `isMacInstanceType`.
 */
export function isInstanceType(value: string): boolean {
  return INSTANCE_TYPE.test(value);
}

/**
 * Whether the instance type is an EC2 Mac (dedicated-host Mac hardware). Those boot only macOS
 * images, so the cluster's Ubuntu nodes cannot run on them, whatever `architectureOf` says.
 */
export function isMacInstanceType(instanceType: string): boolean {
  return MAC.test(instanceType);
}

/**
 * The CPU architecture of an instance type. EC2 Mac types get their true architecture (mac1 is
 * amd64, the Apple silicon ones arm64), but no Ubuntu image boots on them (`isMacInstanceType`).
 */
export function architectureOf(instanceType: string): Architecture {
  if (isMacInstanceType(instanceType)) {
    return INTEL_MAC.test(instanceType) ? 'amd64' : 'arm64';
  }
  return GRAVITON.test(instanceType) ? 'arm64' : 'amd64';
}

/** Canonical's public SSM parameter holding the current Ubuntu 24.04 AMI for an architecture. */
export function ubuntuAmiParameter(architecture: Architecture): string {
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${architecture}/hvm/ebs-gp3/ami-id`;
}
