import { toToml, TomlTable } from './toml';
import { ContainerdPackageSource, KubernetesVersion } from './kubernetes-version';

/**
 * What a node installs besides kubelet, kubeadm and kubectl, pinned per Kubernetes minor: the
 * container runtime, crictl and the sandbox (pause) image kubeadm expects.
 */
export interface MinorPackages {
  /** Version of Docker's `containerd.io` (containerd 2.x), for minors that need it. */
  readonly containerdIo: string;
  /** Version of Ubuntu's `containerd` (1.7), for minors that still run it. */
  readonly ubuntuContainerd: string;
  /** `cri-tools` (crictl) from the minor's pkgs.k8s.io channel. */
  readonly criTools: string;
  /** The sandbox image kubeadm pulls and checks containerd against. */
  readonly pauseImage: string;
  /**
   * The etcd image kubeadm runs for the minor (its `SupportedEtcdVersion`); the control plane copies
   * etcdctl and etcdutl from it for snapshots and restores.
   */
  readonly etcdImage: string;
}

/**
 * The table to change when a minor is added. Every pin fixes the upstream version and accepts any
 * Debian revision, as the kubelet pins do: a repository that publishes a new packaging revision
 * (Docker's `-2` after `-1~ubuntu...`) must not break every node's boot. apt reads a version
 * ending in `*` as a prefix (pkgVersionMatch in apt-pkg/versionmatch.cc), so `2.2.6-*` is any
 * revision of 2.2.6 and never 2.2.60. Docker's repository keeps every published version, so
 * containerd.io is pinned to one upstream version. Ubuntu's archive keeps only the newest build
 * of a series, so its containerd is pinned to the 1.7 series. cri-tools follows the minor.
 */
export const PACKAGES_BY_MINOR: Readonly<Record<number, MinorPackages>> = {
  // The pause and etcd images are the ones each minor's kubeadm runs (`kubeadm config images list`
  // of kubeadm 1.34.4, 1.35.4 and 1.36.3, as the real-tool tier builds them; test/kubeadm-validate
  // holds this table to it): 1.36 moved to pause 3.10.2, and 1.34 and 1.35 run etcd 3.6.5 and 3.6.6.
  34: { containerdIo: '2.2.6-*', ubuntuContainerd: '1.7.*', criTools: '1.34.0-*', pauseImage: 'registry.k8s.io/pause:3.10.1', etcdImage: 'registry.k8s.io/etcd:3.6.5-0' },
  35: { containerdIo: '2.2.6-*', ubuntuContainerd: '1.7.*', criTools: '1.35.0-*', pauseImage: 'registry.k8s.io/pause:3.10.1', etcdImage: 'registry.k8s.io/etcd:3.6.6-0' },
  36: { containerdIo: '2.2.6-*', ubuntuContainerd: '1.7.*', criTools: '1.36.0-*', pauseImage: 'registry.k8s.io/pause:3.10.2', etcdImage: 'registry.k8s.io/etcd:3.6.8-0' },
};

/** Ubuntu 24.04's boto3, which the node's AWS command uses (the AWS CLI is not in the archive). */
export const BOTO3_PACKAGE = 'python3-boto3=1.34.*';

/** Docker's package repository for Ubuntu, the source of containerd.io. */
export const DOCKER_APT_REPOSITORY = 'https://download.docker.com/linux/ubuntu';

export function packagesFor(version: KubernetesVersion): MinorPackages {
  const packages = PACKAGES_BY_MINOR[version.minor];
  if (!packages) {
    throw new Error(`no node packages are pinned for Kubernetes 1.${version.minor}; add the minor to PACKAGES_BY_MINOR`);
  }
  return packages;
}

/** Every package of the node's one apt transaction, each pinned (`name=version`). */
export function nodePackageSpecs(version: KubernetesVersion): string[] {
  const packages = packagesFor(version);
  const containerd = version.containerdPackageSource === ContainerdPackageSource.DOCKER ? `containerd.io=${packages.containerdIo}` : `containerd=${packages.ubuntuContainerd}`;
  const kube = version.aptPackageVersion;
  return [containerd, `kubelet=${kube}`, `kubeadm=${kube}`, `kubectl=${kube}`, `cri-tools=${packages.criTools}`, BOTO3_PACKAGE, 'conntrack', 'socat'];
}

/** The packages apt must not upgrade on its own: upgrades go through kubeadm. */
export function heldPackages(version: KubernetesVersion): string[] {
  const containerd = version.containerdPackageSource === ContainerdPackageSource.DOCKER ? 'containerd.io' : 'containerd';
  return [containerd, 'kubelet', 'kubeadm', 'kubectl', 'cri-tools'];
}

/**
 * containerd's configuration, written whole rather than edited from `containerd config default`
 * (some 2.0 and 2.1 releases do not print the SystemdCgroup key at all): the CRI plugin on, runc
 * with the systemd cgroup driver the kubelet uses, and the sandbox image kubeadm expects.
 * containerd 2.x reads version 3, containerd 1.7 version 2.
 */
export function containerdConfig(version: KubernetesVersion): string {
  const pause = packagesFor(version).pauseImage;
  const runc = { runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: true } };
  const config: TomlTable =
    version.containerdPackageSource === ContainerdPackageSource.DOCKER
      ? {
          version: 3,
          plugins: {
            'io.containerd.cri.v1.images': { pinned_images: { sandbox: pause } },
            'io.containerd.cri.v1.runtime': { containerd: { default_runtime_name: 'runc', runtimes: { runc } } },
          },
        }
      : {
          version: 2,
          plugins: {
            'io.containerd.grpc.v1.cri': { sandbox_image: pause, containerd: { default_runtime_name: 'runc', runtimes: { runc } } },
          },
        };
  return toToml(config);
}
