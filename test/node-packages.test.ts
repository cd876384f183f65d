import { ContainerdPackageSource, KubernetesVersion, SUPPORTED_KUBERNETES_MINORS } from '../lib/bootstrap/kubernetes-version';
import { BOTO3_PACKAGE, nodePackageSpecs, PACKAGES_BY_MINOR } from '../lib/bootstrap/node-packages';

// Pins that survive repository updates: every pinned package names its upstream version and
// accepts any Debian revision, because a repository may publish a new packaging revision of the
// same upstream version at any time (Docker did: `-2` after `-1~ubuntu...`). apt reads a version
// ending in `*` as a prefix, so the revision is open exactly when the pin ends at the dash.

/** An exact upstream version, any revision: `2.2.6-*`. For repositories that keep every version. */
const EXACT_UPSTREAM = /^\d+\.\d+\.\d+-\*$/;
/** An upstream series, any version and revision in it: `1.7.*`. For Ubuntu's archive, which keeps only the newest build. */
const UPSTREAM_SERIES = /^\d+\.\d+\.\*$/;
/** Packages from Ubuntu's archive, pinned to a series. */
const ARCHIVE_PACKAGES = ['containerd', 'python3-boto3'];

function pinOf(spec: string): [string, string | undefined] {
  const [name, version] = spec.split('=');
  return [name, version];
}

/** Whether apt would accept `available` for a pin (a trailing `*` is a prefix; otherwise exact). */
function aptMatches(pin: string, available: string): boolean {
  return pin.endsWith('*') ? available.startsWith(pin.slice(0, -1)) : available === pin;
}

describe('node package pins', () => {
  test('the pin shapes say what they should: any revision of one upstream version, or of one series', () => {
    expect(aptMatches('2.2.6-*', '2.2.6-1~ubuntu.24.04~noble')).toBe(true);
    expect(aptMatches('2.2.6-*', '2.2.6-2~ubuntu.24.04~noble')).toBe(true);
    expect(aptMatches('2.2.6-*', '2.2.60-1~ubuntu.24.04~noble')).toBe(false);
    expect(aptMatches('2.2.6-*', '2.2.7-1~ubuntu.24.04~noble')).toBe(false);
    // What containerd.io was pinned to before: the next packaging revision broke it.
    expect(aptMatches('2.2.6-1~*', '2.2.6-2~ubuntu.24.04~noble')).toBe(false);
    expect(EXACT_UPSTREAM.test('2.2.6-1~*')).toBe(false);
    expect(EXACT_UPSTREAM.test('1.36.4-1.1')).toBe(false);
  });

  test.each(SUPPORTED_KUBERNETES_MINORS.map((minor) => [minor]))('1.%i: every pinned package fixes the upstream version and leaves the Debian revision open', (minor) => {
    const version = KubernetesVersion.of(`1.${minor}.2`);
    const specs = nodePackageSpecs(version);
    const pinned = specs.map(pinOf).filter(([, pin]) => pin !== undefined);
    expect(pinned.map(([name]) => name)).toEqual([version.containerdPackageSource === ContainerdPackageSource.DOCKER ? 'containerd.io' : 'containerd', 'kubelet', 'kubeadm', 'kubectl', 'cri-tools', 'python3-boto3']);
    for (const [name, pin] of pinned) {
      expect([name, ARCHIVE_PACKAGES.includes(name) ? UPSTREAM_SERIES.test(pin!) : EXACT_UPSTREAM.test(pin!)]).toEqual([name, true]);
    }
    expect(pinned.find(([name]) => name === 'kubelet')![1]).toBe(`1.${minor}.2-*`);
    // Not pinned: whatever Ubuntu 24.04 ships.
    expect(specs.filter((spec) => !spec.includes('='))).toEqual(['conntrack', 'socat']);
  });

  test.each(Object.keys(PACKAGES_BY_MINOR).map((minor) => [Number(minor)]))('1.%i: the table pins containerd.io and cri-tools to an upstream version, Ubuntu containerd to its series', (minor) => {
    const packages = PACKAGES_BY_MINOR[minor];
    expect(packages.containerdIo).toMatch(EXACT_UPSTREAM);
    expect(packages.criTools).toMatch(EXACT_UPSTREAM);
    expect(packages.criTools.startsWith(`1.${minor}.`)).toBe(true);
    expect(packages.ubuntuContainerd).toMatch(UPSTREAM_SERIES);
    expect(pinOf(BOTO3_PACKAGE)[1]).toMatch(UPSTREAM_SERIES);
  });
});
