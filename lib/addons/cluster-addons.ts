import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import { CloudControllerManager } from './cloud-controller-manager';
import type { ClusterAutoscaler } from './cluster-autoscaler-options';
import { ClusterAutoscalerRelease } from './cluster-autoscaler';
import type { ClusterWorkloads } from './cluster-workloads';
import { EbsCsiDriver } from './ebs-csi-driver';
import { MetricsServer } from './metrics-server';
import { NodeTerminationHandler } from './node-termination-handler';
import type { ServiceAccountIssuer } from './service-account-issuer';

/** What the cluster's own add-ons are built from, and what they may wait for. */
export interface ClusterAddonsProps {
  readonly clusterName: string;
  /** The region (may be a Terraform token). */
  readonly region: string;
  /** The AWS partition (may be a Terraform token). */
  readonly partition: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly kubernetesVersion: KubernetesVersion;
  readonly issuer: ServiceAccountIssuer;
  readonly workloads: ClusterWorkloads;
  /** The network plugin's resources: once applied, nodes turn Ready and pods get addresses. */
  readonly podNetwork: readonly ITerraformDependable[];
  /**
   * The last control-plane node's upgrade (`KubernetesUpgrade.done`). Add-ons whose image follows
   * the cluster's minor move to a new one only after it: on a version change it waits until every
   * control-plane node runs the new version, and on every other deploy it waits for nothing.
   */
  readonly controlPlaneUpgraded: ITerraformDependable;
  /** The worker groups: each is done once its minimum of workers is Ready. */
  readonly workerGroups: readonly ITerraformDependable[];
  /** Whether to install aws-cloud-controller-manager. */
  readonly cloudControllerManager: boolean;
  /** Whether to install the EBS CSI driver. */
  readonly ebsCsiDriver: boolean;
  /** Whether to install metrics-server and its approver of kubelet serving certificates. */
  readonly metricsServer: boolean;
  /**
   * The termination handler's worker groups and tag, when it is installed.
   * @default - not installed
   */
  readonly nodeTerminationHandler?: {
    readonly groupNames: readonly string[];
    readonly groupArns: readonly string[];
    readonly managedTag: string;
    readonly controlPlaneCount: number;
  };
  /**
   * The autoscaler's options, its groups and the control plane's last upgrade step, when it is installed.
   * @default - not installed
   */
  readonly clusterAutoscaler?: {
    readonly options: ClusterAutoscaler;
    readonly groupArns: readonly string[];
    readonly controlPlaneUpgraded: ITerraformDependable;
  };
}

/** The add-ons installed. */
export interface ClusterAddons {
  readonly cloudControllerManager?: CloudControllerManager;
  readonly ebsCsiDriver?: EbsCsiDriver;
  readonly metricsServer?: MetricsServer;
  readonly nodeTerminationHandler?: NodeTerminationHandler;
  readonly clusterAutoscaler?: ClusterAutoscalerRelease;
}

/**
 * The cluster's own add-ons under `scope`, each installed as soon as what its release needs in order
 * to become ready exists. Helm (and the kubernetes provider's rollout) waits until the pods are
 * Ready, so each edge below is something without which they would not be. What every pod needs:
 * - a node that is Ready: until the network plugin runs on a node, the node lifecycle controller
 *   taints it `node.kubernetes.io/not-ready:NoSchedule` (kubernetes/kubernetes
 *   pkg/controller/nodelifecycle/node_lifecycle_controller.go, `nodeConditionToTaintKeyStatusMap`),
 *   and DaemonSet pods tolerate only its `NoExecute` form by default
 *   (pkg/controller/daemon/util/daemonset_util.go, `AddOrUpdateDaemonPodTolerations`);
 * - a node the cloud controller manager has initialised, unless the pod tolerates
 *   `node.cloudprovider.kubernetes.io/uninitialized` (only the controller's own chart does);
 * - the pod network, for pods off the host network (all but the controller's);
 * - for pods that tolerate no control-plane taint, a worker.
 * What no add-on waits for is another add-on's release: metrics-server and the approver it relies
 * on install together, and metrics-server's readiness wait covers the approver's start.
 */
