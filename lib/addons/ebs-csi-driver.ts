import type { Release } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { EBS_CSI_CHART, EBS_CSI_CHART_REPOSITORY, EBS_CSI_CHART_VERSION } from './addon-versions';
import type { ClusterWorkloads } from './cluster-workloads';
import { ebsCsiDriverPolicy } from './ebs-csi-policy';
import type { ServiceAccountIssuer } from './service-account-issuer';
import type { WebIdentityPodSpec } from './web-identity';
import { WorkloadRole } from './workload-role';

export const EBS_CSI_NAMESPACE = 'kube-system';
/** The chart's controller service account (`controller.serviceAccount.name`), the one the role trusts. */
export const EBS_CSI_CONTROLLER_SERVICE_ACCOUNT = 'ebs-csi-controller-sa';
/** The default StorageClass the chart creates. */
export const DEFAULT_STORAGE_CLASS = 'gp3';

export interface EbsCsiDriverValuesInput {
  readonly clusterName: string;
  /** The region (may be a Terraform token): the controller then needs no metadata for it. */
  readonly region: string;
  /** The web-identity env, token volume and mount of the controller's role. */
  readonly podSpec: WebIdentityPodSpec;
}

/**
 * The chart values. The controller calls AWS as its own role by web identity (the chart has no
 * host-network option for it, and pods cannot reach instance metadata); `k8sTagClusterId` makes
 * every volume and snapshot carry `kubernetes.io/cluster/<cluster>=owned`, so they can be told
 * apart from other clusters' and cleaned up. One StorageClass, the default: encrypted gp3, bound
 * when a pod is scheduled (in that pod's zone).
 */
export function ebsCsiDriverValues(input: EbsCsiDriverValuesInput): object {
  return {
    controller: {
      region: input.region,
      k8sTagClusterId: input.clusterName,
      serviceAccount: { name: EBS_CSI_CONTROLLER_SERVICE_ACCOUNT },
      // The chart renders AWS_REGION from controller.region itself (templates/controller.yaml at
      // helm-chart-aws-ebs-csi-driver-2.64.0); a second one makes the API server warn about a
      // duplicate env name on every apply.
      env: input.podSpec.env.filter((e) => e.name !== 'AWS_REGION'),
      volumes: input.podSpec.volumes,
      volumeMounts: input.podSpec.volumeMounts,
    },
    storageClasses: [
      {
        name: DEFAULT_STORAGE_CLASS,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        volumeBindingMode: 'WaitForFirstConsumer',
        reclaimPolicy: 'Delete',
        allowVolumeExpansion: true,
        parameters: { type: 'gp3', encrypted: 'true' },
      },
    ],
  };
}

export interface EbsCsiDriverProps {
  readonly clusterName: string;
  readonly region: string;
  readonly partition: string;
  readonly issuer: ServiceAccountIssuer;
  readonly workloads: ClusterWorkloads;
  /**
   * What else the release waits for: the pod network, the cloud controller manager (the node plugin
   * learns its zone from the node's labels) and the workers the controller runs on.
   * @default - the API server and the published issuer
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The AWS EBS CSI driver from its upstream chart, pinned, with its controller's role by web identity. */
export class EbsCsiDriver extends Construct {
  public readonly role: WorkloadRole;
  public readonly release: Release;

  constructor(scope: Construct, id: string, props: EbsCsiDriverProps) {
    super(scope, id);
    this.role = new WorkloadRole(this, 'role', {
      clusterName: props.clusterName,
      issuer: props.issuer,
      namespace: EBS_CSI_NAMESPACE,
      serviceAccount: EBS_CSI_CONTROLLER_SERVICE_ACCOUNT,
      name: 'ebs-csi',
      region: props.region,
      policy: ebsCsiDriverPolicy(props.partition),
    });
    this.release = props.workloads.addHelmChart('ebs-csi-driver', {
      chart: EBS_CSI_CHART,
      repository: EBS_CSI_CHART_REPOSITORY,
      version: EBS_CSI_CHART_VERSION,
      releaseName: 'aws-ebs-csi-driver',
      namespace: EBS_CSI_NAMESPACE,
      createNamespace: false,
      values: ebsCsiDriverValues({ clusterName: props.clusterName, region: props.region, podSpec: this.role.podSpec() }),
      // More images than a small chart, on workers that have only just joined.
      timeoutSeconds: 900,
      // The controller's calls fail until IAM can read the issuer and the role's policy is in place.
      dependsOn: [...props.issuer.published, this.role.policy, ...(props.dependsOn ?? [])],
    });
  }
}
