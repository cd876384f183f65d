/**
 * Add-on artifacts pinned per Kubernetes minor, beside the node packages' table
 * (`PACKAGES_BY_MINOR`). Charts lag the minors, so image tags are pinned per minor too.
 */

/** The aws-cloud-controller-manager chart (kubernetes/cloud-provider-aws). */
export const CCM_CHART_REPOSITORY = 'https://kubernetes.github.io/cloud-provider-aws';
export const CCM_CHART = 'aws-cloud-controller-manager';
/** The latest chart; its own image is v1.35.0, so the tag below is set for every minor. */
export const CCM_CHART_VERSION = '0.0.11';
export const CCM_IMAGE_REPOSITORY = 'registry.k8s.io/provider-aws/cloud-controller-manager';

export interface MinorAddons {
  /**
   * The cloud controller manager's image tag. Only tags whose image was promoted to
   * registry.k8s.io (kubernetes/k8s.io registry.k8s.io/images/k8s-staging-provider-aws/images.yaml,
   * `cloud-controller-manager`): v1.34.1 and v1.35.1 never were. Its minor equals Kubernetes' where
   * such an image is published (cloud-provider-aws docs/README.md: compatibility is only
   * guaranteed with the matching minor); otherwise see `ccmImageFallback`.
   */
  readonly ccmImageTag: string;
  /**
   * Why the tag is of the previous minor, when no image of this minor is published. The version
   * skew policy (kubernetes.io/releases/version-skew-policy) lets the cloud-controller-manager be
   * one minor older than kube-apiserver, never newer, so the newest published image of the
   * previous minor is the one upstream supports for this minor until its own is promoted.
   */
  readonly ccmImageFallback?: string;
  /**
   * cluster-autoscaler's image tag: its minor must equal Kubernetes' (kubernetes/autoscaler
   * cluster-autoscaler/README.md "Releases": use the latest patch of the cluster's minor). The
   * newest patch of each minor, all promoted to registry.k8s.io together (kubernetes/k8s.io#9760,
   * merged 2026-07-22: v1.34.5, v1.35.2, v1.36.1).
   */
  readonly clusterAutoscalerImageTag: string;
}

/** The table to change when a minor is added. */
export const ADDONS_BY_MINOR: Readonly<Record<number, MinorAddons>> = {
  34: { ccmImageTag: 'v1.34.3', clusterAutoscalerImageTag: 'v1.34.5' },
  35: { ccmImageTag: 'v1.35.2', clusterAutoscalerImageTag: 'v1.35.2' },
  36: {
    ccmImageTag: 'v1.35.2',
    clusterAutoscalerImageTag: 'v1.36.1',
    // Git tags v1.36.0 (2026-05-05) and v1.36.1 (2026-07-15) exist, but the newest promotion list
    // we could read (kubernetes/k8s.io commit 0137eda2cba1d3894c93aa4bd4363eacc2ed7287) ends at
    // v1.35.2 for cloud-controller-manager: a v1.36 tag could leave every node tainted.
    ccmImageFallback: 'no v1.36 image is in the registry promotion list; v1.35.2 is the newest published, and a CCM one minor older than the API server is within the skew policy',
  },
};

/** The add-on versions of a Kubernetes minor. */
export function addonsFor(minor: number): MinorAddons {
  const addons = ADDONS_BY_MINOR[minor];
  if (!addons) {
    throw new Error(`no add-on versions are pinned for Kubernetes 1.${minor}; add the minor to ADDONS_BY_MINOR`);
  }
  return addons;
}

/** The aws-ebs-csi-driver chart (kubernetes-sigs/aws-ebs-csi-driver); chart 2.N runs driver v1.N on any supported minor. */
export const EBS_CSI_CHART_REPOSITORY = 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver';
export const EBS_CSI_CHART = 'aws-ebs-csi-driver';
export const EBS_CSI_CHART_VERSION = '2.64.0';

/** The metrics-server chart (kubernetes-sigs/metrics-server); chart 3.13.1 runs metrics-server v0.8.1 (Kubernetes 1.31 and later). */
export const METRICS_SERVER_CHART_REPOSITORY = 'https://kubernetes-sigs.github.io/metrics-server';
export const METRICS_SERVER_CHART = 'metrics-server';
export const METRICS_SERVER_CHART_VERSION = '3.13.1';
export const METRICS_SERVER_IMAGE = { repository: 'registry.k8s.io/metrics-server/metrics-server', tag: 'v0.8.1' } as const;

/** The kubelet-csr-approver chart (postfinance/kubelet-csr-approver), which approves kubelet serving certificates. */
export const KUBELET_CSR_APPROVER_CHART_REPOSITORY = 'https://postfinance.github.io/kubelet-csr-approver';
export const KUBELET_CSR_APPROVER_CHART = 'kubelet-csr-approver';
export const KUBELET_CSR_APPROVER_CHART_VERSION = '1.2.14';

/**
 * aws-node-termination-handler v1.25.6, the app of its latest chart (0.27.6), from the project's
 * public ECR gallery. The cluster builds its Deployment itself, so the image is pinned here.
 */
export const NTH_IMAGE = 'public.ecr.aws/aws-ec2/aws-node-termination-handler:v1.25.6';

/**
 * The cluster-autoscaler chart (kubernetes/autoscaler cluster-autoscaler/charts/cluster-autoscaler,
 * tag cluster-autoscaler-chart-9.59.0, 2026-07-21): the newest chart, whose own image is v1.35.0, so
 * the image tag is set per minor (`clusterAutoscalerImageTag`). One chart serves every minor: its
 * ClusterRole (templates/clusterrole.yaml) already grants what the 1.36 release's own example adds
 * (cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml at cluster-autoscaler-1.36.1:
 * `resource.k8s.io` deviceclasses, resourceslices, resourceclaims), and keeps everything 1.34's needs.
 */
export const CLUSTER_AUTOSCALER_CHART_REPOSITORY = 'https://kubernetes.github.io/autoscaler';
export const CLUSTER_AUTOSCALER_CHART = 'cluster-autoscaler';
export const CLUSTER_AUTOSCALER_CHART_VERSION = '9.59.0';
export const CLUSTER_AUTOSCALER_IMAGE_REPOSITORY = 'registry.k8s.io/autoscaling/cluster-autoscaler';
