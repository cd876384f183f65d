import type { AddressPlan } from '../plan/address-plan';
import { ProblemList } from '../plan/problems';
import { KubernetesVersion } from './kubernetes-version';
import { isUnresolved, toYaml, toYamlStream } from './yaml';
import { API_SERVER_PORT } from '../network/ports';

// kubeadm configuration documents as typed objects. Field names follow the kubeadm v1beta4,
// kubelet v1beta1 and kube-proxy v1alpha1 configuration APIs; only the fields this library sets
// are declared.

export const KUBEADM_API_VERSION = 'kubeadm.k8s.io/v1beta4';
export const KUBELET_CONFIG_API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const KUBE_PROXY_CONFIG_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';

/** The API server's port on every control-plane node and at the cluster endpoint. */
export const DEFAULT_API_SERVER_PORT = API_SERVER_PORT;
/** containerd's CRI socket as Ubuntu's and Docker's packages create it. */
export const CONTAINERD_CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';
/** The group kubeadm's RBAC rules let join and get their kubelet certificate approved. */
export const NODE_BOOTSTRAP_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
/**
 * Lifetime of the token `kubeadm init` makes for itself. Nothing joins with it (joins use the
 * rotated token a control-plane node publishes), so it is short and its value never leaves the node.
 */
export const INIT_TOKEN_TTL = '1h';
/**
 * Stands in for the join token in a joining node's kubeadm configuration. The node replaces it with
 * the token it reads from Parameter Store at boot: the token is never in user-data. It is a whole
 * single-quoted YAML scalar, and tokens are `[a-z0-9.]`, so the replacement cannot change the
 * document's structure.
 */
export const JOIN_TOKEN_CONFIG_PLACEHOLDER = '@join-token@';
/**
 * Stands in for the node's provider ID (`aws:///<zone>/<instance-id>`) in every node's kubeadm
 * configuration. The node replaces it with what its instance metadata says at boot, the way it puts
 * in the join token; the ID holds only `[a-z0-9:/-]`, so the document keeps its structure.
 */
export const PROVIDER_ID_CONFIG_PLACEHOLDER = '@provider-id@';
/** Directory of the API server's encryption-at-rest configuration on control-plane nodes. */
export const ENCRYPTION_CONFIG_DIR = '/etc/kubernetes/encryption';
/** The `EncryptionConfiguration` the API server reads; fetched from Parameter Store before kubeadm runs. */
export const ENCRYPTION_CONFIG_PATH = `${ENCRYPTION_CONFIG_DIR}/config.yaml`;
export const DEFAULT_CLUSTER_NAME = 'kubernetes';
export const CLUSTER_DOMAIN = 'cluster.local';
/** The kubeconfig joining nodes discover the cluster with: its URL and CA, no credentials. */
export const DISCOVERY_KUBECONFIG_PATH = '/etc/kubeadm-bootstrap/discovery.conf';

/** Key type kubeadm uses for the certificates it makes itself (API server, kubelet client, etcd peers). */
export enum KeyAlgorithm {
  ECDSA_P256 = 'ECDSA-P256',
  RSA_2048 = 'RSA-2048',
  RSA_3072 = 'RSA-3072',
  RSA_4096 = 'RSA-4096',
}

/** A command-line flag for a component, without its dashes (v1beta4 lists them instead of a map). */
export interface KubeadmArg {
  readonly name: string;
  readonly value: string;
}

export interface ApiEndpoint {
  readonly advertiseAddress: string;
  readonly bindPort: number;
}

/** A taint a node registers with (v1beta4 `nodeRegistration.taints`, a core/v1 Taint). */
export interface KubeadmTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface NodeRegistrationOptions {
  readonly criSocket: string;
  readonly kubeletExtraArgs?: readonly KubeadmArg[];
  readonly taints?: readonly KubeadmTaint[];
}

export interface BootstrapTokenSpec {
  /** Left out: kubeadm generates it on the node. */
  readonly token?: string;
  readonly description?: string;
  readonly ttl: string;
  readonly usages: readonly string[];
  readonly groups: readonly string[];
}

