import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Fn, ITerraformDependable, TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { Release } from '@cdktf/provider-helm/lib/release';
import { DestroyCleanup } from './addons/cleanup/destroy-cleanup';
import { addClusterAddons } from './addons/cluster-addons';
import type { CloudControllerManager } from './addons/cloud-controller-manager';
import { DEFAULT_STORAGE_CLASS, EbsCsiDriver } from './addons/ebs-csi-driver';
import type { MetricsServer } from './addons/metrics-server';
import type { NodeTerminationHandler } from './addons/node-termination-handler';
import { ClusterAutoscalerRelease, MAX_NODE_PROVISION_MINUTES } from './addons/cluster-autoscaler';
import { ClusterWorkloads, HelmChartProps, KubernetesResourceClass, KubernetesResourceConfig } from './addons/cluster-workloads';
import { ServiceAccountIssuer } from './addons/service-account-issuer';
import { ISSUER_CACHE_CONTROL, JWKS_KEY } from './addons/web-identity';
import { controlPlaneUserData, workerUserData } from './bootstrap/cloud-init';
import { ClusterSecrets } from './bootstrap/cluster-secrets';
import { KubernetesVersion } from './bootstrap/kubernetes-version';
import { ADMIN_USER, ClusterPki } from './bootstrap/pki';
import { renderClusterDiagram } from './cluster-diagram';
import { KubeadmClusterProps } from './cluster-props';
import { describeCluster } from './cluster-summary';
import { validateCluster } from './cluster-validation';
import { CniInstallation, CniPlugin } from './cni/cni-plugin';
import { addRoutedPodNetwork } from './network/routed/routed-pod-network';
import { abandonClusterResources } from './kubernetes/abandoned-resources';
import { ClusterAccess } from './kubernetes/cluster-access';
import { ConnectivityCheck } from './kubernetes/connectivity-check';
import { renderAdminKubeconfig } from './kubernetes/kubeconfig';
import { ClusterNetwork } from './network/cluster-network';
import { ClusterNodeIdentities } from './network/node-identity';
import { API_SERVER_PORT } from './network/ports';
import { ClusterSecurityGroups } from './network/security-groups';
import { terminationHandlerTagKey } from './network/tags';
import { NETWORK_DESCRIPTION_KIND, NetworkDescription } from './network-description';
import { addIssuerKeysPublication } from './operations/issuer-keys';
import { addJoinTokenRotation, JoinTokenRotation } from './operations/join-token-rotation';
import { addKubernetesUpgrade, KubernetesUpgrade } from './operations/kubernetes-upgrade';
import { NodeChannel } from './operations/node-channel';
import { addNodeTools } from './operations/node-tools';
import { addCertificateRenewal, CertificateRenewal } from './operations/certificate-renewal';
import { addControlPlaneKubeletCertificates } from './operations/kubelet-serving-certificate';
import { EtcdBackup } from './operations/etcd-backup';
import { EtcdBackups } from './operations/etcd-backups';
import { metricsStatement, policyOf } from './operations/operations-policies';
import { ControlPlane } from './nodes/control-plane';
import { ControlPlaneNodes, ControlPlaneRecoveryWiring } from './nodes/control-plane-recovery';
import { LAUNCH_HOOK_NAME } from './nodes/lifecycle-hooks';
import { WorkerPool } from './nodes/worker-pool';
import { ResolvedWorkerPool } from './nodes/worker-pool-options';
import { AddressPlan } from './plan/address-plan';
import { ProblemList } from './plan/problems';
import type { PolicyDocument } from './bootstrap/secrets-policies';
import { deployerAddressCidr } from './network/deployer-address';
import { addClusterOutputs } from './cluster-outputs';

