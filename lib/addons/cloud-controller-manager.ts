import type { Release } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import { addonsFor, CCM_CHART, CCM_CHART_REPOSITORY, CCM_CHART_VERSION, CCM_IMAGE_REPOSITORY } from './addon-versions';
import { cloudControllerManagerPolicy } from './ccm-policy';
import type { ClusterWorkloads } from './cluster-workloads';
import type { ServiceAccountIssuer } from './service-account-issuer';
import type { WebIdentityPodSpec } from './web-identity';
import { WorkloadRole } from './workload-role';

/** Where chart 0.0.11 puts everything (its templates read `.Values.namespace`, not the release's). */
export const CCM_NAMESPACE = 'kube-system';
/** The chart's service account (`serviceAccountName`), the one the role trusts. */
export const CCM_SERVICE_ACCOUNT = 'cloud-controller-manager';

export interface CloudControllerManagerValuesInput {
  readonly clusterName: string;
  readonly imageTag: string;
  /** The web-identity env, token volume and mount of its role. */
  readonly podSpec: WebIdentityPodSpec;
}

/**
 * The chart values. The controller runs on the control-plane nodes (the chart's node selector and
 * tolerations), on the host network: it reads its own instance's metadata at start, which a pod
 * network cannot reach with a hop limit of 1. Its AWS calls use the web-identity role, which the
 * SDK prefers to the instance's. Cloud routes stay off: the network plugins here encapsulate.
 */
export function cloudControllerManagerValues(input: CloudControllerManagerValuesInput): object {
  return {
    image: { repository: CCM_IMAGE_REPOSITORY, tag: input.imageTag },
    args: ['--v=2', '--cloud-provider=aws', `--cluster-name=${input.clusterName}`, '--configure-cloud-routes=false'],
    hostNetworking: true,
    env: input.podSpec.env,
    extraVolumes: input.podSpec.volumes,
    extraVolumeMounts: input.podSpec.volumeMounts,
  };
}

export interface CloudControllerManagerProps {
  readonly clusterName: string;
  /** The region (may be a Terraform token). */
  readonly region: string;
  /** The AWS partition (may be a Terraform token). */
  readonly partition: string;
  /** The cluster's VPC: the only one the controller may create security groups in. */
  readonly vpcId: string;
  readonly kubernetesVersion: KubernetesVersion;
  readonly issuer: ServiceAccountIssuer;
  /** Where the release joins the cluster. */
  readonly workloads: ClusterWorkloads;
  /**
   * What else the release waits for (the network plugin, which makes nodes Ready).
   * @default - the API server and the published issuer
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * aws-cloud-controller-manager from its upstream chart, pinned, with the image of the cluster's
 * Kubernetes minor: it initialises nodes (removes their `uninitialized` taint, checks their provider
 * ID) and runs Service load balancers, as its own least-privilege role by web identity.
 */
export class CloudControllerManager extends Construct {
  public readonly role: WorkloadRole;
  public readonly release: Release;

  constructor(scope: Construct, id: string, props: CloudControllerManagerProps) {
    super(scope, id);
    this.role = new WorkloadRole(this, 'role', {
      clusterName: props.clusterName,
      issuer: props.issuer,
      namespace: CCM_NAMESPACE,
      serviceAccount: CCM_SERVICE_ACCOUNT,
      name: 'ccm',
      region: props.region,
      policy: cloudControllerManagerPolicy({ clusterName: props.clusterName, ec2ArnPrefix: `arn:${props.partition}:ec2:${props.region}:*`, elbArnPrefix: `arn:${props.partition}:elasticloadbalancing:${props.region}:*`, vpcId: props.vpcId }),
    });
    this.release = props.workloads.addHelmChart('cloud-controller-manager', {
      chart: CCM_CHART,
      repository: CCM_CHART_REPOSITORY,
      version: CCM_CHART_VERSION,
      releaseName: 'aws-cloud-controller-manager',
      namespace: CCM_NAMESPACE,
      createNamespace: false,
      values: cloudControllerManagerValues({
        clusterName: props.clusterName,
        imageTag: addonsFor(props.kubernetesVersion.minor).ccmImageTag,
        podSpec: this.role.podSpec(),
      }),
      // Its calls fail until IAM can read the issuer and the role's policy is in place.
      dependsOn: [...props.issuer.published, this.role.policy, ...(props.dependsOn ?? [])],
    });
  }
}