export interface InitConfiguration {
  readonly apiVersion: typeof KUBEADM_API_VERSION;
  readonly kind: 'InitConfiguration';
  readonly bootstrapTokens: readonly BootstrapTokenSpec[];
  readonly nodeRegistration: NodeRegistrationOptions;
  readonly localAPIEndpoint: ApiEndpoint;
}

export interface ClusterConfiguration {
  readonly apiVersion: typeof KUBEADM_API_VERSION;
  readonly kind: 'ClusterConfiguration';
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly controlPlaneEndpoint: string;
  readonly encryptionAlgorithm: KeyAlgorithm;
  readonly networking: {
    readonly podSubnet: string;
    readonly serviceSubnet: string;
    readonly dnsDomain: string;
  };
  readonly apiServer: {
    readonly certSANs: readonly string[];
    readonly extraArgs: readonly KubeadmArg[];
    readonly extraVolumes: readonly HostPathMount[];
  };
  readonly controllerManager: { readonly extraArgs: readonly KubeadmArg[] };
  readonly proxy?: { readonly disabled: boolean };
}

/** A host folder mounted into a control-plane static pod (v1beta4 `HostPathMount`). */
export interface HostPathMount {
  readonly name: string;
  readonly hostPath: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly pathType: 'DirectoryOrCreate' | 'Directory' | 'File';
}

export interface KubeletConfiguration {
  readonly apiVersion: typeof KUBELET_CONFIG_API_VERSION;
  readonly kind: 'KubeletConfiguration';
  readonly cgroupDriver: 'systemd';
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  readonly maxPods: number;
}

export interface KubeProxyConfiguration {
  readonly apiVersion: typeof KUBE_PROXY_CONFIG_API_VERSION;
  readonly kind: 'KubeProxyConfiguration';
  readonly mode: 'iptables';
  readonly clusterCIDR: string;
}

export interface JoinConfiguration {
  readonly apiVersion: typeof KUBEADM_API_VERSION;
  readonly kind: 'JoinConfiguration';
  readonly nodeRegistration: NodeRegistrationOptions;
  readonly discovery: {
    /** File discovery: the kubeconfig carries the server URL and the CA, so the CA is pinned. */
    readonly file: { readonly kubeConfigPath: string };
    readonly tlsBootstrapToken: string;
  };
  readonly controlPlane?: { readonly localAPIEndpoint: ApiEndpoint };
}

/** A kubeconfig with the cluster's URL and CA file and no credentials, for `discovery.file`. */
export interface DiscoveryKubeconfig {
  readonly apiVersion: 'v1';
  readonly kind: 'Config';
  readonly clusters: ReadonlyArray<{
    readonly name: string;
    readonly cluster: { readonly server: string; readonly 'certificate-authority': string };
  }>;
  readonly contexts: ReadonlyArray<{ readonly name: string; readonly context: { readonly cluster: string; readonly user: string } }>;
  readonly 'current-context': string;
  readonly users: ReadonlyArray<{ readonly name: string; readonly user: Record<string, never> }>;
}

export type KubeadmDocument = InitConfiguration | ClusterConfiguration | KubeletConfiguration | KubeProxyConfiguration | JoinConfiguration;

/** The parts of the address plan kubeadm needs; an `AddressPlan` is one. */
export type KubeadmAddressPlan = Pick<AddressPlan, 'podCidr' | 'serviceCidr' | 'nodeCidrMaskSize' | 'clusterDnsIp' | 'podsPerNode' | 'controlPlaneNodes'>;

/**
 * What every node needs to find the cluster and join it. Any of these strings may be a Terraform
 * token; literal values are validated.
 */
