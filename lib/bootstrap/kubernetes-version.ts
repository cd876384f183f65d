import { ProblemList } from '../plan/problems';

/**
 * Minor releases of Kubernetes 1.x this library installs. All of them read kubeadm's
 * `kubeadm.k8s.io/v1beta4` configuration (kubeadm 1.31 and later) and have a package channel on
 * pkgs.k8s.io. 1.34 reached its end of life on 2026-10-27 but is kept for clusters still on it;
 * 1.37 (released 2026-08-26) is left out until its kubeadm has been tried with these documents.
 */
export const SUPPORTED_KUBERNETES_MINORS: readonly number[] = [34, 35, 36];

/**
 * The Kubernetes version installed when none is given: a patch release of 1.36, which upstream
 * supports until 2027-06-28.
 */
export const DEFAULT_KUBERNETES_VERSION = '1.36.4';

/**
 * The last minor whose kubelet still works with containerd 1.x, the `containerd` package Ubuntu
 * 24.04 ships. Later minors need containerd 2.x, taken from Docker's package repository.
 */
export const LAST_MINOR_WITH_CONTAINERD_1 = 35;

/**
 * Debian revision of the kubelet, kubeadm and kubectl packages: any. pkgs.k8s.io usually publishes
 * `-1.1` but not always (a rebuilt patch becomes `-2.1`), and apt accepts a glob after `=`, so the
 * patch version is pinned and the packaging revision is whatever was published.
 */
export const DEFAULT_PACKAGE_REVISION = '*';

/** Where a node's containerd package comes from. */
export enum ContainerdPackageSource {
  /** Ubuntu's own `containerd` package (containerd 1.7 on 24.04). */
  UBUNTU = 'ubuntu',
  /** Docker's `containerd.io` package from download.docker.com (containerd 2.x). */
  DOCKER = 'docker',
}

export interface KubernetesVersionOptions {
  /**
   * Debian revision of the kubelet, kubeadm and kubectl packages on pkgs.k8s.io, the part after
   * the dash in `1.36.4-1.1`.
   * @default '*' - whichever revision pkgs.k8s.io published for the version
   */
  readonly packageRevision?: string;
}

const VERSION_PATTERN = /^1\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const REVISION_PATTERN = /^(\*|\d+(\.\d+)*)$/;

function supportedRange(): string {
  const minors = [...SUPPORTED_KUBERNETES_MINORS].sort((a, b) => a - b);
  return `1.${minors[0]} to 1.${minors[minors.length - 1]}`;
}

/**
 * A validated Kubernetes release (`1.MINOR.PATCH`) and what follows from it: the kubeadm version,
 * the pkgs.k8s.io channel and package version, and the containerd package that works with it.
 */
export class KubernetesVersion {
  /**
   * Parses and validates a version. Throws a `ClusterConfigError` naming `kubernetesVersion`.
   * @param version for example '1.36.4'; @default DEFAULT_KUBERNETES_VERSION
   */
  public static of(version?: string, options: KubernetesVersionOptions = {}): KubernetesVersion {
    const problems = new ProblemList();
    const parsed = KubernetesVersion.check(problems, version, options);
    problems.throwIfAny();
    return parsed!;
  }

  /**
   * Validates a version, adding what is wrong to `problems` (so it is reported together with the
   * rest of the cluster's input) instead of throwing. Returns undefined when it is invalid.
   */
  public static check(
    problems: ProblemList,
    version: string | undefined = DEFAULT_KUBERNETES_VERSION,
    options: KubernetesVersionOptions = {},
    property = 'kubernetesVersion',
  ): KubernetesVersion | undefined {
    const revision = options.packageRevision ?? DEFAULT_PACKAGE_REVISION;
    let valid = true;
    if (!REVISION_PATTERN.test(revision)) {
      problems.add('packageRevision', revision, 'is not a Debian revision as pkgs.k8s.io uses them', "use the part after the dash of the package version, for example '1.1', or '*' for any");
      valid = false;
    }
    const minor = versionProblem(problems, property, version);
    return valid && minor !== undefined ? new KubernetesVersion(version, revision) : undefined;
  }

