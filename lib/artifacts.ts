/**
 * Every artifact the library pins (images, charts, packages), with where it comes from and whether
 * its existence was checked from a source we could read. docs/artifacts.md is rendered from this
 * table (test/artifacts.test.ts keeps the two equal), and the same test fails when code pins an
 * artifact that is not here. Pure data: nothing here is read at synth.
 */

export type ArtifactKind = 'image' | 'chart' | 'package';

export interface PinnedArtifact {
  readonly kind: ArtifactKind;
  /** Image repository, chart name or package name. */
  readonly name: string;
  /** Tag, chart version or apt version pattern. */
  readonly version: string;
  /** What uses it. */
  readonly usedBy: string;
  /** Where it is published. */
  readonly publishedAt: string;
  /** `checked`: a cited source shows it exists; `unchecked`: the source exists but could not be read from here. */
  readonly status: 'checked' | 'unchecked';
  /** The source read, with its revision, or why it could not be checked. */
  readonly evidence: string;
}

const K8S_IO_PROVIDER_AWS = 'kubernetes/k8s.io registry.k8s.io/images/k8s-staging-provider-aws/images.yaml at commit 0137eda2cba1d3894c93aa4bd4363eacc2ed7287 lists it under cloud-controller-manager';
const NO_DOCKER_HUB = 'Docker Hub is not reachable from the build machines; not checked';
const NO_APT = 'the apt repository is not reachable from the build machines; not checked';