export interface ClusterEndpointProps {
  /**
   * Host name or IP address of the cluster's API endpoint, without scheme or port. It must be
   * reachable from every node, the first control-plane node included (kubeadm init talks to it).
   */
  readonly apiServerHost: string;
  /**
   * Port of the API endpoint.
   * @default 6443
   */
  readonly apiServerPort?: number;
  /**
   * Name of the cluster in kubeadm's configuration and in kubeconfigs.
   * @default 'kubernetes'
   */
  readonly clusterName?: string;
  /**
   * Whether kubelets leave node initialisation to an external cloud controller manager
   * (`cloud-provider: external`): nodes register tainted `node.cloudprovider.kubernetes.io/uninitialized`
   * until it has set them up. Every kubelet gets its provider ID from instance metadata either way.
   * @default true
   */
  readonly externalCloudProvider?: boolean;
  /**
   * Whether a worker's kubelet asks the cluster CA for its serving certificate
   * (`rotate-server-certificates`, the flag of `serverTLSBootstrap`), which an approver in the
   * cluster must approve, instead of signing its own. Only for workers without public addresses:
   * the approver denies certificates that name them. Control-plane nodes, which have public
   * addresses, get theirs from the cluster CA on the node instead (see
   * `lib/operations/kubelet-serving-certificate-program.ts`).
   * @default false
   */
  readonly kubeletServingCertificates?: boolean;
}

/** What the control plane's kubeadm documents are made from. */
export interface KubeadmConfigProps extends ClusterEndpointProps {
  readonly kubernetesVersion: KubernetesVersion;
  readonly plan: KubeadmAddressPlan;
  /**
   * More names or addresses the API server's certificate is valid for, besides the endpoint host
   * and the control-plane nodes' private IPs.
   * @default - none
   */
  readonly extraCertSans?: readonly string[];
  /**
   * Key type of the certificates kubeadm makes on the nodes. The CAs themselves come from outside.
   * @default KeyAlgorithm.ECDSA_P256 - matches the ECDSA P-256 CAs and keeps certificates small
   */
  readonly keyAlgorithm?: KeyAlgorithm;
  /**
   * Whether kubeadm installs kube-proxy. Turn it off only for a network plugin that replaces it.
   * @default true
   */
  readonly kubeProxy?: boolean;
  /**
   * The service-account issuer published for IAM: the API server names it in the tokens it signs
   * and points its discovery document at the published keys.
   * @default - kubeadm's in-cluster issuer only
   */
  readonly serviceAccountIssuer?: ServiceAccountIssuerArgs;
}

/** The API server's service-account issuer as published outside the cluster. */
export interface ServiceAccountIssuerArgs {
  /** `https://` URL of the issuer (may be a Terraform token). */
  readonly issuerUrl: string;
  /** `https://` URL of its key set (may be a Terraform token). */
  readonly jwksUrl: string;
}

/** Where a joining node's JoinConfiguration points and whether it joins the control plane. */
export interface JoinOptions {
  /**
   * Path of the discovery kubeconfig on the node.
   * @default DISCOVERY_KUBECONFIG_PATH
   */
  readonly discoveryKubeconfigPath?: string;
  /**
   * The node's fixed private IP when it joins as a control-plane node (its API server advertises
   * it); leave out for a worker.
   * @default - joins as a worker
   */
  readonly controlPlaneAddress?: string;
  /**
   * Labels a worker registers with (the kubelet's `--node-labels`), already checked by the pool.
   * @default - none
   */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /**
   * Taints a worker registers with, already checked by the pool.
   * @default - none
   */
  readonly nodeTaints?: readonly KubeadmTaint[];
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const UNSAFE_CHARACTERS = /[\s"'\\]|%\{/;

function isHost(value: string): boolean {
  const ip = IPV4.exec(value);
  if (ip) {
    return ip.slice(1).every((octet) => Number(octet) <= 255);
  }
  return value.length <= 253 && DNS_NAME.test(value.toLowerCase());
}

/** Adds the problems of the endpoint inputs; tokens are accepted as they are. */
export function checkClusterEndpointProps(problems: ProblemList, props: ClusterEndpointProps): void {
  const host = props.apiServerHost;
  if (typeof host !== 'string' || host.length === 0) {
    problems.add('apiServerHost', host, 'is empty', 'give the host name or IP address nodes reach the API server at');
  } else if (!isUnresolved(host)) {
    if (host.includes('://') || /:\d+$/.test(host)) {
      problems.add('apiServerHost', host, 'holds a scheme or a port', 'give only the host name or IP address; the port goes in apiServerPort');
    } else if (!isHost(host)) {
      problems.add('apiServerHost', host, 'is neither an IPv4 address nor a DNS name', 'give a host name such as api.example.com or an IPv4 address');
    }
  } else if (UNSAFE_CHARACTERS.test(host.replace(/\$\{[^}]*\}/g, ''))) {
    problems.add('apiServerHost', host, 'holds spaces, quotes or backslashes around its token', 'pass the token alone');
  }
  const port = props.apiServerPort ?? DEFAULT_API_SERVER_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.add('apiServerPort', port, 'is not a TCP port', `use a whole number from 1 to 65535, normally ${DEFAULT_API_SERVER_PORT}`);
  }
  const name = props.clusterName ?? DEFAULT_CLUSTER_NAME;
  if (!isUnresolved(name) && (name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))) {
    problems.add('clusterName', name, 'is not a DNS label (lowercase letters, digits and dashes, at most 63)', `use a name such as '${DEFAULT_CLUSTER_NAME}' or 'prod-eu'`);
  }
}

