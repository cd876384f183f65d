import type { ControlPlaneNodes } from './nodes/control-plane-nodes';
import type { MachineImage } from './nodes/ami';
import type { CniPlugin } from './cni/cni-plugin';
import type { ClusterNetworkSource } from './network/network-source';
import type { RootVolumeOptions } from './network/instance-hardening';
import type { WorkerPoolOptions } from './nodes/worker-pool-options';
import type { DeclaredSubnet } from './plan/address-plan';
import type { EtcdBackup } from './operations/etcd-backup';
import type { ClusterAutoscaler } from './addons/cluster-autoscaler-options';
import type { ServiceAccountIssuerHosting } from './addons/issuer-hosting';

export interface ControlPlaneOptions {
  /**
   * Number of control-plane nodes.
   * @default 1
   */
  readonly count?: number;
  /**
   * @default 't3.medium'
   */
  readonly instanceType?: string;
  /**
   * @default MachineImage.ubuntu2404()
   */
  readonly machineImage?: MachineImage;
  /**
   * @default - 30 GiB gp3, encrypted
   */
  readonly rootVolume?: RootVolumeOptions;
  /**
   * How the nodes run: `ControlPlaneNodes.selfHealing()`, each node an auto scaling group of one
   * that AWS refills with the node's address and etcd volume, or `ControlPlaneNodes.instances()`,
   * one `aws_instance` each, as clusters of earlier releases have them (keep it for those: moving
   * them replaces their nodes; see "Moving a cluster from the previous release").
   * @default ControlPlaneNodes.selfHealing()
   */
  readonly nodes?: ControlPlaneNodes;
}

