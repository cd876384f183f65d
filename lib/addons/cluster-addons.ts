import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import { CloudControllerManager } from './cloud-controller-manager';
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
}

/** The add-ons installed. */
export interface ClusterAddons {
  readonly cloudControllerManager?: CloudControllerManager;
  readonly ebsCsiDriver?: EbsCsiDriver;
  readonly metricsServer?: MetricsServer;
  readonly nodeTerminationHandler?: NodeTerminationHandler;
}

/** The cluster's own add-ons under `scope`, each waiting for what it needs to become ready. */
export function addClusterAddons(scope: Construct, props: ClusterAddonsProps): ClusterAddons {
  const { clusterName, region, partition, issuer, workloads } = props;
  const cloudControllerManager = props.cloudControllerManager
    ? new CloudControllerManager(scope, 'cloud-controller-manager', { clusterName, region, partition, vpcId: props.vpcId, kubernetesVersion: props.kubernetesVersion, issuer, workloads })
    : undefined;
  const ccm = cloudControllerManager ? [cloudControllerManager.release] : [];
  const ebsCsiDriver = props.ebsCsiDriver ? new EbsCsiDriver(scope, 'ebs-csi-driver', { clusterName, region, partition, issuer, workloads, dependsOn: ccm }) : undefined;
  // Its pods run on the pod network, and the approver resolves node names through cluster DNS.
  const metricsServer = props.metricsServer ? new MetricsServer(scope, 'metrics-server', { region, vpcCidr: props.vpcCidr, workloads, dependsOn: [...props.podNetwork, ...ccm] }) : undefined;
  const nth = props.nodeTerminationHandler;
  const nodeTerminationHandler = nth
    ? new NodeTerminationHandler(scope, 'node-termination-handler', {
        clusterName,
        region,
        issuer,
        workloads,
        ...nth,
        // Its pods reach AWS through the pod network, and are scheduled once nodes are initialised.
        dependsOn: [...props.podNetwork, ...ccm],
      })
    : undefined;
  return { cloudControllerManager, ebsCsiDriver, metricsServer, nodeTerminationHandler };
}