/** Adds the problems of the control plane's inputs. */
export function checkKubeadmConfigProps(problems: ProblemList, props: KubeadmConfigProps): void {
  checkClusterEndpointProps(problems, props);
  for (const san of props.extraCertSans ?? []) {
    if (typeof san !== 'string' || san.length === 0 || (!isUnresolved(san) && !isHost(san))) {
      problems.add('extraCertSans', san, 'is neither an IPv4 address nor a DNS name', 'list host names or IPv4 addresses only');
    }
  }
  const issuer = props.serviceAccountIssuer;
  for (const [key, value] of issuer === undefined ? [] : ([['issuerUrl', issuer.issuerUrl], ['jwksUrl', issuer.jwksUrl]] as const)) {
    if (typeof value !== 'string' || (!isUnresolved(value) && !/^https:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._/-]*)?$/.test(value)) || /[\s'"]/.test(value)) {
      problems.add(`serviceAccountIssuer.${key}`, value, 'is not an https URL', 'give the https:// URL IAM reads the issuer at, for example https://<bucket>.s3.<region>.amazonaws.com');
    }
  }
  if (props.plan.controlPlaneNodes.length === 0) {
    problems.add('plan', 'no control-plane nodes', 'the plan places no control-plane node', 'create the plan with controlPlaneCount 1 or 3');
  }
}

function throwIfInvalid(check: (problems: ProblemList) => void): void {
  const problems = new ProblemList();
  check(problems);
  problems.throwIfAny();
}

function portOf(props: ClusterEndpointProps): number {
  return props.apiServerPort ?? DEFAULT_API_SERVER_PORT;
}

function clusterNameOf(props: ClusterEndpointProps): string {
  return props.clusterName ?? DEFAULT_CLUSTER_NAME;
}

/** `host:port` of the API endpoint, as kubeadm's `controlPlaneEndpoint`. */
export function controlPlaneEndpoint(props: ClusterEndpointProps): string {
  return `${props.apiServerHost}:${portOf(props)}`;
}

function nodeIpArgs(address: string): KubeadmArg[] {
  // The kubelet reports this address as the node's, the same one its API server advertises.
  return [{ name: 'node-ip', value: address }];
}

/**
 * The kubelet flags every node gets: the provider ID, put in at boot, and with an external cloud
 * provider `cloud-provider: external` (only the kubelet takes that flag: kube-apiserver no longer
 * has it, and kube-controller-manager needs none).
 */
export function cloudProviderKubeletArgs(props: Pick<ClusterEndpointProps, 'externalCloudProvider'>): KubeadmArg[] {
  return [
    ...(props.externalCloudProvider === false ? [] : [{ name: 'cloud-provider', value: 'external' }]),
    { name: 'provider-id', value: PROVIDER_ID_CONFIG_PLACEHOLDER },
  ];
}

/**
 * The API server flags of a published issuer. The published one comes first: it signs new tokens.
 * kubeadm's in-cluster issuer stays accepted, so tokens issued before it keep working, and the API
 * audiences stay both issuers (the API server's default when none is given).
 */
