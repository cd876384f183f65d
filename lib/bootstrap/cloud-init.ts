import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProblemList } from '../plan/problems';
import {
  BOOTSTRAP_SCRIPT_PATH,
  BOOTSTRAP_UNIT,
  BootstrapAction,
  bootstrapProgram,
  bootstrapUnit,
  ChannelProgram,
  CONTAINERD_CONFIG_SOURCE,
  ControlPlaneRecovery,
  DEFAULT_JOIN_TIMEOUT_MINUTES,
  KUBEADM_CONFIG_PATH,
  NODE_AWS_COMMAND_SOURCE,
  WORKER_CA_PATH,
} from './bootstrap-program';
import { ISSUER_KEYS_PROGRAM_PATH } from './issuer-keys';
import { JOIN_TOKEN_PROGRAM_PATH } from './join-token';
import {
  CONTAINERD_CRI_SOCKET,
  checkClusterEndpointProps,
  checkKubeadmConfigProps,
  ClusterEndpointProps,
  controlPlaneEndpoint,
  discoveryKubeconfig,
  DISCOVERY_KUBECONFIG_PATH,
  initDocuments,
  joinConfiguration,
  KubeadmConfigProps,
  KubeadmTaint,
  renderDiscoveryKubeconfig,
  renderKubeadmConfig,
} from './kubeadm-config';
import { KubernetesVersion } from './kubernetes-version';
import { containerdConfig } from './node-packages';
import { renderUnit, SYSTEMD_UNIT_DIR, UnitFile } from './systemd';
import { isUnresolved, toYaml } from './yaml';

/** EC2's limit on user-data, before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16384;

/** Where the cluster's secrets live and how nodes reach them. Names, never values. */
export interface NodeSecretsLocation {
  /** AWS region of the parameters (may be a Terraform token). */
  readonly region: string;
  /** Parameter Store path of the cluster, for example `/kubeadm/demo`. */
  readonly parameterPath: string;
  /** Name of the join token's parameter. */
  readonly joinTokenParameter: string;
  /** KMS key the join token is encrypted with when a control-plane node publishes it (id, ARN or alias). */
  readonly kmsKeyId: string;
  /**
   * The SSM channel's documents that install the programs the first control-plane node runs after
   * `kubeadm init`; the node runs them itself, so its boot never waits for State Manager.
   */
  readonly channelDocuments: { readonly joinToken: string; readonly issuerKeys: string };
  /**
   * The String parameter the first control-plane node reads for a requested etcd restore, and the
   * program that restores, with the channel's document that installs it.
   * @default - no restores (etcd backups are disabled)
   */
  readonly etcdRestore?: { readonly parameterName: string; readonly program: ChannelProgram };
  /**
   * The routed pod network's node program (CNI configuration and masquerade) and its document,
   * which every node runs itself once kubeadm has run.
   * @default - none: the network plugin runs in the cluster
   */
  readonly podNetwork?: ChannelProgram;
}

/** Settings every node's user-data takes besides the cluster's. */
export interface NodeUserDataOptions {
  /**
   * How long one run of a joining node keeps retrying `kubeadm join`, in minutes. systemd starts
   * another run after it.
   * @default 40
   */
  readonly joinTimeoutMinutes?: number;
}

/** Input of a control-plane node's user-data (the same object serves every control-plane node). */
export interface ControlPlaneUserDataProps extends KubeadmConfigProps, NodeUserDataOptions {
  readonly secrets: NodeSecretsLocation;
  /**
   * The node's way back to its cluster: the generation parameter, its peers, its etcd volume.
   * @default - none: the first node runs kubeadm init on an empty etcd, whatever came before
   */
  readonly recovery?: ControlPlaneRecovery;
}

/** Input of a worker's user-data. */
export interface WorkerUserDataProps extends ClusterEndpointProps, NodeUserDataOptions {
  readonly kubernetesVersion: KubernetesVersion;
  readonly secrets: NodeSecretsLocation;
  /**
   * The cluster CA certificate PEM, base64-encoded (public): the only CA the worker trusts when it
   * joins.
   */
  readonly caCertificate: string;
  /** The pool's auto scaling group, which a worker tells when the cluster refuses it for good. */
  readonly autoScalingGroupName: string;
  /**
   * The group's launch lifecycle hook, which the worker completes once its Node is Ready.
   * @default - none
   */
  readonly launchLifecycleHook?: string;
  /**
   * Labels the worker registers with (the pool's, already checked).
   * @default - none
   */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /**
   * Taints the worker registers with (the pool's, already checked).
   * @default - none
   */
  readonly nodeTaints?: readonly KubeadmTaint[];
}

