import type { Release } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import {
  KUBELET_CSR_APPROVER_CHART,
  KUBELET_CSR_APPROVER_CHART_REPOSITORY,
  KUBELET_CSR_APPROVER_CHART_VERSION,
  METRICS_SERVER_CHART,
  METRICS_SERVER_CHART_REPOSITORY,
  METRICS_SERVER_CHART_VERSION,
  METRICS_SERVER_IMAGE,
} from './addon-versions';
import type { ClusterWorkloads } from './cluster-workloads';
import { kubeletCsrApproverValues } from './kubelet-csr-approver';

export const METRICS_SERVER_NAMESPACE = 'kube-system';

/**
 * The chart values: the pinned image and no extra arguments. The chart's default arguments (3.13.1
 * `defaultArgs`) carry no `--kubelet-insecure-tls`, so metrics-server verifies each kubelet's
 * serving certificate with the cluster CA of its service account, and
 * `--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname`, so it dials the node's
 * InternalIP first, an address every serving certificate names: a worker's, approved by
 * kubelet-csr-approver, and a control-plane node's, signed on the node (see
 * `addControlPlaneKubeletCertificates`).
 */
export function metricsServerValues(): object {
  return {
    image: { repository: METRICS_SERVER_IMAGE.repository, tag: METRICS_SERVER_IMAGE.tag },
    args: [],
  };
}

export interface MetricsServerProps {
  /** The cluster's region (may be a Terraform token). */
  readonly region: string;
  /** The VPC's range. */
  readonly vpcCidr: string;
  /** Where the releases join the cluster. */
  readonly workloads: ClusterWorkloads;
  /**
   * What else both releases wait for (the pod network, and the cloud controller manager, which
   * initialises nodes and gives them the DNS names their certificates ask for).
   * @default - the API server
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * What metrics-server alone also waits for: the workers it runs on and scrapes.
   * @default - nothing more
   */
  readonly workerGroups?: readonly ITerraformDependable[];
}

/**
 * metrics-server, so that `kubectl top` and resource-based autoscaling work, and the approver of
 * kubelet serving certificates it relies on, installed side by side: both from their upstream
 * charts, pinned, in `kube-system`.
 */
export class MetricsServer extends Construct {
  public readonly approver: Release;
  public readonly release: Release;

  constructor(scope: Construct, id: string, props: MetricsServerProps) {
    super(scope, id);
    this.approver = props.workloads.addHelmChart('kubelet-csr-approver', {
      chart: KUBELET_CSR_APPROVER_CHART,
      repository: KUBELET_CSR_APPROVER_CHART_REPOSITORY,
      version: KUBELET_CSR_APPROVER_CHART_VERSION,
      releaseName: 'kubelet-csr-approver',
      namespace: METRICS_SERVER_NAMESPACE,
      createNamespace: false,
      values: kubeletCsrApproverValues({ region: props.region, vpcCidr: props.vpcCidr }),
      dependsOn: props.dependsOn,
    });
    this.release = props.workloads.addHelmChart('metrics-server', {
      chart: METRICS_SERVER_CHART,
      repository: METRICS_SERVER_CHART_REPOSITORY,
      version: METRICS_SERVER_CHART_VERSION,
      releaseName: 'metrics-server',
      namespace: METRICS_SERVER_NAMESPACE,
      createNamespace: false,
      values: metricsServerValues(),
      // It is ready once it has scraped a worker whose serving certificate the approver signed; the
      // approver's start falls within this wait, so the release does not wait for the approver's.
      timeoutSeconds: 900,
      dependsOn: [...(props.dependsOn ?? []), ...(props.workerGroups ?? [])],
    });
  }
}
