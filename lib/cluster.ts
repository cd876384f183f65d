import { DataHttp } from '@cdktf/provider-http/lib/data-http';
import { HttpProvider } from '@cdktf/provider-http/lib/provider';
import { Fn, ITerraformDependable, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { ControlPlanePki, controlPlaneUserData, workerUserData } from './bootstrap/cloud-init';
import { KubernetesVersion } from './bootstrap/kubernetes-version';
import { ADMIN_USER, ClusterPki } from './bootstrap/pki';
import { renderClusterDiagram } from './cluster-diagram';
import { KubeadmClusterProps } from './cluster-props';
import { describeCluster } from './cluster-summary';
import { validateCluster } from './cluster-validation';
import { CniInstallation, CniPlugin } from './cni/cni-plugin';
import { ClusterAccess } from './kubernetes/cluster-access';
import { ConnectivityCheck } from './kubernetes/connectivity-check';
import { renderAdminKubeconfig } from './kubernetes/kubeconfig';
import { ClusterNetwork } from './network/cluster-network';
import { ClusterNodeIdentities } from './network/node-identity';
import { API_SERVER_PORT } from './network/ports';
import { ClusterSecurityGroups } from './network/security-groups';
import { NETWORK_DESCRIPTION_KIND, NetworkDescription } from './network-description';
import { ControlPlane } from './nodes/control-plane';
import { WorkerPool } from './nodes/worker-pool';
import { ResolvedWorkerPool } from './nodes/worker-pool-options';
import { AddressPlan } from './plan/address-plan';
import { stackProvider } from './util/providers';

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

  constructor(scope: Construct, id: string, props: KubeadmClusterProps) {
    super(scope, id);
    const validated = validateCluster(props);
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
      vpcCidr: this.plan.vpcCidr,
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
      dependsOn: this.network.egressFor('control-plane'),
      keyName: props.sshKeyName,
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
          dependsOn: this.network.egressFor('worker'),
          keyName: props.sshKeyName,
        }),
    );

    this.access = new ClusterAccess(this, 'access', {
      endpointHost: this.controlPlane.endpoint.publicHost,
      clusterCaCertPem: this.pki.clusterCa.certPem,
      clientCertPem: this.pki.terraformCertPem,
      clientKeyPem: this.pki.terraformKeyPem,
      providerAlias: this.clusterName,
      dependsOn: [...this.controlPlane.ready, ...this.securityGroups.externalAccessRules],
      readinessTimeoutMinutes: props.readinessTimeoutMinutes,
    });
    this.apiEndpoint = this.access.endpointUrl;

    this.cniInstallation = this.cni.install(this, 'cni', {
      plan: this.plan,
      kubernetesProvider: this.access.kubernetesProvider,
      helmProvider: this.access.helmProvider,
      apiServerHost,
      apiServerPort: API_SERVER_PORT,
      guaranteedNodeCount: this.plan.controlPlaneCount + this.pools.reduce((sum, p) => sum + p.minSize, 0),
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
      workersInPrivateSubnets: this.network.workersInPrivateSubnets,
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