  /** The version as given, for example `1.36.4`. */
  public readonly version: string;
  public readonly major = 1;
  public readonly minor: number;
  public readonly patch: number;
  /** Debian revision of the packages on pkgs.k8s.io. */
  public readonly packageRevision: string;

  private constructor(version: string, packageRevision: string) {
    const [, minor, patch] = VERSION_PATTERN.exec(version)!;
    this.version = version;
    this.minor = Number(minor);
    this.patch = Number(patch);
    this.packageRevision = packageRevision;
  }

  /** The version as kubeadm's `kubernetesVersion` wants it: `v1.36.4`. */
  public get kubeadmVersion(): string {
    return `v${this.version}`;
  }

  /** The pkgs.k8s.io channel of the minor release: `v1.36`. Each minor has its own repository. */
  public get aptChannel(): string {
    return `v${this.major}.${this.minor}`;
  }

  /** The apt repository of the minor release, a flat repository (suite `/`). */
  public get aptRepositoryUrl(): string {
    return `https://pkgs.k8s.io/core:/stable:/${this.aptChannel}/deb/`;
  }

  /** The repository's signing key, ASCII armoured. */
  public get aptReleaseKeyUrl(): string {
    return `${this.aptRepositoryUrl}Release.key`;
  }

  /** Exact Debian version of kubelet, kubeadm and kubectl: `1.36.4-1.1`. */
  public get aptPackageVersion(): string {
    return `${this.version}-${this.packageRevision}`;
  }

  /** The containerd package that works with this kubelet on Ubuntu 24.04. */
  public get containerdPackageSource(): ContainerdPackageSource {
    return this.minor <= LAST_MINOR_WITH_CONTAINERD_1 ? ContainerdPackageSource.UBUNTU : ContainerdPackageSource.DOCKER;
  }

  public toString(): string {
    return this.version;
  }
}

/** Adds a problem for a bad version and returns undefined, or returns the minor. */
function versionProblem(problems: ProblemList, property: string, version: unknown): number | undefined {
  const range = supportedRange();
  const example = `for example '${DEFAULT_KUBERNETES_VERSION}'`;
  if (typeof version !== 'string') {
    problems.add(property, version, 'is not a string', `give the version as text, ${example}`);
    return undefined;
  }
  if (version.includes('${')) {
    // A Terraform token: the packages and the containerd choice depend on it at synth time.
    problems.add(property, version, 'is only known at deploy time, but the node packages are chosen at synth time', `give a literal version, ${example}`);
    return undefined;
  }
  const trimmed = version.trim();
  if (/^v\d/.test(trimmed)) {
    problems.add(property, version, 'starts with "v"', `write it without the v: '${trimmed.slice(1)}'`);
    return undefined;
  }
  if (/^1\.\d+\.\d+[-+]/.test(trimmed)) {
    problems.add(property, version, 'is a pre-release or build, which pkgs.k8s.io stable channels do not carry', `use a released version, ${example}`);
    return undefined;
  }
  if (/^1\.\d+$/.test(trimmed)) {
    problems.add(property, version, 'names a minor release but no patch release; the packages are pinned to an exact release', `add the patch release, for example '${trimmed}.0' or a later one`);
    return undefined;
  }
  const match = VERSION_PATTERN.exec(version);
  if (!match) {
    problems.add(property, version, 'is not a Kubernetes release of the form 1.MINOR.PATCH', `write it as three numbers, ${example}`);
    return undefined;
  }
  const minor = Number(match[1]);
  if (!SUPPORTED_KUBERNETES_MINORS.includes(minor)) {
    const why = minor < Math.min(...SUPPORTED_KUBERNETES_MINORS)
      ? `1.${minor} is older than this library supports (${range})`
      : `1.${minor} is newer than this library has been checked against (${range})`;
    problems.add(property, version, why, `choose a release from ${range}, ${example}`);
    return undefined;
  }
  return minor;
}
