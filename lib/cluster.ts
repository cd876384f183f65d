import { DataHttp } from '@cdktf/provider-http/lib/data-http';
import { HttpProvider } from '@cdktf/provider-http/lib/provider';
import { Fn, ITerraformDependable, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ControlPlanePki, controlPlaneUserData, workerUserData } from './bootstrap/cloud-init';
import { KubernetesVersion } from './bootstrap/kubernetes-version';
import { ClusterPki } from './bootstrap/pki';
import { Cni } from './cni/cni';
import { CniInstallation, CniPlugin } from './cni/cni-plugin';
import { ClusterAccess } from './kubernetes/cluster-access';
import { ConnectivityCheck } from './kubernetes/connectivity-check';
import { renderAdminKubeconfig } from './kubernetes/kubeconfig';
import { ClusterNetwork } from './network/cluster-network';
import { checkClusterName } from './network/cluster-name';
import { ClusterNetworkSource } from './network/network-source';
import { ClusterNodeIdentities } from './network/node-identity';
import { ClusterSecurityGroups } from './network/security-groups';
import { ADMIN_USER } from './bootstrap/pki';
import { MachineImage } from './nodes/ami';
import { isInstanceType } from './nodes/architecture';
import { ControlPlane, DEFAULT_NODE_INSTANCE_TYPE } from './nodes/control-plane';
import { WorkerPool } from './nodes/worker-pool';
import { DEFAULT_WORKER_POOL, ResolvedWorkerPool, resolveWorkerPools, WorkerPoolOptions } from './nodes/worker-pool-options';
import { AddressPlan, DeclaredSubnet } from './plan/address-plan';
import { ClusterConfigError, ProblemList } from './plan/problems';
import type { RootVolumeOptions } from './network/instance-hardening';
import { renderClusterDiagram } from './cluster-diagram';
import { describeCluster } from './cluster-summary';
import { stackProvider } from './util/providers';
import { NETWORK_DESCRIPTION_KIND, NetworkDescription } from './network-description';

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
   * Ranges allowed to reach NodePort services on the workers.
   * @default - none
   */
  readonly nodePortAccessCidrs?: readonly string[];
  /**
   * Run the pod network check (two nginx pods on two nodes, a Service and a Job reaching them) as
   * part of the deploy.
   * @default true
   */
  readonly connectivityCheck?: boolean;
  /**
   * How long the deploy waits for the API server to answer.
   * @default 15
   */
  readonly readinessTimeoutMinutes?: number;
}

// A lookup of the deploying machine's public address; AWS serves it for exactly this purpose.
const CHECKIP_URL = 'https://checkip.amazonaws.com';

/**
 * A self-managed Kubernetes cluster on AWS, built with kubeadm, in one stack: address plan, VPC,
 * security groups, PKI, control plane, worker pools, the network plugin, and a check that the pod
 * network works. Every part is exposed for composition.
 */
export class KubeadmCluster extends Construct {
  public readonly clusterName: string;
  public readonly plan: AddressPlan;
  public readonly kubernetesVersion: KubernetesVersion;
  public readonly cni: CniPlugin;
  public readonly network: ClusterNetwork;
  public readonly securityGroups: ClusterSecurityGroups;
  public readonly identities: ClusterNodeIdentities;
  public readonly pki: ClusterPki;
  public readonly controlPlane: ControlPlane;
  public readonly workerPools: readonly WorkerPool[];
  public readonly access: ClusterAccess;
  public readonly cniInstallation: CniInstallation;
  public readonly connectivityCheck?: ConnectivityCheck;
  /** `https://host:6443` of the API server. */
  public readonly apiEndpoint: string;
  /** kubeconfig for the admin user (contains the admin key: a sensitive value). */
  public readonly kubeconfig: string;
  private readonly pools: readonly ResolvedWorkerPool[];
  private readonly apiAccessFromDeployer: boolean;
  private readonly workersInPrivateSubnets: boolean;

