import { CONTAINERD_CRI_SOCKET, ENCRYPTION_CONFIG_PATH, JOIN_TOKEN_CONFIG_PLACEHOLDER, PROVIDER_ID_CONFIG_PLACEHOLDER } from './kubeadm-config';
import { KubernetesVersion } from './kubernetes-version';
import { ContainerdPackageSource } from './kubernetes-version';
import { DOCKER_APT_REPOSITORY, heldPackages, nodePackageSpecs } from './node-packages';
import { ProgramSetting, renderNodeProgram } from './node-program';
import { CHANNEL_PROGRAMS } from './phases/channel';
import { HOST_PHASES } from './phases/host';
import { INIT_PHASE } from './phases/init';
import { JOIN_PHASE } from './phases/join';
import { PHASE_RUNNER } from './phases/phase-runner';
import { RECOVERY_PHASE } from './phases/recovery';
import { CLUSTER_GENERATION_PATTERN } from './cluster-generation';
import { SECRETS_PHASE } from './phases/secrets';
import { WORKER_READY_PHASE } from './phases/worker-ready';
import { oneshotService, UnitFile } from './systemd';

/** Where the bootstrap program is installed on each node. */
export const BOOTSTRAP_SCRIPT_PATH = '/usr/local/sbin/kubeadm-bootstrap';
/** The systemd unit that runs it until it succeeds. */
export const BOOTSTRAP_UNIT = 'kubeadm-bootstrap.service';
/** Where each node logs its bootstrap (also on the console and in the journal). */
export const BOOTSTRAP_LOG_PATH = '/var/log/kubeadm-bootstrap.log';
/** Directory of the bootstrap's inputs on each node; `kubeadm reset` leaves it alone. */
export const BOOTSTRAP_DIR = '/etc/kubeadm-bootstrap';
/** The kubeadm configuration: `kubeadm init --config` reads it; joins read it with the token put in. */
export const KUBEADM_CONFIG_PATH = `${BOOTSTRAP_DIR}/kubeadm.yaml`;
/** Where a first control-plane node that joins its peers instead writes its join configuration. */
export const JOIN_CONFIG_PATH = `${BOOTSTRAP_DIR}/kubeadm-join.yaml`;
/** containerd's configuration as user-data delivers it; installed once the package is. */
export const CONTAINERD_CONFIG_SOURCE = `${BOOTSTRAP_DIR}/containerd.toml`;
/**
 * The node's small AWS command (Parameter Store, Auto Scaling, CloudWatch, S3), used when no AWS CLI
 * is installed. User-data writes it and the bootstrap links it as `aws`; the SSM channel installs
 * the same file on running nodes.
 */
export const NODE_AWS_COMMAND_SOURCE = '/usr/local/lib/kubeadm-bootstrap/aws';
/** Where the node AWS command is linked as `aws` (on systemd's default PATH). */
export const NODE_AWS_COMMAND_LINK = '/usr/local/bin/aws';
/**
 * How the bootstrap turns an SSM Command document into the script the SSM agent would run: its
 * first step's commands, one a line.
 */
const DOCUMENT_COMMANDS = 'import json, sys; print("\\n".join(json.load(sys.stdin)["mainSteps"][0]["inputs"]["runCommand"]))';
/** One marker file per finished phase, so a retry resumes where the last attempt stopped. */
export const PHASE_MARKER_DIR = '/var/lib/kubeadm-bootstrap';
/** Where a worker keeps the cluster CA it pins when it joins (not /etc/kubernetes/pki, which a worker join wants empty). */
export const WORKER_CA_PATH = `${BOOTSTRAP_DIR}/ca.crt`;
/**
 * The PKI files every control-plane node reads from Parameter Store, relative to
 * /etc/kubernetes/pki and to the cluster's `pki/` parameter path. Keys are SecureStrings.
 */
export const CONTROL_PLANE_PKI_FILES: readonly string[] = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub'];
/**
 * How long a joining node keeps trying in one run. systemd starts it again after a failure, so this
 * only bounds how long one run holds on to a token it read.
 */
export const DEFAULT_JOIN_TIMEOUT_MINUTES = 40;
/**
 * How many times the first control-plane node tries `kubeadm init` in one run; systemd runs the
 * bootstrap again after that, and the deploy's readiness wait covers this run (`boot-budget.ts`).
 */