export const PINNED_ARTIFACTS: readonly PinnedArtifact[] = [
  // Images
  { kind: 'image', name: 'registry.k8s.io/provider-aws/cloud-controller-manager', version: 'v1.34.3', usedBy: 'cloud controller manager, Kubernetes 1.34', publishedAt: 'registry.k8s.io', status: 'checked', evidence: K8S_IO_PROVIDER_AWS },
  { kind: 'image', name: 'registry.k8s.io/provider-aws/cloud-controller-manager', version: 'v1.35.2', usedBy: 'cloud controller manager, Kubernetes 1.35 and (fallback) 1.36', publishedAt: 'registry.k8s.io', status: 'checked', evidence: `${K8S_IO_PROVIDER_AWS}; the same list has no v1.36.x, so 1.36 falls back to it` },
  { kind: 'image', name: 'registry.k8s.io/metrics-server/metrics-server', version: 'v0.8.1', usedBy: 'metrics-server', publishedAt: 'registry.k8s.io', status: 'checked', evidence: 'kubernetes-sigs/metrics-server gh-pages index.yaml at c6db65fff4d479ece5dd43b8df90a483f5c2011f: chart 3.13.1 has appVersion 0.8.1 and its release note names the v0.8.1 image' },
  { kind: 'image', name: 'public.ecr.aws/aws-ec2/aws-node-termination-handler', version: 'v1.25.6', usedBy: 'termination handler', publishedAt: 'ECR Public gallery', status: 'unchecked', evidence: 'the app of chart 0.27.6 (aws/aws-node-termination-handler config/helm, per the shared day-2 fact sheet); the ECR gallery is not reachable from here' },
  { kind: 'image', name: 'registry.k8s.io/pause', version: '3.10.1', usedBy: 'containerd sandbox image, Kubernetes 1.34 and 1.35', publishedAt: 'registry.k8s.io', status: 'checked', evidence: "kubeadm config images list of the kubeadm the real-tool tier builds (k8s.io/kubernetes v1.34.4 and v1.35.4, cmd/kubeadm/app/constants PauseVersion / SupportedEtcdVersion) names it; kubeadm pulls it from registry.k8s.io at init" },
  { kind: 'image', name: 'registry.k8s.io/pause', version: '3.10.2', usedBy: 'containerd sandbox image, Kubernetes 1.36', publishedAt: 'registry.k8s.io', status: 'checked', evidence: "kubeadm config images list of the kubeadm the real-tool tier builds (k8s.io/kubernetes v1.36.3, cmd/kubeadm/app/constants PauseVersion / SupportedEtcdVersion) names it; kubeadm pulls it from registry.k8s.io at init" },
  { kind: 'image', name: 'registry.k8s.io/etcd', version: '3.6.5-0', usedBy: 'etcd tools on the control plane, Kubernetes 1.34', publishedAt: 'registry.k8s.io', status: 'checked', evidence: "kubeadm config images list of the kubeadm the real-tool tier builds (k8s.io/kubernetes v1.34.4, cmd/kubeadm/app/constants PauseVersion / SupportedEtcdVersion) names it; kubeadm pulls it from registry.k8s.io at init" },
  { kind: 'image', name: 'registry.k8s.io/etcd', version: '3.6.6-0', usedBy: 'etcd tools on the control plane, Kubernetes 1.35', publishedAt: 'registry.k8s.io', status: 'checked', evidence: "kubeadm config images list of the kubeadm the real-tool tier builds (k8s.io/kubernetes v1.35.4, cmd/kubeadm/app/constants PauseVersion / SupportedEtcdVersion) names it; kubeadm pulls it from registry.k8s.io at init" },
  { kind: 'image', name: 'registry.k8s.io/etcd', version: '3.6.8-0', usedBy: 'etcd tools on the control plane, Kubernetes 1.36', publishedAt: 'registry.k8s.io', status: 'checked', evidence: "kubeadm config images list of the kubeadm the real-tool tier builds (k8s.io/kubernetes v1.36.3, cmd/kubeadm/app/constants PauseVersion / SupportedEtcdVersion) names it; kubeadm pulls it from registry.k8s.io at init" },
  { kind: 'image', name: 'ghcr.io/flannel-io/flannel', version: 'v0.28.9', usedBy: 'Flannel', publishedAt: 'ghcr.io', status: 'checked', evidence: 'flannel-io/flannel Documentation/kube-flannel.yml at tag v0.28.9 (the shared reference copy) names it' },
  { kind: 'image', name: 'ghcr.io/flannel-io/flannel-cni-plugin', version: 'v1.9.1-flannel3', usedBy: 'Flannel', publishedAt: 'ghcr.io', status: 'checked', evidence: 'flannel-io/flannel Documentation/kube-flannel.yml at tag v0.28.9 (the shared reference copy) names it' },
  { kind: 'image', name: 'weaveworks/weave-kube', version: '2.8.1', usedBy: 'Weave Net (Weaveworks images)', publishedAt: 'Docker Hub', status: 'checked', evidence: "weaveworks/weave's release manifest for v2.8.1 (the shared reference copy) names it" },
  { kind: 'image', name: 'weaveworks/weave-npc', version: '2.8.1', usedBy: 'Weave Net (Weaveworks images)', publishedAt: 'Docker Hub', status: 'checked', evidence: "weaveworks/weave's release manifest for v2.8.1 (the shared reference copy) names it" },
  { kind: 'image', name: 'rajchaudhuri/weave-kube', version: '2.9.0', usedBy: 'Weave Net (the default, community fork rajch/weave)', publishedAt: 'Docker Hub', status: 'unchecked', evidence: `rajch/weave release v2.9.0 (2024-12-22, shared CNI fact sheet); ${NO_DOCKER_HUB}` },
  { kind: 'image', name: 'rajchaudhuri/weave-npc', version: '2.9.0', usedBy: 'Weave Net (the default, community fork rajch/weave)', publishedAt: 'Docker Hub', status: 'unchecked', evidence: `rajch/weave release v2.9.0 (2024-12-22, shared CNI fact sheet); ${NO_DOCKER_HUB}` },
  { kind: 'image', name: 'curlimages/curl', version: '8.16.0', usedBy: 'connectivity check client (overridable: clientImage)', publishedAt: 'Docker Hub', status: 'unchecked', evidence: NO_DOCKER_HUB },
  { kind: 'image', name: 'nginx', version: '1.29-alpine', usedBy: 'cloud check server (overridable: serverImage)', publishedAt: 'Docker Hub', status: 'unchecked', evidence: NO_DOCKER_HUB },
  // Charts
  { kind: 'chart', name: 'aws-cloud-controller-manager', version: '0.0.11', usedBy: 'cloud controller manager', publishedAt: 'https://kubernetes.github.io/cloud-provider-aws', status: 'checked', evidence: 'kubernetes/cloud-provider-aws gh-pages index.yaml at a5a006ccceb3829093468c49aa41fa8c302018a6 (appVersion v1.35.0, created 2026-03-25)' },
  { kind: 'chart', name: 'aws-ebs-csi-driver', version: '2.64.0', usedBy: 'EBS CSI driver (its images are the chart defaults of this version)', publishedAt: 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver', status: 'checked', evidence: 'kubernetes-sigs/aws-ebs-csi-driver gh-pages index.yaml at 949fe0e6b431aa3f4758c59187188806abf484ab (appVersion 1.64.0)' },
  { kind: 'chart', name: 'metrics-server', version: '3.13.1', usedBy: 'metrics-server', publishedAt: 'https://kubernetes-sigs.github.io/metrics-server', status: 'checked', evidence: 'kubernetes-sigs/metrics-server gh-pages index.yaml at c6db65fff4d479ece5dd43b8df90a483f5c2011f (appVersion 0.8.1)' },
  { kind: 'chart', name: 'kubelet-csr-approver', version: '1.2.14', usedBy: 'kubelet serving-certificate approver (its image is the chart default)', publishedAt: 'https://postfinance.github.io/kubelet-csr-approver', status: 'checked', evidence: 'postfinance/kubelet-csr-approver gh-pages index.yaml at af7b8295c9ff28c7ed5b86c58ebb23ac488ec010 (appVersion v1.2.14)' },
  { kind: 'chart', name: 'tigera-operator', version: 'v3.31.7', usedBy: 'Calico (its images are the chart defaults of this version)', publishedAt: 'https://docs.tigera.io/calico/charts', status: 'unchecked', evidence: 'the chart index at docs.tigera.io was not read from here' },
  { kind: 'chart', name: 'cilium', version: '1.19.8', usedBy: 'Cilium (its images are the chart defaults of this version)', publishedAt: 'https://helm.cilium.io/', status: 'unchecked', evidence: 'the chart index at helm.cilium.io was not read from here' },
  // Packages
  { kind: 'package', name: 'kubeadm, kubelet, kubectl', version: '1.36.4-*', usedBy: 'every node, the default Kubernetes version (the version is a prop)', publishedAt: 'pkgs.k8s.io core:/stable:/v1.36', status: 'unchecked', evidence: NO_APT },
  { kind: 'package', name: 'cri-tools', version: '1.34.0-*', usedBy: 'every node, Kubernetes 1.34', publishedAt: 'pkgs.k8s.io core:/stable:/v1.34', status: 'unchecked', evidence: NO_APT },
  { kind: 'package', name: 'cri-tools', version: '1.35.0-*', usedBy: 'every node, Kubernetes 1.35', publishedAt: 'pkgs.k8s.io core:/stable:/v1.35', status: 'unchecked', evidence: NO_APT },
  { kind: 'package', name: 'cri-tools', version: '1.36.0-*', usedBy: 'every node, Kubernetes 1.36', publishedAt: 'pkgs.k8s.io core:/stable:/v1.36', status: 'unchecked', evidence: NO_APT },
  { kind: 'package', name: 'containerd.io', version: '2.2.6-*', usedBy: 'every node on minors that need containerd 2', publishedAt: 'download.docker.com linux/ubuntu noble', status: 'unchecked', evidence: NO_APT },
  { kind: 'package', name: 'containerd', version: '1.7.*', usedBy: 'every node on minors that still run containerd 1.7', publishedAt: 'Ubuntu 24.04 (noble) archive', status: 'unchecked', evidence: NO_APT },
  { kind: 'package', name: 'python3-boto3', version: '1.34.*', usedBy: 'the node AWS command', publishedAt: 'Ubuntu 24.04 (noble) archive', status: 'checked', evidence: 'python3-boto3 1.34.46+dfsg-1ubuntu1 is in noble (shared day-2 fact sheet, from a dpkg listing of a 24.04 host)' },
];

/** `name:version` of an image, `name version` of a chart or package: how tests match pins to the table. */
export function artifactKey(a: Pick<PinnedArtifact, 'kind' | 'name' | 'version'>): string {
  return a.kind === 'image' ? `${a.name}:${a.version}` : `${a.kind} ${a.name} ${a.version}`;
}

/** The table as docs/artifacts.md shows it. */
export function renderArtifactTable(artifacts: readonly PinnedArtifact[] = PINNED_ARTIFACTS): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '# Pinned artifacts',
    '',
    'Generated from `lib/artifacts.ts` (`npx tsx -e "console.log(require(\'./lib/artifacts\').renderArtifactTable())" > docs/artifacts.md`);',
    'test/artifacts.test.ts fails when code pins an artifact that is not in the table, or when this page and the table differ.',
    '`checked`: a source we could read shows that the artifact exists. `unchecked`: it is published where the table says, but that place cannot be read from the build machines.',
    '',
    '| Kind | Artifact | Version | Used by | Published at | Status | Evidence |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...artifacts.map((a) => `| ${a.kind} | \`${cell(a.name)}\` | \`${cell(a.version)}\` | ${cell(a.usedBy)} | ${cell(a.publishedAt)} | ${a.status} | ${cell(a.evidence)} |`),
  ];
  return `${lines.join('\n')}\n`;
}