  constructor(scope: Construct, id: string, props: KubeadmClusterProps) {
    super(scope, id);
    const validated = validate(props);
    this.clusterName = props.clusterName;
    this.plan = validated.plan;
    this.kubernetesVersion = validated.version;
    this.pools = validated.pools;
    this.cni = validated.cni;
    const cpOptions = props.controlPlane ?? {};

    this.network = new ClusterNetwork(this, 'network', { clusterName: this.clusterName, plan: this.plan, source: props.network });

    this.apiAccessFromDeployer = props.apiAccessCidrs === undefined;
    const apiAccessCidrs = props.apiAccessCidrs ?? [this.deployerCidr()];
    this.securityGroups = new ClusterSecurityGroups(this, 'security-groups', {
      clusterName: this.clusterName,
      vpcId: this.network.vpcId,
      pluginPorts: this.cni.ports,
      apiAccessCidrs,
      sshAccessCidrs: props.sshAccessCidrs,
      nodePortAccessCidrs: props.nodePortAccessCidrs,
    });
    this.identities = new ClusterNodeIdentities(this, 'identities', { clusterName: this.clusterName });
    this.pki = new ClusterPki(this, 'pki', { clusterName: this.clusterName });

    const caCertificate = Fn.base64encode(this.pki.clusterCa.certPem);
    const controlPlanePki: ControlPlanePki = {
      caCertificate,
      caKey: Fn.base64encode(this.pki.clusterCa.keyPem),
      frontProxyCaCertificate: Fn.base64encode(this.pki.frontProxyCa.certPem),
      frontProxyCaKey: Fn.base64encode(this.pki.frontProxyCa.keyPem),
      etcdCaCertificate: Fn.base64encode(this.pki.etcdCa.certPem),
      etcdCaKey: Fn.base64encode(this.pki.etcdCa.keyPem),
      serviceAccountKey: Fn.base64encode(this.pki.serviceAccountKeyPem),
      serviceAccountPublicKey: Fn.base64encode(this.pki.serviceAccountPublicKeyPem),
    };
    // Nodes reach the API inside the VPC (the first control-plane node's fixed private IP, or the
    // internal load balancer), keeping the node security groups as the source; users and
    // Terraform use the public address.
    const clusterProps = { bootstrapToken: this.pki.bootstrapToken, clusterName: this.clusterName, kubernetesVersion: this.kubernetesVersion };
    this.controlPlane = new ControlPlane(this, 'control-plane', {
      clusterName: this.clusterName,
      nodes: this.plan.controlPlaneNodes,
      subnetId: (name) => this.network.subnetId(name),
      securityGroupIds: [this.securityGroups.controlPlaneSecurityGroupId],
      instanceProfileName: this.identities.controlPlane.instanceProfileName,
      instanceType: cpOptions.instanceType,
      machineImage: cpOptions.machineImage,
      rootVolume: cpOptions.rootVolume,
      loadBalancing: {
        vpcId: this.network.vpcId,
        subnetIds: this.network.publicSubnetIds.length > 0 ? this.network.publicSubnetIds : this.network.privateSubnetIds,
        nodeSecurityGroupIds: [this.securityGroups.controlPlaneSecurityGroupId, this.securityGroups.workerSecurityGroupId],
        apiAccessCidrs,
      },
      userData: (node, endpoint) =>
        controlPlaneUserData(
          { ...clusterProps, apiServerHost: endpoint.privateHost, plan: this.plan, pki: controlPlanePki, extraCertSans: [endpoint.publicHost] },
          node.index,
        ),
    });
    const apiServerHost = this.controlPlane.endpoint.privateHost;

    // Without a route to the internet from the private subnets, workers go in the public ones.
    this.workersInPrivateSubnets = this.network.workerSubnetIds === this.network.privateSubnetIds;
    const workerData = workerUserData({ ...clusterProps, apiServerHost, caCertificate });
    this.workerPools = this.pools.map(
      (pool) =>
        new WorkerPool(this, `pool-${pool.name}`, {
          clusterName: this.clusterName,
          pool,
          subnetIds: this.network.workerSubnetIds,
          securityGroupIds: [this.securityGroups.workerSecurityGroupId],
          instanceProfileArn: this.identities.worker.instanceProfileArn,
          userData: workerData,
        }),
    );

    this.access = new ClusterAccess(this, 'access', {
      endpointHost: this.controlPlane.endpoint.publicHost,
      clusterCaCertPem: this.pki.clusterCa.certPem,
      adminCertPem: this.pki.adminCertPem,
      adminKeyPem: this.pki.adminKeyPem,
      providerAlias: this.clusterName,
      dependsOn: this.controlPlane.ready,
      readinessTimeoutMinutes: props.readinessTimeoutMinutes,
    });
    this.apiEndpoint = this.access.endpointUrl;

    this.cniInstallation = this.cni.install(this, 'cni', {
      plan: this.plan,
      kubernetesProvider: this.access.kubernetesProvider,
      helmProvider: this.access.helmProvider,
      apiServerHost,
      apiServerPort: 6443,
      dependsOn: [this.access.readiness],
    });

    if (props.connectivityCheck ?? true) {
      this.connectivityCheck = new ConnectivityCheck(this, 'connectivity-check', {
        kubernetesProvider: this.access.kubernetesProvider,
        dependsOn: [...this.cniInstallation.resources, ...this.workerPools.map((p) => p.autoScalingGroup as ITerraformDependable)],
      });
    }

    this.kubeconfig = renderAdminKubeconfig({
      clusterName: this.clusterName,
      server: this.apiEndpoint,
      certificateAuthorityData: caCertificate,
      clientCertificateData: Fn.base64encode(this.pki.adminCertPem),
      clientKeyData: Fn.base64encode(this.pki.adminKeyPem),
      userName: ADMIN_USER,
    });
    this.addOutputs();
  }

