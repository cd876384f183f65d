import {
  ContainerdPackageSource,
  DEFAULT_KUBERNETES_VERSION,
  KubernetesVersion,
  LAST_MINOR_WITH_CONTAINERD_1,
  SUPPORTED_KUBERNETES_MINORS,
} from '../lib/bootstrap/kubernetes-version';
import { ClusterConfigError, Problem, ProblemList } from '../lib/plan';

function problemsOf(version: string | undefined, packageRevision?: string): readonly Problem[] {
  try {
    KubernetesVersion.of(version, { packageRevision });
  } catch (e) {
    expect(e).toBeInstanceOf(ClusterConfigError);
    return (e as ClusterConfigError).problems;
  }
  return [];
}

describe('KubernetesVersion defaults', () => {
  test('the default is a supported release and is used when none is given', () => {
    const version = KubernetesVersion.of();
    expect(version.version).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(SUPPORTED_KUBERNETES_MINORS).toContain(version.minor);
    expect(KubernetesVersion.of(undefined).version).toBe(DEFAULT_KUBERNETES_VERSION);
  });

  test('the supported window is contiguous and straddles the containerd 1.x cut-off', () => {
    const minors = [...SUPPORTED_KUBERNETES_MINORS].sort((a, b) => a - b);
    expect(minors).toEqual(minors.map((_, i) => minors[0] + i));
    expect(minors.some((m) => m <= LAST_MINOR_WITH_CONTAINERD_1)).toBe(true);
    expect(minors.some((m) => m > LAST_MINOR_WITH_CONTAINERD_1)).toBe(true);
  });
});

describe('KubernetesVersion derivations', () => {
  test('kubeadm version, pkgs.k8s.io channel, repository, key and package version', () => {
    const version = KubernetesVersion.of('1.34.2');
    expect([version.major, version.minor, version.patch]).toEqual([1, 34, 2]);
    expect(version.kubeadmVersion).toBe('v1.34.2');
    expect(version.aptChannel).toBe('v1.34');
    expect(version.aptRepositoryUrl).toBe('https://pkgs.k8s.io/core:/stable:/v1.34/deb/');
    expect(version.aptReleaseKeyUrl).toBe('https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key');
    expect(version.aptPackageVersion).toBe('1.34.2-*');
    expect(version.toString()).toBe('1.34.2');
  });

  test('another package revision', () => {
    expect(KubernetesVersion.of('1.35.0', { packageRevision: '2.1' }).aptPackageVersion).toBe('1.35.0-2.1');
  });

  test.each([
    ['1.34.9', ContainerdPackageSource.UBUNTU],
    ['1.35.0', ContainerdPackageSource.UBUNTU],
    ['1.35.9', ContainerdPackageSource.UBUNTU],
    ['1.36.0', ContainerdPackageSource.DOCKER],
    ['1.36.4', ContainerdPackageSource.DOCKER],
  ])('%s runs on containerd from %s', (text, source) => {
    expect(KubernetesVersion.of(text).containerdPackageSource).toBe(source);
  });
});

describe('KubernetesVersion validation', () => {
  test.each([
    ['v1.36.4', /starts with "v"/, /'1\.36\.4'/],
    ['1.36', /no patch release/, /'1\.36\.0'/],
    ['1.36.0-rc.1', /pre-release/, /released version/],
    ['1.33.5', /older than this library supports \(1\.34 to 1\.36\)/, /1\.34 to 1\.36/],
    ['1.37.0', /newer than this library has been checked against/, /1\.34 to 1\.36/],
    ['2.0.0', /1\.MINOR\.PATCH/, /three numbers/],
    ['1.036.1', /1\.MINOR\.PATCH/, /three numbers/],
    ['latest', /1\.MINOR\.PATCH/, /for example '1\.36\.4'/],
    ['', /1\.MINOR\.PATCH/, /for example/],
    [' 1.36.4', /1\.MINOR\.PATCH/, /three numbers/],
    ['${TfToken[TOKEN.7]}', /only known at deploy time/, /literal version/],
  ])('%j is refused', (text, message, fix) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0].property).toBe('kubernetesVersion');
    expect(problems[0].value).toBe(JSON.stringify(text));
    expect(problems[0].message).toMatch(message);
    expect(problems[0].fix).toMatch(fix);
  });

  test('a bad package revision is named as such', () => {
    const problems = problemsOf('1.36.4', '1.1~beta');
    expect(problems.map((p) => p.property)).toEqual(['packageRevision']);
    expect(problems[0].fix).toMatch(/'1\.1'/);
  });

  test('the error message names the property, the value and the fix', () => {
    expect(() => KubernetesVersion.of('1.30.1')).toThrow(/kubernetesVersion = "1\.30\.1": 1\.30 is older .*Fix: choose a release from 1\.34 to 1\.36/);
  });

  test('a non-string from JavaScript callers is refused, not crashed on', () => {
    const problems = problemsOf(136 as unknown as string);
    expect(problems[0].message).toMatch(/not a string/);
  });

  test('check() reports into a shared list instead of throwing', () => {
    const problems = new ProblemList();
    problems.add('podCidr', '10.0.0.0/33', 'not a CIDR', 'fix it');
    expect(KubernetesVersion.check(problems, '1.99.0')).toBeUndefined();
    expect(KubernetesVersion.check(problems, '1.35.1')?.version).toBe('1.35.1');
    expect(problems.problems.map((p) => p.property)).toEqual(['podCidr', 'kubernetesVersion']);
  });
});