export const INIT_ATTEMPTS = 2;
/**
 * The bootstrap's bounded retries of remote steps: each read of a parameter or of a channel
 * document (each call cut off after `awsCallTimeoutSeconds`), each publication (join token,
 * issuer keys), the package repositories' keys and instance metadata. Their worst cases add up in
 * `boot-budget.ts`, which the deploy's readiness wait covers.
 */
export const BOOT_RETRIES = {
  fetchAttempts: 6,
  fetchDelaySeconds: 10,
  awsCallTimeoutSeconds: 30,
  publishAttempts: 5,
  publishDelaySeconds: 20,
  downloadRetries: 2,
  downloadMaxSeconds: 20,
  imdsAttempts: 5,
} as const;
/**
 * Joins a reachable API server refused, each with a freshly read token, before a worker gives its
 * instance back to the auto scaling group. A refusal that repeats with fresh tokens cannot heal.
 */
export const REFUSALS_BEFORE_UNHEALTHY = 3;

/**
 * How long one run of a worker's bootstrap waits for its Node to be Ready before it fails (and
 * systemd runs it again).
 */
export const DEFAULT_NODE_READY_TIMEOUT_MINUTES = 30;

/** What the node does with kubeadm. */
export enum BootstrapAction {
  /** The first control-plane node: `kubeadm init`. */
  INIT = 'init',
  /** Another control-plane node: `kubeadm join --control-plane`. */
  JOIN_CONTROL_PLANE = 'join-control-plane',
  /** A worker: `kubeadm join`. */
  JOIN = 'join',
}

/**
 * A program the SSM channel installs on control-plane nodes, and the channel's document that
 * installs it: a booting node runs that document itself when it needs the program.
 */
export interface ChannelProgram {
  /** Where the program is installed, for example `/usr/local/sbin/kubeadm-join-token`. */
  readonly path: string;
  /** Name of the SSM Command document that installs it, for example `demo-join-token-rotation`. */
  readonly document: string;
}

export interface BootstrapProgramProps {
  readonly action: BootstrapAction;
  readonly kubernetesVersion: KubernetesVersion;
  /** AWS region of the cluster's parameters (may be a Terraform token). */
  readonly region: string;
  /** Parameter Store path of the cluster, for example `/kubeadm/demo`. */
  readonly parameterPath: string;
  /** Name of the join token's parameter. */
  readonly joinTokenParameter: string;
  /** `host:port` of the API as nodes reach it (may hold a Terraform token). */
  readonly apiEndpoint: string;
  /** Program that rotates and publishes the join token (control-plane nodes), and its document. */
  readonly joinTokenProgram?: ChannelProgram;
  /**
   * The first control-plane node reads this String parameter before `kubeadm init`: unless it holds
   * `none`, it names the etcd snapshot to restore first (`latest` or a snapshot's name), and
   * `program` restores it. The parameter is set back to `none` once init has succeeded.
   * @default - no restores
   */
  readonly etcdRestore?: { readonly parameterName: string; readonly program: ChannelProgram };
  /**
   * Program that publishes the API server's service-account keys for IAM; the first control-plane
   * node runs it once after `kubeadm init`.
   * @default - no published issuer
   */
  readonly issuerKeysProgram?: ChannelProgram;
  /**
   * The routed pod network's node program, installed from its document once kubeadm has run: it
   * writes the CNI configuration the node needs to be Ready.
   * @default - none: the network plugin runs in the cluster
   */
  readonly podNetworkProgram?: ChannelProgram;
  /**
   * A control-plane node's way back to its cluster (see `phases/recovery.ts`).
   * @default - none: the node runs its action as given (kubeadm init on an empty etcd for the first node)
   */
  readonly recovery?: ControlPlaneRecovery;
  /** The worker's auto scaling group, which it tells when it cannot ever join. */
  readonly autoScalingGroupName?: string;
  /**
   * The group's launch lifecycle hook, which a worker completes once its Node is Ready.
   * @default - none: nothing to complete
   */
  readonly launchLifecycleHook?: string;
  /**
   * How long one run of a worker waits for its Node to be Ready, in minutes.
   * @default 30
   */
  readonly nodeReadyTimeoutMinutes?: number;
  /**
   * How long one run of a joining node keeps trying, in minutes.
   * @default 40
   */
  readonly joinTimeoutMinutes?: number;
}