// Re-exported: it was first defined here.
export { DEPLOYER_ADDRESS_WARNING } from './network/deployer-address';

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
  /** The cluster's secrets in Parameter Store and their KMS key. */
  public readonly secrets: ClusterSecrets;
  /** The SSM channel to running nodes. */
  public readonly channel: NodeChannel;
  /** The service-account issuer published for IAM, which workload roles trust. */
  public readonly serviceAccountIssuer: ServiceAccountIssuer;
  /** The join token's rotation on the control plane, the document that rotates or revokes at once, and its alarm. */
  public readonly joinTokenRotation: JoinTokenRotation;
  /** etcd snapshots to S3 and their restore (absent with `EtcdBackup.disabled()`). */
  public readonly etcdBackups?: EtcdBackups;
  /** The daily kubeadm certificate renewal on the control plane, and its alarm. */
  public readonly certificateRenewal: CertificateRenewal;
  public readonly controlPlane: ControlPlane;
  /** The control plane's upgrade: a version parameter, the document and one association per node. */
  public readonly upgrade: KubernetesUpgrade;
  public readonly workerPools: readonly WorkerPool[];
  public readonly access: ClusterAccess;
  /** Where Helm charts and typed Kubernetes resources join the cluster (see `addHelmChart`). */
  public readonly workloads: ClusterWorkloads;
  public readonly cniInstallation: CniInstallation;
  /** aws-cloud-controller-manager, unless turned off. */
  public readonly cloudControllerManager?: CloudControllerManager;
  /** The EBS CSI driver and its default StorageClass, unless turned off. */
  public readonly ebsCsiDriver?: EbsCsiDriver;
  /** metrics-server and the approver of kubelet serving certificates, unless turned off. */
  public readonly metricsServer?: MetricsServer;
  /** Drains nodes before they go (with `nodeTerminationHandler`). */
  public readonly nodeTerminationHandler?: NodeTerminationHandler;
  /** Sizes the autoscaled pools (with `clusterAutoscaler: ClusterAutoscaler.enabled()`). */
  public readonly clusterAutoscaler?: ClusterAutoscalerRelease;
  /** The deploying account, for ARNs that must name it; made on first use. */
  private callerIdentity?: DataAwsCallerIdentity;
  /** What removes Kubernetes' own AWS resources on destroy, unless turned off (see `cleanUpOnDestroy`). */
  public readonly destroyCleanup?: DestroyCleanup;
  public readonly connectivityCheck?: ConnectivityCheck;
  /**
   * With `abandon`, the addresses of the Kubernetes and Helm resources the stack forgets (each in a
   * `removed` block); otherwise empty.
   */
  public readonly abandonedResources: readonly string[] = [];
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
    const autoscaler = props.clusterAutoscaler?.enabled ? props.clusterAutoscaler : undefined;

    this.network = new ClusterNetwork(this, 'network', { clusterName: this.clusterName, plan: this.plan, source: props.network });
    const metricsServer = this.metricsServerWanted(props);

    this.apiAccessFromDeployer = props.apiAccessCidrs === undefined;
    const apiAccessCidrs = props.apiAccessCidrs ?? [deployerAddressCidr(this)];
    this.securityGroups = new ClusterSecurityGroups(this, 'security-groups', {
      clusterName: this.clusterName,
      vpcId: this.network.vpcId,
      vpcCidr: this.plan.vpcCidr,
      pluginPorts: this.cni.ports,
      podCidr: this.cni.datapath.encapsulation === 'routed' ? this.plan.podCidr : undefined,
      apiAccessCidrs,
      sshAccessCidrs: props.sshAccessCidrs,
      nodePortAccessCidrs: props.nodePortAccessCidrs,
    });
    const region = new DataAwsRegion(this, 'region').region;
    this.identities = new ClusterNodeIdentities(this, 'identities', { clusterName: this.clusterName, region });
    this.pki = new ClusterPki(this, 'pki', { clusterName: this.clusterName });
    this.secrets = new ClusterSecrets(this, 'secrets', { clusterName: this.clusterName, pki: this.pki, region, kmsKeyArn: props.secretsKmsKeyArn });
    this.identities.controlPlane.addPolicy('secrets-policy', 'cluster-secrets', this.secrets.controlPlanePolicy());
    this.identities.worker.addPolicy('secrets-policy', 'join-token', this.secrets.workerPolicy());
    this.identities.worker.addPolicy('instance-health-policy', 'instance-health', this.instanceHealthPolicy(region));
    this.channel = new NodeChannel(this, 'channel', { clusterName: this.clusterName });
    addNodeTools(this.channel);
    const recovery = new ControlPlaneRecoveryWiring(this, 'recovery', { clusterName: this.clusterName, parameterPath: this.secrets.parameterPath, region, partition: this.identities.partition, nodes: this.plan.controlPlaneNodes, nodeKind: cpOptions.nodes ?? ControlPlaneNodes.selfHealing(), identity: this.identities.controlPlane, channel: this.channel });
    this.joinTokenRotation = addJoinTokenRotation(this.channel, { clusterName: this.clusterName, secrets: this.secrets.location });
    // Day 2 on the control plane: etcd snapshots and certificate renewal, both reporting metrics.
    const backup = props.backup ?? EtcdBackup.toNewBucket();
    if (backup.enabled) {
      this.etcdBackups = new EtcdBackups(this, 'etcd-backups', {
        clusterName: this.clusterName, region, partition: this.identities.partition, parameterPath: this.secrets.parameterPath,
        kubernetesVersion: this.kubernetesVersion, backup, channel: this.channel, generationParameter: recovery.generation.parameter.name,
      });
    }
    this.certificateRenewal = addCertificateRenewal(this.channel, { clusterName: this.clusterName, region });
    if (metricsServer) addControlPlaneKubeletCertificates(this.channel); // so that metrics-server verifies control-plane kubelets too
    this.identities.controlPlane.addPolicy('operations-policy', 'day2-operations', policyOf([...(this.etcdBackups?.controlPlaneStatements() ?? []), metricsStatement()]));
    this.serviceAccountIssuer = this.publishServiceAccountIssuer(region, props.serviceAccountIssuerHosting);
    const routed = addRoutedPodNetwork(this.cni, { clusterName: this.clusterName, region, partition: this.identities.partition, vpcId: this.network.vpcId, plan: this.plan, channel: this.channel, controlPlaneIdentity: this.identities.controlPlane });
    // A booting control-plane node runs the installations it needs itself (after every one is added).
    this.identities.controlPlane.addPolicy('channel-documents-policy', 'channel-documents', this.channel.documentReadPolicy('control-plane'));
    if (routed) {
      this.identities.worker.addPolicy('channel-documents-policy', 'channel-documents', this.channel.documentReadPolicy('worker'));
    }
    // Nodes read their secrets at boot: the parameters, the key and the permissions (the SSM
    // agent's among them) come first.
    const secretsReady = (policies: readonly ITerraformDependable[]) => [
      ...this.secrets.secureParameters,
      ...this.secrets.plainParameters,
      ...(this.secrets.key ? [this.secrets.key] : []),
      ...policies,
    ];

    const installsCloudIntegration = (props.cloudControllerManager ?? true) || (props.ebsCsiDriver ?? false);
    if (props.cleanUpOnDestroy ?? installsCloudIntegration) {
      this.destroyCleanup = new DestroyCleanup(this, 'destroy-cleanup', {
        clusterName: this.clusterName,
        region,
        vpcId: this.network.vpcId,
        securityGroups: [this.securityGroups.controlPlaneSecurityGroup, this.securityGroups.workerSecurityGroup],
        removeSnapshots: props.removeSnapshotsOnDestroy,
        // Subnets cannot go while load balancers' interfaces are in them, nor the internet gateway
        // (behind the public routes) while their public addresses are mapped. NAT gateways are
        // left out, so that no node waits for one on the first deploy.
        dependsOn: [...this.network.node.findAll().filter((c): c is Subnet => c instanceof Subnet), ...this.network.publicEgress],
      });
    }
    // On destroy the nodes (and with them the cloud controller manager) go before the cleanup runs.
    const cleanupFirst = this.destroyCleanup ? [this.destroyCleanup.invocation] : [];

    const caCertificate = Fn.base64encode(this.pki.clusterCa.certPem);
    // Nodes reach the API inside the VPC (the first control-plane node's fixed private IP, or the
    // internal load balancer), keeping the node security groups as the source; users and
    // Terraform use the public address.
    const clusterProps = {
      clusterName: this.clusterName,
      kubernetesVersion: this.kubernetesVersion,
      secrets: {
        ...this.secrets.location,
        channelDocuments: { joinToken: this.channel.resourceName('join-token-rotation'), issuerKeys: this.channel.resourceName('issuer-keys') },
        etcdRestore: this.etcdBackups?.restoreSettings,
        podNetwork: routed?.nodeProgram,
      },
      // Nodes wait for a cloud controller manager only when the cluster installs one.
      externalCloudProvider: props.cloudControllerManager ?? true,
    };
    // The control plane moves to a new version first; the worker pools follow once it has. Its
    // associations find their nodes by tag, so they come before the instances, and so does the
    // permission to record the version.
    this.upgrade = addKubernetesUpgrade(this.channel, {
      target: this.kubernetesVersion,
      region,
      parameterPath: this.secrets.parameterPath,
      controlPlaneNodes: this.plan.controlPlaneNodes,
    });
    this.identities.controlPlane.addPolicy('version-policy', 'kubernetes-version', this.upgrade.controlPlanePolicy);
    this.controlPlane = new ControlPlane(this, 'control-plane', {
      clusterName: this.clusterName, nodeKind: cpOptions.nodes, sourceDestCheck: this.cni.datapath.encapsulation === 'routed' ? false : undefined,
      nodes: this.plan.controlPlaneNodes,
      subnetId: (name) => this.network.subnetId(name),
      securityGroupIds: [this.securityGroups.controlPlaneSecurityGroupId], instanceProfileName: this.identities.controlPlane.instanceProfileName,
      instanceType: cpOptions.instanceType, machineImage: cpOptions.machineImage, rootVolume: cpOptions.rootVolume,
      dependsOn: [...this.network.egressFor('control-plane'), ...secretsReady(this.identities.controlPlane.policies), ...(this.etcdBackups?.bootDependencies ?? []), ...cleanupFirst],
      keyName: props.sshKeyName,
      loadBalancing: {
        vpcId: this.network.vpcId,
        subnetIds: this.network.publicSubnetIds.length > 0 ? this.network.publicSubnetIds : this.network.privateSubnetIds,
        nodeSecurityGroupIds: [this.securityGroups.controlPlaneSecurityGroupId, this.securityGroups.workerSecurityGroupId],
        apiAccessCidrs,
      },
      userData: (node, endpoint, etcdVolumeId) =>
        controlPlaneUserData(
          {
            ...clusterProps,
            recovery: recovery.recoveryFor(node, etcdVolumeId),
            apiServerHost: endpoint.privateHost,
            plan: this.plan,
            extraCertSans: [endpoint.publicHost],
            serviceAccountIssuer: this.serviceAccountIssuer.apiServerArgs,
          },
          node.index,
        ),
    });
    const apiServerHost = this.controlPlane.endpoint.privateHost;

    this.workerPools = this.pools.map(
      (pool) =>
        new WorkerPool(this, `pool-${pool.name}`, {
          clusterName: this.clusterName,
          pool,
          subnetIds: this.network.workerSubnetIds,
          securityGroupIds: [this.securityGroups.workerSecurityGroupId],
          instanceProfileArn: this.identities.worker.instanceProfileArn,
          userData: workerUserData({ ...clusterProps, kubeletServingCertificates: metricsServer, apiServerHost, caCertificate, autoScalingGroupName: WorkerPool.groupName(this.clusterName, pool.name), launchLifecycleHook: LAUNCH_HOOK_NAME, nodeLabels: pool.labels, nodeTaints: pool.taints }),
          autoscaler: autoscaler && { podsPerNode: this.plan.podsPerNode },
          dependsOn: [...this.network.egressFor('worker'), ...secretsReady(this.identities.worker.policies), this.upgrade.done, ...cleanupFirst],
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
      controlPlaneInstanceIds: this.controlPlane.instances.map((instance) => instance.id),
      region,
    });
    this.apiEndpoint = this.access.endpointUrl;
    this.workloads = new ClusterWorkloads(this, 'workloads', {
      kubernetesProvider: this.access.kubernetesProvider,
      helmProvider: this.access.helmProvider,
      readiness: this.access.readiness,
    });
    this.cniInstallation = this.cni.install(this, 'cni', {
      plan: this.plan,
      kubernetesProvider: this.access.kubernetesProvider,
      helmProvider: this.access.helmProvider,
      apiServerHost,
      apiServerPort: API_SERVER_PORT,
      guaranteedNodeCount: this.plan.controlPlaneCount + this.pools.reduce((sum, p) => sum + p.minSize, 0),
      dependsOn: [this.access.readiness],
    });
    const addons = addClusterAddons(this, {
      clusterName: this.clusterName,
      region,
      partition: this.identities.partition,
      vpcId: this.network.vpcId,
      vpcCidr: this.plan.vpcCidr,
      kubernetesVersion: this.kubernetesVersion,
      issuer: this.serviceAccountIssuer,
      workloads: this.workloads,
      podNetwork: this.cniInstallation.resources,
      controlPlaneUpgraded: this.upgrade.done,
      workerGroups: this.workerPools.map((p) => p.autoScalingGroup),
      cloudControllerManager: props.cloudControllerManager ?? true,
      ebsCsiDriver: props.ebsCsiDriver ?? (props.cloudControllerManager ?? true),
      metricsServer,
      nodeTerminationHandler: (props.nodeTerminationHandler ?? true)
        ? { groupNames: this.pools.map((pool) => WorkerPool.groupName(this.clusterName, pool.name)), groupArns: this.workerGroupArns(region), managedTag: terminationHandlerTagKey(this.clusterName), controlPlaneCount: this.plan.controlPlaneCount }
        : undefined,
      clusterAutoscaler: autoscaler && { options: autoscaler, groupArns: this.workerGroupArns(region, this.pools.filter((p) => p.autoscaled)), controlPlaneUpgraded: this.upgrade.done },
    });
    ({ cloudControllerManager: this.cloudControllerManager, ebsCsiDriver: this.ebsCsiDriver, metricsServer: this.metricsServer, nodeTerminationHandler: this.nodeTerminationHandler, clusterAutoscaler: this.clusterAutoscaler } = addons);

    if (props.connectivityCheck ?? true) {
      this.connectivityCheck = new ConnectivityCheck(this, 'connectivity-check', {
        kubernetesProvider: this.access.kubernetesProvider,
        expectedNodes: this.plan.controlPlaneCount + this.pools.reduce((sum, p) => sum + p.minSize, 0),
        dependsOn: [
          ...this.cniInstallation.resources,
          ...this.workerPools.map((p) => p.autoScalingGroup as ITerraformDependable),
          ...(this.cloudControllerManager ? [this.cloudControllerManager.release] : []),
          ...(props.cloudCheck && this.ebsCsiDriver ? [this.ebsCsiDriver.release] : []),
        ],
        cloudCheck: props.cloudCheck ?? false,
        storageClass: DEFAULT_STORAGE_CLASS,
        scaleUpCheck: props.scaleUpCheck && this.clusterAutoscaler ? { waitSeconds: MAX_NODE_PROVISION_MINUTES * 60, dependsOn: [this.clusterAutoscaler.release] } : undefined,
      });
    }

    if (props.abandon) {
      // Built as usual, so that their addresses are the ones in state, then taken out again.
      this.abandonedResources = abandonClusterResources([this]);
    }

    this.kubeconfig = renderAdminKubeconfig({
      clusterName: this.clusterName,
      server: this.apiEndpoint,
      certificateAuthorityData: caCertificate,
      clientCertificateData: Fn.base64encode(this.pki.adminCertPem),
      clientKeyData: Fn.base64encode(this.pki.adminKeyPem),
      userName: ADMIN_USER,
    });
    addClusterOutputs(this);
  }

  /** Installs a Helm chart through the cluster's helm provider, once the API server is ready. */
  public addHelmChart(id: string, props: HelmChartProps): Release {
    return this.workloads.addHelmChart(id, props);
  }

  /**
   * Adds a typed Kubernetes resource (`NamespaceV1`, `DeploymentV1`, …) through the cluster's
   * kubernetes provider, once the API server is ready.
   */
  public addKubernetesResource<C extends { readonly provider?: TerraformProvider; readonly dependsOn?: ITerraformDependable[] }, R>(
    id: string,
    type: KubernetesResourceClass<C, R>,
    config: KubernetesResourceConfig<C>,
  ): R {
    return this.workloads.addKubernetesResource(id, type, config);
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
      controlPlaneNodeAddresses: this.controlPlane.selfHealingNodes.length > 1,
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

  /**
   * Whether metrics-server is installed: by default when its approver can approve the workers'
   * serving certificates, which name the DNS names the cloud controller manager gives nodes and
   * only private addresses. Asked for with workers in public subnets, a problem (the one without
   * the cloud controller manager is the cluster validation's).
   */
  private metricsServerWanted(props: KubeadmClusterProps): boolean {
    const privateWorkers = this.network.workersInPrivateSubnets;
    if (props.metricsServer === true && !privateWorkers) {
      const problems = new ProblemList();
      problems.add('metricsServer', true, 'workers in public subnets have public addresses, which the approver of kubelet serving certificates denies', 'give the network NAT gateways (NatGateways.single()) so that workers run in private subnets, or set metricsServer to false');
      problems.throwIfAny();
    }
    return props.metricsServer ?? ((props.cloudControllerManager ?? true) && privateWorkers);
  }

  /**
   * Lets a worker give its instance back to its auto scaling group when the cluster refuses its
   * join for good, and end the launch lifecycle hook once its Node is Ready. Group ARNs carry a
   * random id, so they are matched by name; the cluster's workers share one role, so the
   * statement names the cluster's groups and no other.
   */
  private instanceHealthPolicy(region: string): PolicyDocument {
    const groups = this.workerGroupArns(region);
    return {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ReplaceRefusedWorker', Effect: 'Allow', Action: ['autoscaling:SetInstanceHealth'], Resource: groups },
        { Sid: 'ReportReadyWorker', Effect: 'Allow', Action: ['autoscaling:CompleteLifecycleAction'], Resource: groups },
      ],
    };
  }

  /** ARNs of the cluster's worker groups. Group ARNs carry a random id, so they are matched by name. */
  private workerGroupArns(region: string, pools: readonly ResolvedWorkerPool[] = this.pools): string[] {
    this.callerIdentity ??= new DataAwsCallerIdentity(this, 'account');
    const account = this.callerIdentity.accountId;
    return pools.map((pool) => `arn:${this.identities.partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${WorkerPool.groupName(this.clusterName, pool.name)}`);
  }

  /**
   * The issuer bucket and IAM provider, the control plane's permission to publish the API server's
   * keys there, and the program that does it on every control-plane node.
   */
  private publishServiceAccountIssuer(region: string, hosting: KubeadmClusterProps['serviceAccountIssuerHosting']): ServiceAccountIssuer {
    const issuer = new ServiceAccountIssuer(this, 'service-account-issuer', { clusterName: this.clusterName, region, hosting });
    this.identities.controlPlane.addPolicy('issuer-policy', 'service-account-issuer', issuer.publishPolicy());
    addIssuerKeysPublication(this.channel, { region, bucket: issuer.bucket.bucket, key: JWKS_KEY, cacheControl: ISSUER_CACHE_CONTROL });
    return issuer;
  }

}