export function serviceAccountIssuerArgs(issuer: ServiceAccountIssuerArgs | undefined): KubeadmArg[] {
  if (issuer === undefined) {
    return [];
  }
  return [
    { name: 'service-account-issuer', value: issuer.issuerUrl },
    { name: 'service-account-issuer', value: `https://kubernetes.default.svc.${CLUSTER_DOMAIN}` },
    { name: 'service-account-jwks-uri', value: issuer.jwksUrl },
  ];
}

/** `kubeadm init`'s own settings, for the first control-plane node. */
export function initConfiguration(props: KubeadmConfigProps): InitConfiguration {
  throwIfInvalid((p) => checkKubeadmConfigProps(p, props));
  const address = props.plan.controlPlaneNodes[0].privateIp;
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'InitConfiguration',
    // kubeadm always makes a token at init; without a value here it generates one on the node.
    bootstrapTokens: [
      {
        description: 'Made by kubeadm init; unused, nodes join with the rotated token',
        ttl: INIT_TOKEN_TTL,
        usages: ['signing', 'authentication'],
        groups: [NODE_BOOTSTRAP_GROUP],
      },
    ],
    nodeRegistration: { criSocket: CONTAINERD_CRI_SOCKET, kubeletExtraArgs: [...nodeIpArgs(address), ...cloudProviderKubeletArgs(props)] },
    localAPIEndpoint: { advertiseAddress: address, bindPort: portOf(props) },
  };
}

/** The cluster-wide settings kubeadm stores in the cluster for every later join and upgrade. */
export function clusterConfiguration(props: KubeadmConfigProps): ClusterConfiguration {
  throwIfInvalid((p) => checkKubeadmConfigProps(p, props));
  const { plan } = props;
  const sans = [props.apiServerHost, ...plan.controlPlaneNodes.map((n) => n.privateIp), ...(props.extraCertSans ?? [])];
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'ClusterConfiguration',
    clusterName: clusterNameOf(props),
    kubernetesVersion: props.kubernetesVersion.kubeadmVersion,
    controlPlaneEndpoint: controlPlaneEndpoint(props),
    encryptionAlgorithm: props.keyAlgorithm ?? KeyAlgorithm.ECDSA_P256,
    networking: { podSubnet: plan.podCidr, serviceSubnet: plan.serviceCidr, dnsDomain: CLUSTER_DOMAIN },
    apiServer: {
      certSANs: [...new Set(sans)],
      // Secrets are encrypted in etcd with the key in this file, the same on every API server.
      extraArgs: [{ name: 'encryption-provider-config', value: ENCRYPTION_CONFIG_PATH }, ...serviceAccountIssuerArgs(props.serviceAccountIssuer)],
      extraVolumes: [{ name: 'encryption-config', hostPath: ENCRYPTION_CONFIG_DIR, mountPath: ENCRYPTION_CONFIG_DIR, readOnly: true, pathType: 'DirectoryOrCreate' }],
    },
    controllerManager: {
      // kubeadm turns node CIDR allocation on once podSubnet is set; saying so, and the mask from
      // the plan, keeps the node ranges exactly what the plan's capacity check assumed.
      extraArgs: [
        { name: 'allocate-node-cidrs', value: 'true' },
        { name: 'node-cidr-mask-size', value: String(plan.nodeCidrMaskSize) },
      ],
    },
    ...(props.kubeProxy === false ? { proxy: { disabled: true } } : {}),
  };
}

/** The kubelet settings kubeadm shares with every node through the cluster. */
export function kubeletConfiguration(props: Pick<KubeadmConfigProps, 'plan'>): KubeletConfiguration {
  return {
    apiVersion: KUBELET_CONFIG_API_VERSION,
    kind: 'KubeletConfiguration',
    // containerd is configured with SystemdCgroup = true; both must use the same driver.
    cgroupDriver: 'systemd',
    clusterDNS: [props.plan.clusterDnsIp],
    clusterDomain: CLUSTER_DOMAIN,
    // Fewer than kubelet's default when the plan's per-node range cannot hold that many pods.
    maxPods: props.plan.podsPerNode,
  };
}

/** kube-proxy's settings; clusterCIDR tells it which traffic is pod traffic (Weave Net relies on it). */
export function kubeProxyConfiguration(props: Pick<KubeadmConfigProps, 'plan'>): KubeProxyConfiguration {
  return {
    apiVersion: KUBE_PROXY_CONFIG_API_VERSION,
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clusterCIDR: props.plan.podCidr,
  };
}