/** One `write_files` entry as cloud-init reads it (owner defaults to root:root). */
interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly encoding?: 'b64';
  readonly owner?: 'root:root';
  readonly permissions: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function checkBase64Pem(problems: ProblemList, property: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    problems.add(property, value, 'is empty', 'pass the PEM text base64-encoded, for example Fn.base64encode(cert.certPem)');
    return;
  }
  if (isUnresolved(value)) {
    return;
  }
  if (value.includes('-----BEGIN')) {
    problems.add(property, '(PEM text)', 'is PEM text, but it is carried base64-encoded so that it stays on one line', 'wrap it: Fn.base64encode(pem)');
  } else if (!BASE64.test(value) || !Buffer.from(value, 'base64').toString('latin1').startsWith('-----BEGIN CERTIFICATE')) {
    problems.add(property, '(not shown)', 'is not a base64-encoded PEM certificate', 'pass Fn.base64encode(pem) of the certificate the tls provider gives');
  }
}

function checkJoinTimeout(problems: ProblemList, minutes: number | undefined): void {
  const value = minutes ?? DEFAULT_JOIN_TIMEOUT_MINUTES;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 5 || value > 24 * 60) {
    problems.add('joinTimeoutMinutes', value, 'a joining node must wait at least as long as a control plane takes to come up (about 5 minutes), and not forever', `use a number of minutes from 5 to 1440, normally ${DEFAULT_JOIN_TIMEOUT_MINUTES}`);
  }
}

const PARAMETER_PATH = /^(\/[A-Za-z0-9_.-]+)+$/;

