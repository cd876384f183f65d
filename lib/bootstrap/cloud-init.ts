import { ProblemList } from '../plan/problems';
import {
  ClusterEndpointProps,
  CONTAINERD_CRI_SOCKET,
  checkClusterEndpointProps,
  checkKubeadmConfigProps,
  DISCOVERY_KUBECONFIG_PATH,
  discoveryKubeconfig,
  WORKER_CA_PATH,
  initDocuments,
  joinConfiguration,
  KubeadmConfigProps,
  renderKubeadmConfig,
  renderDiscoveryKubeconfig,
} from './kubeadm-config';
import { KubernetesVersion } from './kubernetes-version';
import {
  BOOTSTRAP_SCRIPT_PATH,
  BootstrapAction,
  bootstrapScript,
  DEFAULT_JOIN_TIMEOUT_MINUTES,
  KUBEADM_CONFIG_PATH,
  STAGED_PKI_DIR,
} from './node-script';
import { assertTerraformSafe, isUnresolved, toYaml } from './yaml';

/** EC2's limit on user-data, before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16384;

/**
 * The cluster's shared PKI, each value the PEM text **base64-encoded** (pass
 * `Fn.base64encode(pem)` tokens). Base64 keeps the multi-line PEM on one line, where Terraform can
 * put it into YAML without breaking the indentation.
 */
export interface ControlPlanePki {
  /** Cluster CA certificate (`ca.crt`). */
  readonly caCertificate: string;
  /** Cluster CA private key (`ca.key`). */
  readonly caKey: string;
  /** Front-proxy CA certificate (`front-proxy-ca.crt`), for the aggregation layer. */
  readonly frontProxyCaCertificate: string;
  readonly frontProxyCaKey: string;
  /** etcd CA certificate (`etcd/ca.crt`). */
  readonly etcdCaCertificate: string;
  readonly etcdCaKey: string;
  /** Service-account signing key (`sa.key`), the same on every API server. */
  readonly serviceAccountKey: string;
  /** Its public key, PEM `PUBLIC KEY` (`sa.pub`). */
  readonly serviceAccountPublicKey: string;
}

/** Settings every node's user-data takes besides the cluster's. */
export interface NodeUserDataOptions {
  /**
   * How long a joining node keeps retrying `kubeadm join`, in minutes.
   * @default 40
   */
  readonly joinTimeoutMinutes?: number;
}

/** Input of a control-plane node's user-data (the same object serves every control-plane node). */
export interface ControlPlaneUserDataProps extends KubeadmConfigProps, NodeUserDataOptions {
  readonly pki: ControlPlanePki;
}

/** Input of a worker's user-data. */
export interface WorkerUserDataProps extends ClusterEndpointProps, NodeUserDataOptions {
  readonly kubernetesVersion: KubernetesVersion;
  /** The cluster CA certificate PEM, base64-encoded: the only CA the worker trusts when it joins. */
  readonly caCertificate: string;
}

/** One `write_files` entry as cloud-init reads it (owner defaults to root:root). */
interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly encoding?: 'b64';
  readonly owner?: 'root:root';
  readonly permissions: string;
}

const PKI_FILES: ReadonlyArray<{ readonly key: keyof ControlPlanePki; readonly path: string; readonly secret: boolean }> = [
  { key: 'caCertificate', path: 'ca.crt', secret: false },
  { key: 'caKey', path: 'ca.key', secret: true },
  { key: 'frontProxyCaCertificate', path: 'front-proxy-ca.crt', secret: false },
  { key: 'frontProxyCaKey', path: 'front-proxy-ca.key', secret: true },
  { key: 'etcdCaCertificate', path: 'etcd/ca.crt', secret: false },
  { key: 'etcdCaKey', path: 'etcd/ca.key', secret: true },
  { key: 'serviceAccountKey', path: 'sa.key', secret: true },
  { key: 'serviceAccountPublicKey', path: 'sa.pub', secret: false },
];

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function checkBase64Pem(problems: ProblemList, property: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    problems.add(property, value, 'is empty', 'pass the PEM text base64-encoded, for example Fn.base64encode(key.privateKeyPem)');
    return;
  }
  if (isUnresolved(value)) {
    return;
  }
  if (value.includes('-----BEGIN')) {
    problems.add(property, '(PEM text)', 'is PEM text, but the PKI is carried base64-encoded so that it stays on one line', 'wrap it: Fn.base64encode(pem)');
  } else if (!BASE64.test(value) || !Buffer.from(value, 'base64').toString('latin1').startsWith('-----BEGIN ')) {
    problems.add(property, '(not shown)', 'is not base64-encoded PEM text', 'pass Fn.base64encode(pem) of the PEM the tls provider gives');
  }
}