  /** What the deploy will create and open, as text for the synth summary. */
  public describe(): string {
    return describeCluster({
      clusterName: this.clusterName,
      plan: this.plan,
      kubernetesVersion: this.kubernetesVersion.version,
      cni: this.cni,
      rules: this.securityGroups.rules,
      pools: this.pools,
      natGateways: this.network.natGatewayCount,
      createsVpc: this.network.createsVpc,
      apiAccessFromDeployer: this.apiAccessFromDeployer,
      connectivityCheck: this.connectivityCheck !== undefined,
    });
  }

  /**
   * A Mermaid flowchart of the network: zones, subnets, nodes, pod and service ranges, and the
   * traffic each security group admits from which.
   */
  public diagram(): string {
    return renderClusterDiagram({
      clusterName: this.clusterName,
      plan: this.plan,
      cni: this.cni,
      rules: this.securityGroups.rules,
      pools: this.pools,
      workersInPrivateSubnets: this.workersInPrivateSubnets,
    });
  }

  /** The machine-readable description the offline rehearsal reads from the synthesised stack. */
  public networkDescription(): NetworkDescription {
    return {
      kind: NETWORK_DESCRIPTION_KIND,
      version: 1,
      clusterName: this.clusterName,
      plan: this.plan.toJSON(),
      plugin: { name: this.cni.name, datapath: this.cni.datapath },
      securityGroups: {
        'control-plane': this.securityGroups.controlPlaneSecurityGroupId,
        worker: this.securityGroups.workerSecurityGroupId,
      },
    };
  }

  private deployerCidr(): string {
    stackProvider(this, HttpProvider, 'http');
    const lookup = new DataHttp(this, 'deployer-address', {
      url: CHECKIP_URL,
      lifecycle: {
        postcondition: [
          {
            condition: '${can(cidrhost(format("%s/32", chomp(self.response_body)), 0))}',
            errorMessage: `Could not learn this machine's public address from ${CHECKIP_URL}. Set apiAccessCidrs to the ranges that may reach the API, this machine's included.`,
          },
        ],
      },
    });
    return `${Fn.chomp(lookup.responseBody)}/32`;
  }

