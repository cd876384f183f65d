import type { Release } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { budgetMinutes, controlPlaneBootBudget } from '../bootstrap/boot-budget';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import { autoscalerDiscoveryTagKeys } from '../nodes/autoscaling-tags';
import { LAUNCH_HEARTBEAT_SECONDS } from '../nodes/lifecycle-hooks';
import {
  addonsFor,
  CLUSTER_AUTOSCALER_CHART,
  CLUSTER_AUTOSCALER_CHART_REPOSITORY,
  CLUSTER_AUTOSCALER_CHART_VERSION,
  CLUSTER_AUTOSCALER_IMAGE_REPOSITORY,
} from './addon-versions';
import type { ClusterAutoscaler } from './cluster-autoscaler-options';
import { clusterAutoscalerPolicy } from './cluster-autoscaler-policy';
import type { ClusterWorkloads } from './cluster-workloads';
import type { ServiceAccountIssuer } from './service-account-issuer';
import type { WebIdentityPodSpec } from './web-identity';
import { WorkloadRole } from './workload-role';

export const CLUSTER_AUTOSCALER_NAMESPACE = 'kube-system';
/** The Deployment's name (`fullnameOverride`), so that it does not depend on the release's. */
export const CLUSTER_AUTOSCALER_NAME = 'cluster-autoscaler';
/** The chart's service account (`rbac.serviceAccount.name`), the one the role trusts. */
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = 'cluster-autoscaler';
/** The user of the upstream example's pod (cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml): nobody. */
export const CLUSTER_AUTOSCALER_USER_ID = 65534;

/** What a new worker needs once its bootstrap has its packages: the join and the kubelet's TLS bootstrap on a running API. */
export const JOIN_ALLOWANCE_MINUTES = 5;

/**
 * How long the autoscaler waits for a node it asked for to register (`--max-node-provision-time`;
 * its default is 15 minutes, kubernetes/autoscaler cluster-autoscaler/FAQ.md). After that it gives
 * the instance up and may try another group (FAQ "How does scale-up work?"). A scale-up happens on
 * a running cluster, so a worker needs its own boot up to the join (the boot budget's steps that a
 * worker shares with a control-plane node, each at its bound) and the join: the same reckoning as
 * the deploy's waits, rounded up to 5 minutes. The launch hook's 60 minutes cover the first deploy,
 * when workers also wait for the control plane, so they are longer; an instance the autoscaler
 * gives up while the hook holds it is terminated (through the termination hook) and replaced only
 * if pods still wait.
 */
export const MAX_NODE_PROVISION_MINUTES =
  Math.ceil((budgetMinutes(controlPlaneBootBudget(2).filter((s) => !/^(kubeadm init|PKI)/.test(s.step))) + JOIN_ALLOWANCE_MINUTES) / 5) * 5;

if (MAX_NODE_PROVISION_MINUTES * 60 > LAUNCH_HEARTBEAT_SECONDS) {
  throw new Error('the autoscaler would wait for a node longer than its group holds it: raise LAUNCH_HEARTBEAT_SECONDS');
}

export interface ClusterAutoscalerValuesInput {
  readonly clusterName: string;
  /** The region (may be a Terraform token). */
  readonly region: string;
  readonly imageTag: string;
  readonly options: ClusterAutoscaler;
  /** The web-identity env, token volume and mount of its role. */
  readonly podSpec: WebIdentityPodSpec;
}

/** The autoscaler's flags (the chart's `extraArgs`, merged into its own `logtostderr`, `stderrthreshold`, `v`). */
export function clusterAutoscalerArgs(options: ClusterAutoscaler): Record<string, string> {
  return {
    'max-node-provision-time': `${MAX_NODE_PROVISION_MINUTES}m0s`,
    // A node leaves the scheduler's reckoning before its pods are evicted. Explicit: 1.36 makes it
    // the default, 1.34 and 1.35 name none (FAQ.md of each release).
    'cordon-node-before-terminating': 'true',
    'scale-down-unneeded-time': `${options.scaleDownUnneededMinutes}m0s`,
    'scale-down-utilization-threshold': String(options.scaleDownUtilizationThreshold),
  };
}