function checkSecretsLocation(problems: ProblemList, secrets: NodeSecretsLocation | undefined): void {
  if (secrets === undefined || typeof secrets !== 'object') {
    problems.add('secrets', secrets, 'is missing', 'pass where the cluster keeps its parameters (ClusterSecrets.location)');
    return;
  }
  for (const [key, value] of [['parameterPath', secrets.parameterPath], ['joinTokenParameter', secrets.joinTokenParameter]] as const) {
    if (typeof value !== 'string' || (!isUnresolved(value) && !PARAMETER_PATH.test(value))) {
      problems.add(`secrets.${key}`, value, 'is not a Parameter Store path', "write it as '/kubeadm/<cluster>' style path segments of letters, digits, '_', '.', '-'");
    }
  }
  const documents = secrets.channelDocuments ?? ({} as NodeSecretsLocation['channelDocuments']);
  for (const [key, value] of [['region', secrets.region], ['kmsKeyId', secrets.kmsKeyId], ['channelDocuments.joinToken', documents.joinToken], ['channelDocuments.issuerKeys', documents.issuerKeys]] as const) {
    if (typeof value !== 'string' || value.length === 0 || /[\s']/.test(value)) {
      problems.add(`secrets.${key}`, value, 'is empty or holds spaces or quotes', 'pass the value, or the Terraform attribute that holds it');
    }
  }
}

// Files every node gets: what the host needs for Kubernetes networking, persisted across reboots,
// and the node AWS command its programs use.
function hostFiles(version: KubernetesVersion): WriteFile[] {
  return [
    programFile(NODE_AWS_COMMAND_SOURCE, nodeAwsCommand()),
    publicFile('/etc/modules-load.d/kubernetes.conf', 'overlay\nbr_netfilter\n'),
    publicFile('/etc/sysctl.d/99-kubernetes.conf', 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n'),
    // crictl (installed from cri-tools) talks to containerd without flags.
    publicFile('/etc/crictl.yaml', `runtime-endpoint: ${CONTAINERD_CRI_SOCKET}\n`),
    publicFile(CONTAINERD_CONFIG_SOURCE, containerdConfig(version)),
  ];
}

/** Readable by root only; the owner is said explicitly. */
function privateFile(path: string, content: string): WriteFile {
  return { path, content, owner: 'root:root', permissions: '0600' };
}

function publicFile(path: string, content: string, encoding?: 'b64'): WriteFile {
  return { path, content, encoding, permissions: '0644' };
}

function programFile(path: string, content: string): WriteFile {
  return { path, content, owner: 'root:root', permissions: '0755' };
}

function unitFiles(units: readonly UnitFile[]): WriteFile[] {
  return units.map((unit) => publicFile(`${SYSTEMD_UNIT_DIR}/${unit.name}`, renderUnit(unit)));
}

/**
 * The node's AWS command (a small subset of the AWS CLI on Ubuntu's boto3), shipped with the
 * library. Every node's user-data carries it, so that the first boot needs nothing from the SSM
 * channel; the channel installs the same text on running nodes. Comment lines and docstrings stay
 * in the source (user-data is limited to 16 KB); the shebang stays too.
 */
export function nodeAwsCommand(): string {
  const [shebang, ...rest] = readFileSync(join(__dirname, 'node-files', 'aws-cli.py'), 'utf8').split('\n');
  const kept: string[] = [];
  const QUOTES = '"""';
  // A docstring is a triple-quoted string first in the module or right after a def or class line;
  // it goes whole. No other line of the program starts with triple quotes.
  let inDocstring = false;
  for (const line of rest) {
    const text = line.trim();
    if (inDocstring) {
      inDocstring = !text.includes(QUOTES);
      continue;
    }
    const previous = kept[kept.length - 1];
    if (text.startsWith(QUOTES) && (previous === undefined || /^\s*(def|class) .*:$/.test(previous))) {
      inDocstring = !(text.length >= 6 && text.endsWith(QUOTES));
      continue;
    }
    if (!text.startsWith('#')) {
      kept.push(line);
    }
  }
  return [shebang, ...kept].join('\n');
}

// User-data is the first boot: the bootstrap program, its unit, its documents and the node AWS
// command. The programs the first control-plane node runs after init (the join-token rotation, the
// issuer keys, an etcd restore) come from the SSM channel's documents, which the bootstrap reads
// and runs itself; the channel's associations install the same files on running nodes.
function renderCloudConfig(files: readonly WriteFile[]): string {
  return `#cloud-config\n${toYaml({
    write_files: [...files, ...unitFiles([bootstrapUnit()])],
    // Argument lists, run without a shell. The bootstrap runs as a systemd unit so that a failed
    // first boot retries on its own and a reboot mid-way continues.
    runcmd: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', '--no-block', BOOTSTRAP_UNIT]],
  })}`;
}

function controlPlaneInputs(problems: ProblemList, props: ControlPlaneUserDataProps): void {
  checkKubeadmConfigProps(problems, props);
  checkJoinTimeout(problems, props.joinTimeoutMinutes);
  checkSecretsLocation(problems, props.secrets);
}

function controlPlaneFiles(props: ControlPlaneUserDataProps, action: BootstrapAction): WriteFile[] {
  const secrets = props.secrets;
  const bootstrap = bootstrapProgram({
    action,
    kubernetesVersion: props.kubernetesVersion,
    region: secrets.region,
    parameterPath: secrets.parameterPath,
    joinTokenParameter: secrets.joinTokenParameter,
    apiEndpoint: controlPlaneEndpoint(props),
    joinTokenProgram: { path: JOIN_TOKEN_PROGRAM_PATH, document: secrets.channelDocuments.joinToken },
    etcdRestore: action === BootstrapAction.INIT ? secrets.etcdRestore : undefined,
    issuerKeysProgram: props.serviceAccountIssuer !== undefined ? { path: ISSUER_KEYS_PROGRAM_PATH, document: secrets.channelDocuments.issuerKeys } : undefined,
    podNetworkProgram: secrets.podNetwork,
    joinTimeoutMinutes: props.joinTimeoutMinutes,
    recovery: props.recovery,
  });
  return [...hostFiles(props.kubernetesVersion), programFile(BOOTSTRAP_SCRIPT_PATH, bootstrap)];
}

// A control-plane node's join: the discovery kubeconfig pinning the CA it reads into
// /etc/kubernetes/pki before each attempt, and the join configuration without its token.
function controlPlaneJoinFiles(props: ControlPlaneUserDataProps, index: number): WriteFile[] {
  const join = joinConfiguration(props, { controlPlaneAddress: props.plan.controlPlaneNodes[index].privateIp, discoveryKubeconfigPath: DISCOVERY_KUBECONFIG_PATH });
  return [
    privateFile(DISCOVERY_KUBECONFIG_PATH, renderDiscoveryKubeconfig(discoveryKubeconfig(props, '/etc/kubernetes/pki/ca.crt'))),
    privateFile(`${KUBEADM_CONFIG_PATH}.template`, renderKubeadmConfig([join])),
  ];
}

/**
 * User-data of the first control-plane node: the kubeadm documents, the programs and their units.
 * The node reads the PKI and the encryption configuration from Parameter Store, runs
 * `kubeadm init`, then publishes the first join token. No key and no token is in it.
 */
export function firstControlPlaneUserData(props: ControlPlaneUserDataProps): string {
  const problems = new ProblemList();
  controlPlaneInputs(problems, props);
  problems.throwIfAny();
  // In a highly available control plane the first node joins its peers when the cluster exists.
  const join = props.recovery !== undefined && props.plan.controlPlaneNodes.length > 1 ? controlPlaneJoinFiles(props, 0) : [];
  return renderCloudConfig([...controlPlaneFiles(props, BootstrapAction.INIT), privateFile(KUBEADM_CONFIG_PATH, renderKubeadmConfig(initDocuments(props))), ...join]);
}

/**
 * User-data of another control-plane node (the second or third of a highly available control
 * plane): reads the PKI and the join token from Parameter Store, then runs
 * `kubeadm join --control-plane` until the first node's API answers.
 * @param index the node's index in `plan.controlPlaneNodes` (1 or 2)
 */
export function joiningControlPlaneUserData(props: ControlPlaneUserDataProps, index: number): string {
  const problems = new ProblemList();
  controlPlaneInputs(problems, props);
  const nodes = props.plan?.controlPlaneNodes ?? [];
  if (!Number.isInteger(index) || index < 1 || index >= nodes.length) {
    problems.add('index', index, `joining control-plane nodes are numbered 1 to ${nodes.length - 1} in this plan (node 0 runs kubeadm init)`, 'pass the index of a control-plane node of the plan other than 0');
  }
  problems.throwIfAny();
  return renderCloudConfig([...controlPlaneFiles(props, BootstrapAction.JOIN_CONTROL_PLANE), ...controlPlaneJoinFiles(props, index)]);
}

/** User-data of control-plane node `index`: `kubeadm init` on node 0, a control-plane join on the others. */
export function controlPlaneUserData(props: ControlPlaneUserDataProps, index: number): string {
  return index === 0 ? firstControlPlaneUserData(props) : joiningControlPlaneUserData(props, index);
}

/**
 * User-data of a worker: the cluster CA it pins, the discovery kubeconfig and the join
 * configuration without its token. The worker waits for a control-plane node to publish a join
 * token, reads it from Parameter Store and runs `kubeadm join` until the API answers. The same
 * user-data serves every worker of a pool.
 */
export function workerUserData(props: WorkerUserDataProps): string {
  const problems = new ProblemList();
  checkClusterEndpointProps(problems, props);
  checkJoinTimeout(problems, props.joinTimeoutMinutes);
  checkSecretsLocation(problems, props.secrets);
  checkBase64Pem(problems, 'caCertificate', props.caCertificate);
  if (typeof props.autoScalingGroupName !== 'string' || !/^[\w.:/-]{1,255}$/.test(props.autoScalingGroupName)) {
    problems.add('autoScalingGroupName', props.autoScalingGroupName, 'is not an auto scaling group name', "pass the pool's group name, for example 'demo-workers'");
  }
  if (props.launchLifecycleHook !== undefined && !/^[A-Za-z0-9_./-]{1,255}$/.test(props.launchLifecycleHook)) {
    problems.add('launchLifecycleHook', props.launchLifecycleHook, 'is not a lifecycle hook name (letters, digits, and _ . / -)', "pass the group's launch hook name, for example 'node-ready'");
  }
  problems.throwIfAny();
  const secrets = props.secrets;
  const bootstrap = bootstrapProgram({
    action: BootstrapAction.JOIN,
    kubernetesVersion: props.kubernetesVersion,
    region: secrets.region,
    parameterPath: secrets.parameterPath,
    joinTokenParameter: secrets.joinTokenParameter,
    apiEndpoint: controlPlaneEndpoint(props),
    autoScalingGroupName: props.autoScalingGroupName,
    launchLifecycleHook: props.launchLifecycleHook,
    podNetworkProgram: secrets.podNetwork,
    joinTimeoutMinutes: props.joinTimeoutMinutes,
  });
  return renderCloudConfig([
    ...hostFiles(props.kubernetesVersion),
    publicFile(WORKER_CA_PATH, props.caCertificate, 'b64'),
    privateFile(DISCOVERY_KUBECONFIG_PATH, renderDiscoveryKubeconfig(discoveryKubeconfig(props, WORKER_CA_PATH))),
    privateFile(`${KUBEADM_CONFIG_PATH}.template`, renderKubeadmConfig([joinConfiguration(props, { discoveryKubeconfigPath: DISCOVERY_KUBECONFIG_PATH, nodeLabels: props.nodeLabels, nodeTaints: props.nodeTaints })])),
    programFile(BOOTSTRAP_SCRIPT_PATH, bootstrap),
  ]);
}