function checkJoinTimeout(problems: ProblemList, minutes: number | undefined): void {
  const value = minutes ?? DEFAULT_JOIN_TIMEOUT_MINUTES;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 5 || value > 24 * 60) {
    problems.add('joinTimeoutMinutes', value, 'a joining node must wait at least as long as a control plane takes to come up (about 5 minutes), and not forever', `use a number of minutes from 5 to 1440, normally ${DEFAULT_JOIN_TIMEOUT_MINUTES}`);
  }
}

function checkControlPlaneProps(problems: ProblemList, props: ControlPlaneUserDataProps): void {
  checkKubeadmConfigProps(problems, props);
  checkJoinTimeout(problems, props.joinTimeoutMinutes);
  for (const file of PKI_FILES) {
    checkBase64Pem(problems, `pki.${file.key}`, props.pki?.[file.key]);
  }
}

function stringInputs(values: ReadonlyArray<string | undefined>): string[] {
  return values.filter((v): v is string => typeof v === 'string');
}

// Files every node gets: what the host needs for Kubernetes networking, persisted across reboots.
function hostFiles(): WriteFile[] {
  return [
    {
      path: '/etc/modules-load.d/kubernetes.conf',
      content: 'overlay\nbr_netfilter\n',
      permissions: '0644',
    },
    {
      path: '/etc/sysctl.d/99-kubernetes.conf',
      content: 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n',
      permissions: '0644',
    },
    {
      // So that crictl, when someone debugs on the node, talks to containerd without flags.
      path: '/etc/crictl.yaml',
      content: `runtime-endpoint: ${CONTAINERD_CRI_SOCKET}\n`,
      permissions: '0644',
    },
  ];
}

// Secrets (keys, the bootstrap token) are readable by root only; the owner is said explicitly.
function secretFile(path: string, content: string, encoding?: 'b64'): WriteFile {
  return { path, content, encoding, owner: 'root:root', permissions: '0600' };
}

function publicFile(path: string, content: string, encoding?: 'b64'): WriteFile {
  return { path, content, encoding, permissions: '0644' };
}

function pkiFiles(pki: ControlPlanePki): WriteFile[] {
  return PKI_FILES.map((file) => (file.secret ? secretFile : publicFile)(`${STAGED_PKI_DIR}/${file.path}`, pki[file.key], 'b64'));
}

function scriptFile(script: string): WriteFile {
  // Base64, so that the script may use quotes, backslashes and ${...} without Terraform or cdktf
  // reading them; the bytes on the node are exactly the script.
  return { path: BOOTSTRAP_SCRIPT_PATH, content: Buffer.from(script, 'utf8').toString('base64'), encoding: 'b64', owner: 'root:root', permissions: '0700' };
}

function renderCloudConfig(files: readonly WriteFile[], inputs: readonly string[], what: string): string {
  const userData = `#cloud-config\n${toYaml({
    write_files: files,
    // One argument list, run without a shell; the script logs to the console and its own file.
    runcmd: [[BOOTSTRAP_SCRIPT_PATH]],
  })}`;
  assertTerraformSafe(userData, inputs, what);
  return userData;
}

function controlPlaneInputs(props: ControlPlaneUserDataProps): string[] {
  return stringInputs([
    props.apiServerHost,
    props.bootstrapToken,
    props.clusterName,
    props.bootstrapTokenTtl,
    ...(props.extraCertSans ?? []),
    ...PKI_FILES.map((f) => props.pki[f.key]),
  ]);
}

/**
 * User-data of the first control-plane node: writes the shared PKI and the kubeadm documents, then
 * runs `kubeadm init`. Nothing else happens on the node afterwards; the network plugin comes from
 * Terraform.
 */