export function addClusterAddons(scope: Construct, props: ClusterAddonsProps): ClusterAddons {
  const { clusterName, region, partition, issuer, workloads, podNetwork, workerGroups } = props;
  const cloudControllerManager = props.cloudControllerManager
    ? new CloudControllerManager(scope, 'cloud-controller-manager', {
        clusterName, region, partition, vpcId: props.vpcId, kubernetesVersion: props.kubernetesVersion, issuer, workloads,
        // A Ready node: chart 0.0.11 (kubernetes/cloud-provider-aws charts/aws-cloud-controller-manager
        // values.yaml) tolerates the uninitialized and control-plane taints, not not-ready. It runs on
        // the host network, so it needs the plugin only for that. Its image is the cluster minor's,
        // and the version-skew policy (kubernetes.io/releases/version-skew-policy) wants the
        // cloud-controller-manager never newer than the kube-apiserver: so, on a version change,
        // it waits for the control plane's upgrade. The associations wait for success only while
        // the recorded version differs from the target (kubernetes-upgrade.ts), so on a first
        // deploy and on every deploy that changes no version, this edge waits for nothing.
        dependsOn: [...podNetwork, props.controlPlaneUpgraded],
      })
    : undefined;
  // Pods scheduled off the controller's toleration wait for it to initialise their node.
  const initialised = cloudControllerManager ? [cloudControllerManager.release] : [];
  const ebsCsiDriver = props.ebsCsiDriver
    ? new EbsCsiDriver(scope, 'ebs-csi-driver', {
        clusterName, region, partition, issuer, workloads,
        // Chart 2.64.0 (kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver values.yaml): the
        // node DaemonSet tolerates every taint but is off the host network (`node.hostNetwork: false`)
        // and, without instance metadata there, reads its zone from the labels the controller sets;
        // the controller tolerates no NoSchedule taint, so its replicas need initialised workers.
        dependsOn: [...podNetwork, ...initialised, ...workerGroups],
      })
    : undefined;
  const metricsServer = props.metricsServer
    ? new MetricsServer(scope, 'metrics-server', {
        region, vpcCidr: props.vpcCidr, workloads,
        // Both off the host network on initialised nodes; the approver tolerates the control-plane
        // taint (postfinance/kubelet-csr-approver chart v1.2.14 values.yaml), so it needs no worker.
        dependsOn: [...podNetwork, ...initialised],
        // metrics-server tolerates nothing (chart 3.13.1 `tolerations: []`) and is ready only once it
        // has scraped a worker (v0.8.1 pkg/storage `Ready`), whose serving certificate the approver
        // signs: so it waits for the workers, not for the approver's release.
        workerGroups,
      })
    : undefined;
  const nth = props.nodeTerminationHandler;
  const nodeTerminationHandler = nth
    ? new NodeTerminationHandler(scope, 'node-termination-handler', {
        clusterName, region, issuer, workloads, ...nth,
        // With the autoscaler, a Spot pool's capacity rebalance alone answers a rebalance
        // recommendation (see README "Cluster autoscaling"), so the handler does not drain on it too.
        rebalanceRecommendations: props.clusterAutoscaler === undefined,
        // It runs on the control plane (its own toleration) off the host network, reaching AWS through
        // the pod network and cluster DNS, on nodes the controller has initialised.
        dependsOn: [...podNetwork, ...initialised],
      })
    : undefined;
  const ca = props.clusterAutoscaler;
  // Like the handler: on the control plane, off the host network, on initialised nodes.
  const clusterAutoscaler = ca
    ? new ClusterAutoscalerRelease(scope, 'cluster-autoscaler', { clusterName, region, kubernetesVersion: props.kubernetesVersion, issuer, workloads, ...ca, dependsOn: [...podNetwork, ...initialised] })
    : undefined;
  return { cloudControllerManager, ebsCsiDriver, metricsServer, nodeTerminationHandler, clusterAutoscaler };
}