/** What a control-plane node needs to find its cluster again. */
export interface ControlPlaneRecovery {
  /** The String parameter naming the cluster's generation (`none` until the first init). */
  readonly generationParameter: string;
  /** The node's fixed private address (its etcd member's peer URL). */
  readonly selfAddress: string;
  /** The other control-plane nodes' fixed addresses; empty with a single control-plane node. */
  readonly peerAddresses: readonly string[];
  /**
   * The node's own etcd volume, which it attaches and mounts at /var/lib/etcd.
   * @default - none: etcd's data lives on the root volume
   */
  readonly etcdVolumeId?: string;
  /**
   * The other control-plane nodes' auto scaling groups, which a restore scales to 0 until the
   * restored cluster serves (fencing their old etcd members).
   * @default - none: a restore waits for the old members to be stopped by hand
   */
  readonly peerGroups?: readonly string[];
  /** The tag key that names control-plane nodes, for the messages. */
  readonly nodeTagKey: string;
  /**
   * The library of the rarer recovery steps (fencing, removing a stale etcd member) and the
   * channel's document that installs it (see `phases/recovery-library.ts`).
   * @default - none: joins leave a stale member in place and restores are not fenced
   */
  readonly library?: ChannelProgram;
}

/** How often a booting control-plane node asks whether a peer's etcd answers before it counts it as gone. */
export const PEER_CHECKS = { checks: 6, delaySeconds: 10 } as const;
/** How long a node tries to attach its etcd volume (the replaced instance may still hold it). */
export const VOLUME_ATTACH = { attempts: 30, delaySeconds: 10 } as const;
/** How many times, 10 s apart, a restore checks that fenced old members stopped answering. */
export const FENCE_CHECKS = 30;
/**
 * How a control-plane node found again reads its Node object, and waits for the kubelet to register
 * it afresh (see `reclaim_node_object`): 30 checks 10 s apart.
 */
export const NODE_OBJECT = { attempts: 30, delaySeconds: 10 } as const;
/** The device name the etcd volume is attached as (on Nitro instances it shows as NVMe all the same). */
export const ETCD_VOLUME_DEVICE = '/dev/sdf';

export interface ProgramEnvironment {
  /**
   * Prefix of every path the program touches; tests point it at a scratch folder.
   * @default '' - the node's own file system
   */
  readonly root?: string;
  /** @default - the instance metadata service */
  readonly imdsUrl?: string;
}

// The log and the phase markers, before any phase runs.
const FRAME = `
umask 022
MARKERS="$ROOT${PHASE_MARKER_DIR}"
PKI_DIR="$ROOT/etc/kubernetes/pki"
mkdir -p "$MARKERS" "$(dirname "$LOG_FILE")"
: >> "$LOG_FILE"
chmod 0600 "$LOG_FILE"
# Everything goes to the log file and to stdout, which systemd copies to the journal and the console.
exec > >(tee -a "$LOG_FILE") 2>&1
`;

const MAIN = `
main() {
  if [ -f "$MARKERS/complete" ]; then
    log 'bootstrap complete; nothing to do'
    return 0
  fi
  log "kubeadm $ACTION, Kubernetes $KUBERNETES_VERSION"
  phase host prepare_host
  phase packages install_packages
  phase aws-command link_aws_command
  phase containerd configure_containerd
  phase provider-id set_provider_id
  if [ "$ACTION" != join ]; then
    phase etcd-volume attach_etcd_volume
  fi
  phase kubeadm "run_$\{ACTION//-/_}"
  if [ "$ACTION" != join ]; then
    phase node-object reclaim_node
  fi
  if [ -n "$POD_NETWORK_PROGRAM" ]; then
    phase pod-network channel_install "$POD_NETWORK_DOCUMENT" "$POD_NETWORK_PROGRAM"
  fi
  if [ "$ACTION" = init ]; then
    phase generation record_generation
    phase unfence unfence_peers
    phase publish-token publish_join_token
    phase restore-request clear_restore_request
    if [ -n "$ISSUER_KEYS_PROGRAM" ]; then
      phase publish-issuer-keys publish_issuer_keys
    fi
  fi
  if [ "$ACTION" = join ] && [ -n "$LAUNCH_HOOK" ]; then
    phase node-ready wait_for_node_ready
    phase launch-hook complete_launch_hook
  fi
  touch "$MARKERS/complete"
  log "bootstrap complete"
}

main "$@"
`;