export function firstControlPlaneUserData(props: ControlPlaneUserDataProps): string {
  const problems = new ProblemList();
  checkControlPlaneProps(problems, props);
  problems.throwIfAny();
  const files = [
    ...hostFiles(),
    ...pkiFiles(props.pki),
    secretFile(KUBEADM_CONFIG_PATH, renderKubeadmConfig(initDocuments(props))),
    scriptFile(bootstrapScript({ action: BootstrapAction.INIT, kubernetesVersion: props.kubernetesVersion })),
  ];
  return renderCloudConfig(files, controlPlaneInputs(props), 'control-plane 0 user-data');
}

/**
 * User-data of another control-plane node (the second or third of a highly available control
 * plane): writes the shared PKI, then runs `kubeadm join --control-plane` until the first node's API
 * answers.
 * @param index the node's index in `plan.controlPlaneNodes` (1 or 2)
 */
export function joiningControlPlaneUserData(props: ControlPlaneUserDataProps, index: number): string {
  const problems = new ProblemList();
  checkControlPlaneProps(problems, props);
  const nodes = props.plan.controlPlaneNodes;
  if (!Number.isInteger(index) || index < 1 || index >= nodes.length) {
    problems.add('index', index, `joining control-plane nodes are numbered 1 to ${nodes.length - 1} in this plan (node 0 runs kubeadm init)`, 'pass the index of a control-plane node of the plan other than 0');
  }
  problems.throwIfAny();
  const address = nodes[index].privateIp;
  const join = joinConfiguration(props, { controlPlaneAddress: address, discoveryKubeconfigPath: DISCOVERY_KUBECONFIG_PATH });
  const files = [
    ...hostFiles(),
    ...pkiFiles(props.pki),
    // The staged CA stays until the join succeeds, so discovery can pin it on every attempt.
    secretFile(DISCOVERY_KUBECONFIG_PATH, renderDiscoveryKubeconfig(discoveryKubeconfig(props, `${STAGED_PKI_DIR}/ca.crt`))),
    secretFile(KUBEADM_CONFIG_PATH, renderKubeadmConfig([join])),
    scriptFile(bootstrapScript({ action: BootstrapAction.JOIN, kubernetesVersion: props.kubernetesVersion, joinTimeoutMinutes: props.joinTimeoutMinutes })),
  ];
  return renderCloudConfig(files, controlPlaneInputs(props), `control-plane ${index} user-data`);
}

/** User-data of control-plane node `index`: `kubeadm init` on node 0, a control-plane join on the others. */
export function controlPlaneUserData(props: ControlPlaneUserDataProps, index: number): string {
  return index === 0 ? firstControlPlaneUserData(props) : joiningControlPlaneUserData(props, index);
}

/**
 * User-data of a worker: writes the discovery kubeconfig (API URL and pinned CA), then runs
 * `kubeadm join` until the API answers. The same user-data serves every worker of a pool.
 */
export function workerUserData(props: WorkerUserDataProps): string {
  const problems = new ProblemList();
  checkClusterEndpointProps(problems, props);
  checkJoinTimeout(problems, props.joinTimeoutMinutes);
  checkBase64Pem(problems, 'caCertificate', props.caCertificate);
  problems.throwIfAny();
  const files = [
    ...hostFiles(),
    publicFile(WORKER_CA_PATH, props.caCertificate, 'b64'),
    secretFile(DISCOVERY_KUBECONFIG_PATH, renderDiscoveryKubeconfig(discoveryKubeconfig(props, WORKER_CA_PATH))),
    secretFile(KUBEADM_CONFIG_PATH, renderKubeadmConfig([joinConfiguration(props, { discoveryKubeconfigPath: DISCOVERY_KUBECONFIG_PATH })])),
    scriptFile(bootstrapScript({ action: BootstrapAction.JOIN, kubernetesVersion: props.kubernetesVersion, joinTimeoutMinutes: props.joinTimeoutMinutes })),
  ];
  const inputs = stringInputs([props.apiServerHost, props.bootstrapToken, props.clusterName, props.caCertificate]);
  return renderCloudConfig(files, inputs, 'worker user-data');
}