/**
 * The chart values (cluster-autoscaler chart 9.59.0 values.yaml and templates/deployment.yaml):
 * - auto-discovery of the groups by this cluster's two tags (`autoDiscovery`), in `awsRegion`;
 * - the image of the cluster's Kubernetes minor;
 * - on the control plane (node selector and toleration), which it never scales down, so a scale-down
 *   never takes away the node it runs on, and off the host network: with `AWS_REGION` set (the
 *   chart sets it from `awsRegion`) and a web-identity role, it never reads instance metadata
 *   (cloudprovider/aws/aws_sdk_provider.go `getRegion` reads the variable first), so the nodes keep
 *   their hop limit of 1;
 * - the web identity through `extraEnv` (a map: `AWS_REGION` is the chart's own), `extraVolumes` and
 *   `extraVolumeMounts`, and a fixed service account name for the role's trust;
 * - the upstream example's pod and container security settings and resources.
 */
export function clusterAutoscalerValues(input: ClusterAutoscalerValuesInput): object {
  const env = Object.fromEntries(input.podSpec.env.filter((e) => e.name !== 'AWS_REGION').map((e) => [e.name, e.value]));
  return {
    fullnameOverride: CLUSTER_AUTOSCALER_NAME,
    cloudProvider: 'aws',
    awsRegion: input.region,
    autoDiscovery: { clusterName: input.clusterName, tags: autoscalerDiscoveryTagKeys(input.clusterName) },
    image: { repository: CLUSTER_AUTOSCALER_IMAGE_REPOSITORY, tag: input.imageTag },
    replicaCount: 1,
    rbac: { create: true, serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, automountServiceAccountToken: true } },
    extraArgs: clusterAutoscalerArgs(input.options),
    extraEnv: env,
    extraVolumes: input.podSpec.volumes,
    extraVolumeMounts: input.podSpec.volumeMounts,
    hostNetwork: false,
    priorityClassName: 'system-cluster-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' },
    tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    // The projected token is readable by the pod's group.
    securityContext: {
      runAsNonRoot: true,
      runAsUser: CLUSTER_AUTOSCALER_USER_ID,
      runAsGroup: CLUSTER_AUTOSCALER_USER_ID,
      fsGroup: CLUSTER_AUTOSCALER_USER_ID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    resources: { requests: { cpu: '100m', memory: '600Mi' }, limits: { memory: '600Mi' } },
  };
}

export interface ClusterAutoscalerReleaseProps {
  readonly clusterName: string;
  /** The region (may be a Terraform token). */
  readonly region: string;
  readonly kubernetesVersion: KubernetesVersion;
  readonly options: ClusterAutoscaler;
  readonly issuer: ServiceAccountIssuer;
  readonly workloads: ClusterWorkloads;
  /** ARNs of the autoscaled groups (matched by name), the only ones it may resize. */
  readonly groupArns: readonly string[];
  /**
   * The control plane's last upgrade association: on a version change the autoscaler of the new
   * minor comes after the control plane has it. The association waits only when the recorded
   * version differs from the target, so on a first deploy this costs nothing.
   */
  readonly controlPlaneUpgraded: ITerraformDependable;
  /**
   * What else the release waits for (the pod network and initialised nodes).
   * @default - the API server and the published issuer
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * cluster-autoscaler from its upstream chart, pinned, with the image of the cluster's Kubernetes
 * minor, as its own least-privilege role by web identity: it raises a group's desired capacity
 * when pods wait for room, and removes nodes that sit idle, within each group's min and max.
 */
export class ClusterAutoscalerRelease extends Construct {
  public readonly role: WorkloadRole;
  public readonly release: Release;

  constructor(scope: Construct, id: string, props: ClusterAutoscalerReleaseProps) {
    super(scope, id);
    this.role = new WorkloadRole(this, 'role', {
      clusterName: props.clusterName,
      issuer: props.issuer,
      namespace: CLUSTER_AUTOSCALER_NAMESPACE,
      serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
      name: 'ca',
      region: props.region,
      policy: clusterAutoscalerPolicy({ clusterName: props.clusterName, groupArns: props.groupArns }),
    });
    this.release = props.workloads.addHelmChart('cluster-autoscaler', {
      chart: CLUSTER_AUTOSCALER_CHART,
      repository: CLUSTER_AUTOSCALER_CHART_REPOSITORY,
      version: CLUSTER_AUTOSCALER_CHART_VERSION,
      releaseName: 'cluster-autoscaler',
      namespace: CLUSTER_AUTOSCALER_NAMESPACE,
      createNamespace: false,
      values: clusterAutoscalerValues({
        clusterName: props.clusterName,
        region: props.region,
        imageTag: addonsFor(props.kubernetesVersion.minor).clusterAutoscalerImageTag,
        options: props.options,
        podSpec: this.role.podSpec(),
      }),
      // Its calls fail until IAM can read the issuer and the role may act.
      dependsOn: [...props.issuer.published, this.role.policy, props.controlPlaneUpgraded, ...(props.dependsOn ?? [])],
    });
  }
}
