/** CPU architecture of an instance type, in Ubuntu's naming. */
export type Architecture = 'amd64' | 'arm64';

// Graviton families carry a `g` right after the generation digit (t4g, m7g, c6gn, x2gd, im4gn);
// GPU families such as g5 or p4d start with their letter instead and are x86.
const GRAVITON = /^[a-z]+\d+g[a-z-]*\./;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

export function isInstanceType(value: string): boolean {
  return INSTANCE_TYPE.test(value);
}

export function architectureOf(instanceType: string): Architecture {
  return GRAVITON.test(instanceType) ? 'arm64' : 'amd64';
}

/** Canonical's public SSM parameter holding the current Ubuntu 24.04 AMI for an architecture. */
export function ubuntuAmiParameter(architecture: Architecture): string {
  return `/aws/service/canonical/ubuntu/server/24.04/stable/current/${architecture}/hvm/ebs-gp3/ami-id`;
}