export interface KubeadmClusterProps {
  /** Name of the cluster: a lower-case DNS label, unique in the AWS account and region. */
  readonly clusterName: string;
  /**
   * Kubernetes version, `1.MINOR.PATCH`.
   * @default DEFAULT_KUBERNETES_VERSION
   */
  readonly kubernetesVersion?: string;
  /**
   * Where the VPC comes from.
   * @default ClusterNetworkSource.newVpc() - a new VPC with one NAT gateway
   */
  readonly network?: ClusterNetworkSource;
  /**
   * The VPC's range (for an existing VPC, its range as AWS reports it).
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string;
  /**
   * Availability zones to spread the subnets over.
   * @default - two zones, chosen at deploy time
   */
  readonly availabilityZones?: readonly string[];
  /**
   * Number of availability zones when their names are left to deploy time.
   * @default 2
   */
  readonly zoneCount?: number;
  /**
   * The subnets of an existing VPC (with `ClusterNetworkSource.existingVpc`).
   * @default - subnets are created
   */
  readonly existingSubnets?: readonly DeclaredSubnet[];
  /**
   * The pod range, shared by kubeadm, kube-proxy and the network plugin.
   * @default - the network plugin's default range
   */
  readonly podCidr?: string;
  /**
   * The service range.
   * @default '10.96.0.0/12'
   */
  readonly serviceCidr?: string;
  /**
   * Prefix length of each node's share of the pod range.
   * @default 24
   */
  readonly nodeCidrMaskSize?: number;
  /**
   * @default - one t3.medium node
   */
  readonly controlPlane?: ControlPlaneOptions;
  /**
   * @default - one pool named `workers` of two t3.medium nodes
   */
  readonly workerPools?: readonly WorkerPoolOptions[];
  /**
   * The network plugin.
   * @default Cni.weave()
   */
  readonly cni?: CniPlugin;
  /**
   * Ranges allowed to reach the API server from outside the VPC. Terraform itself talks to the API
   * during the deploy, so the machine running `cdktf deploy` must be inside one of them.
   * @default - the public address of the machine running the deploy, looked up when it runs
   */
  readonly apiAccessCidrs?: readonly string[];
  /**
   * Ranges allowed to reach SSH on the nodes. Nodes are reachable through SSM Session Manager
   * without it.
   * @default - none: SSH is closed
   */
  readonly sshAccessCidrs?: readonly string[];
  /**
   * EC2 key pair for SSH logins (with `sshAccessCidrs`).
   * @default - none: nodes are reached through SSM Session Manager
   */
  readonly sshKeyName?: string;
  /**
   * Ranges allowed to reach NodePort services on the workers.
   * @default - none
   */
  readonly nodePortAccessCidrs?: readonly string[];
  /**
   * Run the cluster check (two nginx pods on two nodes, a Service, and a Job that reaches them,
   * counts Ready and initialised nodes and reaches the internet) as
   * part of the deploy.
   * @default true
   */
  readonly connectivityCheck?: boolean;
  /**
   * Also prove the cloud integration as part of the deploy, after the cluster check: a Service of
   * type LoadBalancer whose AWS load balancer reaches the check's nginx pods, and a pod that writes
   * and reads a file on a new EBS volume of the default StorageClass; both are deleted again, and
   * the check waits until the load balancer and the volume are gone. It costs a few cents and adds
   * several minutes to the deploy; it needs the connectivity check, the cloud controller manager
   * and the EBS CSI driver.
   * @default false
   */
  readonly cloudCheck?: boolean;
  /**
   * How long the deploy waits for the API server to answer. A healthy deploy goes on as soon as
   * it does; a shorter wait than the default can fail a slow but healthy first boot (a warning
   * at synth says so).
   * @default 50 - the first control-plane node's boot budget (DEFAULT_READINESS_TIMEOUT_MINUTES)
   */
  readonly readinessTimeoutMinutes?: number;
  /**
   * ARN of a KMS key of yours for the cluster's SecureString parameters (CA keys, encryption-at-rest
   * configuration, join token). Its key policy must let the account's IAM policies grant its use,
   * as the default key policy does.
   * @default - a key of the cluster's own, with yearly rotation
   */
  readonly secretsKmsKeyArn?: string;
  /**
   * etcd snapshots: `EtcdBackup.toNewBucket({ intervalMinutes, retentionDays, emptyOnDestroy })`,
   * `EtcdBackup.toBucket({ bucketName, prefix })` for a bucket of yours, or `EtcdBackup.disabled()`.
   * A new bucket is kept when the stack is destroyed unless `emptyOnDestroy` is set.
   * @default EtcdBackup.toNewBucket() - every 30 minutes, kept 14 days, bucket kept on destroy
   */
  readonly backup?: EtcdBackup;
  /**
   * Where IAM reads the cluster's service-account issuer. The issuer URL is fixed for the cluster's
   * life (it is in every token and in the API server's flags); a deploy that would move it stops.
   * @default ServiceAccountIssuerHosting.cloudFront() - a private bucket behind CloudFront, for accounts that block public access
   */
  readonly serviceAccountIssuerHosting?: ServiceAccountIssuerHosting;
  /**
   * Install aws-cloud-controller-manager and let kubelets wait for it (`cloud-provider: external`):
   * it initialises nodes and runs Service load balancers, with its own role by web identity. Without
   * it nodes register initialised by themselves and Services of type LoadBalancer get no AWS load
   * balancer.
   * @default true
   */
  readonly cloudControllerManager?: boolean;
  /**
   * Install the AWS EBS CSI driver, with its controller's own role by web identity, and make an
   * encrypted gp3 StorageClass (bound in the pod's zone) the default. Its node plugin learns the
   * node's zone from the labels the cloud controller manager sets, so it needs that too.
   * @default - true when the cloud controller manager is installed
   */
  readonly ebsCsiDriver?: boolean;
  /**
   * Install metrics-server (`kubectl top`, resource-based autoscaling) without
   * `--kubelet-insecure-tls`: workers ask the cluster CA for their kubelet serving certificates and
   * kubelet-csr-approver approves them after checking the node's name and addresses. It needs the
   * cloud controller manager (which gives nodes the DNS names the approver checks) and workers in
   * private subnets (the approver denies certificates that name public addresses).
   * @default - true when the cloud controller manager is installed and workers are in private subnets
   */
  readonly metricsServer?: boolean;
  /**
   * Drain nodes before they go: aws-node-termination-handler in queue mode, with an SQS queue fed
   * by EventBridge (worker groups' termination hooks, Spot interruptions and rebalance
   * recommendations, stopping instances, scheduled maintenance), running on the control plane as
   * its own role by web identity. Without it a worker group still holds a terminating instance for
   * its hook's five minutes, but nothing drains it.
   * @default true
   */
  readonly nodeTerminationHandler?: boolean;
  /**
   * cluster-autoscaler: `ClusterAutoscaler.enabled({...})` sizes every pool with maxSize > minSize
   * (unless the pool says `autoscaled: false`) to its pods' requests, from the upstream chart with
   * the image of the cluster's minor, on the control plane, as its own role by web identity. It
   * changes the groups' sizes, and so the bill, by itself: see "Cluster autoscaling" in the README.
   * @default ClusterAutoscaler.disabled()
   */
  readonly clusterAutoscaler?: ClusterAutoscaler;
  /**
   * Also prove the autoscaler as part of the deploy, after the cluster check: a Deployment whose
   * pods ask for more room than the autoscaled pools' nodes have free waits until the autoscaler
   * has added a node and its pods run there, and is deleted again. It adds a worker for a few
   * minutes (the autoscaler removes it once it is unneeded) and about ten minutes to the deploy.
   * @default false
   */
  readonly scaleUpCheck?: boolean;
  /**
   * On destroy, remove what Kubernetes made in AWS for the cluster (the cloud controller manager's
   * load balancers, target groups and security groups, the EBS driver's volumes whose claims
   * outlived it), after the nodes are gone and before the VPC: a Lambda function that Terraform
   * invokes, touching only resources tagged `kubernetes.io/cluster/<cluster>=owned`.
   * @default - true when the cloud controller manager or the EBS CSI driver is installed
   */
  readonly cleanUpOnDestroy?: boolean;
  /**
   * With the destroy-time cleanup, also delete the EBS snapshots the EBS CSI driver made for the
   * cluster's VolumeSnapshots. Off, they outlive the cluster (they hold data and block nothing)
   * and the cleanup's log lists them. Set it and deploy before destroying: Terraform destroys with
   * the invocation's input in state.
   * @default false
   */
  readonly removeSnapshotsOnDestroy?: boolean;
  /**
   * Give up the cluster's Kubernetes and Helm resources without calling its API: the stack then
   * holds none of them and carries a `removed` block (`lifecycle { destroy = false }`) for each, so
   * the next deploy forgets them and a destroy afterwards removes the AWS resources. For a cluster
   * whose API is gone for good; needs Terraform or OpenTofu 1.7 or later. Kubernetes resources of
   * your own on `access.kubernetesProvider` or `access.helmProvider` need the same.
   * @default false
   */
  readonly abandon?: boolean;
}