// Plain bash, the same on every node of a kind; the settings above it differ. Comment lines stay
// here. Workers carry no control-plane phases and control-plane nodes no worker's: user-data is
// limited in size.
const WORKER_BODY = [FRAME, PHASE_RUNNER, HOST_PHASES, CHANNEL_PROGRAMS, SECRETS_PHASE, JOIN_PHASE, WORKER_READY_PHASE, MAIN].join('\n');
const CONTROL_PLANE_BODY = [FRAME, PHASE_RUNNER, HOST_PHASES, CHANNEL_PROGRAMS, SECRETS_PHASE, INIT_PHASE, RECOVERY_PHASE, JOIN_PHASE, MAIN].join('\n');


/**
 * The node's first-boot program: prepares the host, installs pinned packages in one apt transaction,
 * writes containerd's configuration, reads its secrets from Parameter Store, then runs
 * `kubeadm init` or `kubeadm join`. Each phase leaves a marker, so a run that systemd restarts after
 * a failure resumes where the last one stopped; a half-finished init is completed, never reset.
 */
export function bootstrapProgram(props: BootstrapProgramProps, env: ProgramEnvironment = {}): string {
  const version = props.kubernetesVersion;
  const docker = version.containerdPackageSource === ContainerdPackageSource.DOCKER;
  const settings: ProgramSetting[] = [
    ['ROOT', env.root ?? ''],
    ['ACTION', props.action],
    ['KUBERNETES_VERSION', version.kubeadmVersion],
    // Without the trailing slash; the program adds it where apt and the key URL need it.
    ['APT_REPOSITORY', version.aptRepositoryUrl.replace(/\/$/, '')],
    ['DOCKER_REPOSITORY', docker ? DOCKER_APT_REPOSITORY : ''],
    ['PACKAGES', nodePackageSpecs(version).join(' ')],
    ['HELD_PACKAGES', heldPackages(version).join(' ')],
    ['REGION', props.region],
    ['PARAMETER_PATH', props.parameterPath],
    ['JOIN_TOKEN_PARAMETER', props.joinTokenParameter],
    ['ISSUER_KEYS_PROGRAM', props.issuerKeysProgram?.path ?? ''],
    ['POD_NETWORK_PROGRAM', props.podNetworkProgram?.path ?? ''],
    ['POD_NETWORK_DOCUMENT', props.podNetworkProgram?.document ?? ''],
    ['AUTO_SCALING_GROUP', props.autoScalingGroupName ?? ''],
    ['LAUNCH_HOOK', props.action === BootstrapAction.JOIN && props.autoScalingGroupName ? (props.launchLifecycleHook ?? '') : ''],
    ['API_ENDPOINT', props.apiEndpoint],
    ['PKI_FILES', CONTROL_PLANE_PKI_FILES.join(' ')],
    ['ENCRYPTION_CONFIG', ENCRYPTION_CONFIG_PATH],
    ['CA_FILE', `${env.root ?? ''}${WORKER_CA_PATH}`],
    ['KUBEADM_CONFIG', `${env.root ?? ''}${KUBEADM_CONFIG_PATH}`],
    ['TOKEN_PLACEHOLDER', JOIN_TOKEN_CONFIG_PLACEHOLDER],
    ['PROVIDER_ID_PLACEHOLDER', PROVIDER_ID_CONFIG_PLACEHOLDER],
    ['CONTAINERD_CONFIG_SOURCE', CONTAINERD_CONFIG_SOURCE],
    ['NODE_AWS_COMMAND', NODE_AWS_COMMAND_SOURCE],
    ['AWS_LINK', `${env.root ?? ''}${NODE_AWS_COMMAND_LINK}`],
    ['DOCUMENT_COMMANDS', DOCUMENT_COMMANDS],
    ['JOIN_TIMEOUT_SECONDS', Math.round((props.joinTimeoutMinutes ?? DEFAULT_JOIN_TIMEOUT_MINUTES) * 60)],
    ['REFUSALS_BEFORE_UNHEALTHY', REFUSALS_BEFORE_UNHEALTHY],
    ['FETCH_ATTEMPTS', BOOT_RETRIES.fetchAttempts],
    ['FETCH_DELAY_SECONDS', BOOT_RETRIES.fetchDelaySeconds],
    ['AWS_CALL_TIMEOUT_SECONDS', BOOT_RETRIES.awsCallTimeoutSeconds],
    ['DOWNLOAD_RETRIES', BOOT_RETRIES.downloadRetries],
    ['DOWNLOAD_MAX_SECONDS', BOOT_RETRIES.downloadMaxSeconds],
    ['IMDS_ATTEMPTS', BOOT_RETRIES.imdsAttempts],
    ['LOG_FILE', `${env.root ?? ''}${BOOTSTRAP_LOG_PATH}`],
    ['CRI_SOCKET', CONTAINERD_CRI_SOCKET],
    // Joins write their configuration beside the init configuration, which a first node keeps.
    ['JOIN_CONFIG', `${env.root ?? ''}${props.action === BootstrapAction.INIT ? JOIN_CONFIG_PATH : KUBEADM_CONFIG_PATH}`],
  ];
  const controlPlane = props.action !== BootstrapAction.JOIN;
  if (controlPlane) {
    const r = props.recovery;
    settings.push(
      ['JOIN_TOKEN_PROGRAM', props.joinTokenProgram?.path ?? ''],
      ['JOIN_TOKEN_DOCUMENT', props.joinTokenProgram?.document ?? ''],
      ['ETCD_RESTORE_PARAMETER', props.etcdRestore?.parameterName ?? ''],
      ['ETCD_RESTORE_PROGRAM', props.etcdRestore?.program.path ?? ''],
      ['ETCD_RESTORE_DOCUMENT', props.etcdRestore?.program.document ?? ''],
      ['NO_RESTORE', 'none'],
      ['ISSUER_KEYS_DOCUMENT', props.issuerKeysProgram?.document ?? ''],
      ['INIT_ATTEMPTS', INIT_ATTEMPTS],
      ['PUBLISH_ATTEMPTS', BOOT_RETRIES.publishAttempts],
      ['PUBLISH_DELAY_SECONDS', BOOT_RETRIES.publishDelaySeconds],
      ['ADMIN_CONF', `${env.root ?? ''}/etc/kubernetes/admin.conf`],
      ['GENERATION_PARAMETER', r?.generationParameter ?? ''],
      ['GENERATION_PATTERN', CLUSTER_GENERATION_PATTERN.source],
      ['ETCD_DIR', `${env.root ?? ''}/var/lib/etcd`],
      ['ETCD_VOLUME', r?.etcdVolumeId ?? ''],
      ['SELF_IP', r?.selfAddress ?? ''],
      ['PEERS', (r?.peerAddresses ?? []).join(' ')],
      ['PEER_GROUPS', (r?.peerGroups ?? []).join(' ')],
      ['NODE_TAG_KEY', r?.nodeTagKey ?? ''],
      ['RECOVERY_LIBRARY', r?.library?.path ?? ''],
      ['RECOVERY_DOCUMENT', r?.library?.document ?? ''],
    );
  } else {
    settings.push(
      ['KUBELET_CONF', `${env.root ?? ''}/etc/kubernetes/kubelet.conf`],
      ['NODE_READY_ATTEMPTS', Math.max(1, Math.round((props.nodeReadyTimeoutMinutes ?? DEFAULT_NODE_READY_TIMEOUT_MINUTES) * 6))],
    );
  }
  const body = controlPlane ? CONTROL_PLANE_BODY : WORKER_BODY;
  return renderNodeProgram({ name: 'kubeadm-bootstrap', description: 'Bootstraps this node into the Kubernetes cluster', settings, body }, { imdsUrl: env.imdsUrl });
}

/** The unit that runs the bootstrap at boot and again, with backoff, until it succeeds. */
export function bootstrapUnit(): UnitFile {
  return oneshotService({
    name: BOOTSTRAP_UNIT,
    description: 'Bootstrap this node into the Kubernetes cluster',
    execStart: BOOTSTRAP_SCRIPT_PATH,
    retry: true,
    startAtBoot: true,
    timeout: '90min',
  });
}