  private addOutputs(): void {
    const prefix = this.clusterName.replace(/-/g, '_');
    const output = (name: string, value: unknown, description: string, sensitive = false) => {
      const out = new TerraformOutput(this, `output-${name}`, { value, description, sensitive });
      out.overrideLogicalId(`${prefix}_${name}`);
      return out;
    };
    output('api_endpoint', this.apiEndpoint, `API server of ${this.clusterName}`);
    output('kubeconfig', this.kubeconfig, `kubeconfig of ${this.clusterName}'s admin (write it to a file: terraform output -raw ${prefix}_kubeconfig)`, true);
    output('cluster_ca_certificate', this.pki.clusterCa.certPem, `CA certificate of ${this.clusterName}`);
    output('control_plane_security_group_id', this.securityGroups.controlPlaneSecurityGroupId, 'Security group of the control-plane nodes');
    output('worker_security_group_id', this.securityGroups.workerSecurityGroupId, 'Security group of the worker nodes');
    output('vpc_id', this.network.vpcId, 'VPC of the cluster');
    output('address_plan', this.plan.toJSON(), 'The address plan');
    output('network_description', this.networkDescription(), 'Address plan, network plugin and security groups, for `cdktf-kubeadm-cluster rehearse`');
  }
}

interface Validated {
  readonly plan: AddressPlan;
  readonly version: KubernetesVersion;
  readonly pools: readonly ResolvedWorkerPool[];
  readonly cni: CniPlugin;
}

/** Checks every input together so that one synth reports every problem. */
function validate(props: KubeadmClusterProps): Validated {
  const problems = new ProblemList();
  checkClusterName(problems, props.clusterName);
  const cni = props.cni ?? Cni.weave();
  const cp = props.controlPlane ?? {};
  const count = cp.count ?? 1;
  if (count !== 1 && count !== 3) {
    problems.add('controlPlane.count', count, 'a control plane has 1 node, or 3 for etcd quorum with one node lost', 'set controlPlane.count to 1 or 3');
  }
  const instanceType = cp.instanceType ?? DEFAULT_NODE_INSTANCE_TYPE;
  if (!isInstanceType(instanceType)) {
    problems.add('controlPlane.instanceType', instanceType, 'is not an EC2 instance type', "write types as family.size, for example 't3.medium'");
  }
  const pools = resolveWorkerPools(problems, props.workerPools ?? [DEFAULT_WORKER_POOL]);
  if (props.connectivityCheck !== false && !pools.some((p) => p.minSize > 0)) {
    problems.add('connectivityCheck', String(props.connectivityCheck ?? true), 'the pod network check needs at least one worker that is always there (a pool with minSize > 0)', 'give a pool a minSize of 1 or more, or set connectivityCheck to false');
  }
  const version = collect(problems, () => KubernetesVersion.of(props.kubernetesVersion));
  const plan = collect(problems, () =>
    AddressPlan.create({
      vpcCidr: props.vpcCidr,
      availabilityZones: props.availabilityZones,
      zoneCount: props.zoneCount,
      existingSubnets: props.existingSubnets,
      podCidr: props.podCidr ?? cni.defaultPodCidr,
      serviceCidr: props.serviceCidr,
      nodeCidrMaskSize: props.nodeCidrMaskSize,
      controlPlaneCount: count === 3 ? 3 : 1,
      workerCount: pools.reduce((sum, p) => sum + Math.max(0, p.maxSize), 0),
    }),
  );
  problems.throwIfAny();
  return { plan: plan!, version: version!, pools, cni };
}

function collect<T>(problems: ProblemList, make: () => T): T | undefined {
  try {
    return make();
  } catch (e) {
    if (e instanceof ClusterConfigError) {
      problems.addAll(e.problems);
      return undefined;
    }
    throw e;
  }
}