/** Everything `kubeadm init --config` reads on the first control-plane node. */
export function initDocuments(props: KubeadmConfigProps): KubeadmDocument[] {
  const documents: KubeadmDocument[] = [initConfiguration(props), clusterConfiguration(props), kubeletConfiguration(props)];
  if (props.kubeProxy !== false) {
    documents.push(kubeProxyConfiguration(props));
  }
  return documents;
}

/**
 * `kubeadm join`'s settings. Discovery is by file: the discovery kubeconfig names the cluster CA the
 * node already holds, so it trusts only that CA (no hash to compute, no unsafe skip), and it
 * authenticates with the join token, which the node puts in place of
 * `JOIN_TOKEN_CONFIG_PLACEHOLDER` at boot. A control-plane join relies on the shared CAs and
 * service-account key being in /etc/kubernetes/pki beforehand, so no certificate key is needed.
 */
export function joinConfiguration(props: ClusterEndpointProps, options: JoinOptions = {}): JoinConfiguration {
  throwIfInvalid((p) => checkClusterEndpointProps(p, props));
  const address = options.controlPlaneAddress;
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'JoinConfiguration',
    nodeRegistration: {
      criSocket: CONTAINERD_CRI_SOCKET,
      kubeletExtraArgs: [
        ...(address !== undefined ? nodeIpArgs(address) : []),
        ...cloudProviderKubeletArgs(props),
        ...(address === undefined && props.kubeletServingCertificates === true ? [{ name: 'rotate-server-certificates', value: 'true' }] : []),
        ...nodeLabelArgs(options.nodeLabels),
      ],
      // Left out when empty: kubeadm then registers a worker without taints.
      ...(options.nodeTaints?.length ? { taints: options.nodeTaints.map((t) => ({ ...t })) } : {}),
    },
    discovery: {
      file: { kubeConfigPath: options.discoveryKubeconfigPath ?? DISCOVERY_KUBECONFIG_PATH },
      tlsBootstrapToken: JOIN_TOKEN_CONFIG_PLACEHOLDER,
    },
    ...(address !== undefined ? { controlPlane: { localAPIEndpoint: { advertiseAddress: address, bindPort: portOf(props) } } } : {}),
  };
}

/** The kubelet's `--node-labels`, sorted so that the document does not depend on the props' order. */
function nodeLabelArgs(labels: Readonly<Record<string, string>> | undefined): KubeadmArg[] {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length > 0 ? [{ name: 'node-labels', value: entries.map(([k, v]) => `${k}=${v}`).join(',') }] : [];
}

/**
 * The discovery kubeconfig: the API URL and the CA a joining node trusts, and no user credentials.
 * kubeadm reads the CA file named here, reads the public cluster-info ConfigMap through it and
 * joins with `discovery.tlsBootstrapToken`. Naming the file rather than embedding the CA keeps the
 * CA in user-data once (user-data is limited to 16 KiB). kubeconfig validation wants a user for the
 * context, so there is an empty one.
 * @param caCertificatePath where the node holds the cluster CA certificate (PEM)
 */
export function discoveryKubeconfig(props: ClusterEndpointProps, caCertificatePath: string): DiscoveryKubeconfig {
  throwIfInvalid((p) => checkClusterEndpointProps(p, props));
  const name = clusterNameOf(props);
  const context = 'kubeadm-discovery';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: `https://${controlPlaneEndpoint(props)}`, 'certificate-authority': caCertificatePath } }],
    contexts: [{ name: context, context: { cluster: name, user: context } }],
    'current-context': context,
    users: [{ name: context, user: {} }],
  };
}

/** Serialises kubeadm documents as one multi-document YAML stream for `--config`. */
export function renderKubeadmConfig(documents: readonly KubeadmDocument[]): string {
  return toYamlStream(documents);
}

/** Serialises a discovery kubeconfig. */
export function renderDiscoveryKubeconfig(kubeconfig: DiscoveryKubeconfig): string {
  return toYaml(kubeconfig);
}
