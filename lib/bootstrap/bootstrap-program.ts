import { CONTAINERD_CRI_SOCKET, ENCRYPTION_CONFIG_PATH, JOIN_TOKEN_CONFIG_PLACEHOLDER, PROVIDER_ID_CONFIG_PLACEHOLDER } from './kubeadm-config';
import { KubernetesVersion } from './kubernetes-version';
import { ContainerdPackageSource } from './kubernetes-version';
import { DOCKER_APT_REPOSITORY, heldPackages, nodePackageSpecs } from './node-packages';
import { ProgramSetting, renderNodeProgram, SHARED_FUNCTIONS } from './node-program';
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
/** containerd's configuration as user-data delivers it; installed once the package is. */
export const CONTAINERD_CONFIG_SOURCE = `${BOOTSTRAP_DIR}/containerd.toml`;
/**
 * The node's small AWS command (Parameter Store, Auto Scaling), used when no AWS CLI is installed;
 * the SSM channel installs it and links it as `aws`.
 */
export const NODE_AWS_COMMAND_SOURCE = '/usr/local/lib/kubeadm-bootstrap/aws';
/**
 * How long the bootstrap waits for a program the SSM channel installs. The channel's associations
 * apply when the node's SSM agent registers, a minute or two after boot, while packages install.
 */
export const CHANNEL_WAIT_MINUTES = 20;
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
/** How many times the first control-plane node tries `kubeadm init` in one run. */
export const INIT_ATTEMPTS = 3;
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
  /** Program that rotates and publishes the join token (control-plane nodes). */
  readonly joinTokenProgram?: string;
  /**
   * The first control-plane node reads this String parameter before `kubeadm init`: unless it holds
   * `none`, it names the etcd snapshot to restore first (`latest` or a snapshot's name), and
   * `program` restores it. The parameter is set back to `none` once init has succeeded.
   * @default - no restores
   */
  readonly etcdRestore?: { readonly parameterName: string; readonly program: string };
  /**
   * Program that publishes the API server's service-account keys for IAM; the first control-plane
   * node runs it once after `kubeadm init`.
   * @default - no published issuer
   */
  readonly issuerKeysProgram?: string;
  /** Name of the SSM association that installs the node tools, for the message when they do not come. */
  readonly channelAssociation: string;
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

export interface ProgramEnvironment {
  /**
   * Prefix of every path the program touches; tests point it at a scratch folder.
   * @default '' - the node's own file system
   */
  readonly root?: string;
  /** @default - the instance metadata service */
  readonly imdsUrl?: string;
}

// Plain bash, the same on every node; the settings above it differ. Comment lines stay here.
const BODY = `
umask 022
MARKERS="$ROOT${PHASE_MARKER_DIR}"
PKI_DIR="$ROOT/etc/kubernetes/pki"
ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
mkdir -p "$MARKERS" "$(dirname "$LOG_FILE")"
: >> "$LOG_FILE"
chmod 0600 "$LOG_FILE"
# Everything goes to the log file and to stdout, which systemd copies to the journal and the console.
exec > >(tee -a "$LOG_FILE") 2>&1

# phase NAME COMMAND...: runs COMMAND once; a marker records that it finished, so a later run (systemd
# restarts the unit after a failure) resumes with the next phase.
phase() {
  local name=$1
  shift
  if [ -f "$MARKERS/$name.done" ]; then
    log "phase $name: already done"
    return 0
  fi
  log "phase $name: start"
  "$@"
  touch "$MARKERS/$name.done"
  log "phase $name: done"
}

${SHARED_FUNCTIONS.aptGet}

fetch_url() { curl -fsSL --retry 5 --retry-connrefused -o "$2" "$1"; }

prepare_host() {
  log 'swap off, kernel modules, sysctls'
  swapoff -a
  sed -i -E '/[[:space:]]swap[[:space:]]/ s/^[^#]/#&/' "$ROOT/etc/fstab"
  modprobe overlay
  modprobe br_netfilter
  sysctl --system > /dev/null
}

install_packages() {
  local codename
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  install -d -m 0755 "$ROOT/etc/apt/keyrings"
  # apt reads ASCII-armoured keys directly when the file name ends in .asc.
  fetch_url "$APT_REPOSITORY/Release.key" "$ROOT/etc/apt/keyrings/kubernetes.asc"
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes.asc] $APT_REPOSITORY/ /" > "$ROOT/etc/apt/sources.list.d/kubernetes.list"
  if [ -n "$DOCKER_REPOSITORY" ]; then
    codename=$(awk -F= '$1 == "VERSION_CODENAME" { print $2 }' "$ROOT/etc/os-release")
    fetch_url "$DOCKER_REPOSITORY/gpg" "$ROOT/etc/apt/keyrings/docker.asc"
    echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] $DOCKER_REPOSITORY $codename stable" > "$ROOT/etc/apt/sources.list.d/docker.list"
  fi
  apt_get update
  log "installing in one transaction: $PACKAGES"
  # shellcheck disable=SC2086
  apt_get install $PACKAGES
  # shellcheck disable=SC2086
  apt-mark hold $HELD_PACKAGES > /dev/null
}

# wait_for_program PROGRAM: the SSM channel installs the node AWS command and the join-token
# program; a real AWS CLI in the image serves as well.
wait_for_program() {
  local deadline=$((SECONDS + CHANNEL_WAIT_SECONDS))
  until command -v "$1" > /dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "ERROR: $1 did not appear within $CHANNEL_WAIT_SECONDS s; the SSM channel installs it: check that the SSM agent is online (aws ssm describe-instance-information) and the association status of $CHANNEL_ASSOCIATION"
      return 1
    fi
    log "waiting for $1, which the SSM channel installs"
    sleep 10
  done
}

configure_containerd() {
  log 'containerd: configuration written whole, CRI on, systemd cgroup driver'
  install -D -m 0644 "$ROOT$CONTAINERD_CONFIG_SOURCE" "$ROOT/etc/containerd/config.toml"
  systemctl restart containerd
  systemctl enable containerd kubelet
}

# ssm_get NAME [--with-decryption]: the parameter's value on stdout, with bounded retries; fails with
# a line that says what to check.
ssm_get() {
  local name=$1 i errors
  shift
  errors=$(mktemp)
  for ((i = 1; i <= FETCH_ATTEMPTS; i++)); do
    if aws ssm get-parameter --region "$REGION" --name "$name" "$@" --query Parameter.Value --output text 2> "$errors"; then
      rm -f "$errors"
      return 0
    fi
    log "reading $name failed (attempt $i of $FETCH_ATTEMPTS): $(tail -n 1 "$errors")"
    [ "$i" -lt "$FETCH_ATTEMPTS" ] && sleep "$FETCH_DELAY_SECONDS"
  done
  rm -f "$errors"
  log "ERROR: could not read $name from Parameter Store after $FETCH_ATTEMPTS attempts; check that the parameter exists and that this node's role may read it (and decrypt it with the cluster's KMS key)"
  return 1
}

# write_secret PATH MODE NAME [--with-decryption]: a parameter's value into a file that is never
# readable by others, not even for a moment.
write_secret() {
  local path=$1 mode=$2 value
  shift 2
  value=$(ssm_get "$@") || return 1
  install -d -m 0755 "$(dirname "$path")"
  (umask 077 && printf '%s\\n' "$value" > "$path")
  chmod "$mode" "$path"
}

fetch_control_plane_secrets() {
  local file
  wait_for_program aws || return 1
  log "reading the cluster PKI and the encryption configuration from $PARAMETER_PATH"
  for file in $PKI_FILES; do
    case "$file" in
      *.key) write_secret "$PKI_DIR/$file" 0600 "$PARAMETER_PATH/pki/$file" --with-decryption || return 1 ;;
      *) write_secret "$PKI_DIR/$file" 0644 "$PARAMETER_PATH/pki/$file" || return 1 ;;
    esac
  done
  write_secret "$ROOT$ENCRYPTION_CONFIG" 0600 "$PARAMETER_PATH/encryption-config" --with-decryption
}

# kubeadm reset empties /etc/kubernetes/pki, so the shared PKI is read again before each attempt.
ensure_control_plane_secrets() {
  if [ ! -f "$PKI_DIR/ca.key" ] || [ ! -f "$ROOT$ENCRYPTION_CONFIG" ]; then
    fetch_control_plane_secrets
  fi
}

reset_node() {
  kubeadm reset -f --cri-socket "$CRI_SOCKET" || log 'kubeadm reset failed'
}

api_serving() {
  local kubeconfig
  for kubeconfig in "$ROOT/etc/kubernetes/super-admin.conf" "$ADMIN_CONF"; do
    [ -f "$kubeconfig" ] && kubectl --kubeconfig "$kubeconfig" --request-timeout=10s get --raw /readyz > /dev/null 2>&1 && return 0
  done
  return 1
}

finish_init() {
  local i
  # The control plane already serves, and others may already use it: finish the remaining phases
  # (each creates or updates its objects) rather than reset, which would wipe etcd.
  for i in 1 2 3 4 5; do
    log "kubeadm init, remaining phases ($i of 5)"
    kubeadm init --config "$KUBEADM_CONFIG" --skip-token-print --skip-phases=preflight,certs,kubeconfig,etcd,control-plane,kubelet-start && return 0
    sleep 20
  done
  return 1
}

# A restore of an etcd snapshot, when one is requested, goes into /var/lib/etcd before each init
# attempt (kubeadm reset empties it after a failed one); init then takes the data as it finds it.
INIT_FLAGS=()
restore_if_requested() {
  local request
  INIT_FLAGS=()
  [ -n "$ETCD_RESTORE_PARAMETER" ] || return 0
  wait_for_program aws || return 1
  request=$(ssm_get "$ETCD_RESTORE_PARAMETER") || return 1
  if [ "$request" = "$NO_RESTORE" ]; then
    return 0
  fi
  log "etcd restore requested in $ETCD_RESTORE_PARAMETER: $request"
  wait_for_program "$ETCD_RESTORE_PROGRAM" || return 1
  "$ETCD_RESTORE_PROGRAM" restore "$request" --replace || return 1
  INIT_FLAGS=(--ignore-preflight-errors=DirAvailable--var-lib-etcd)
}

# Once the cluster runs on the restored data, the request is done: a later first node starts afresh.
clear_restore_request() {
  [ -n "$ETCD_RESTORE_PARAMETER" ] || return 0
  [ "$(ssm_get "$ETCD_RESTORE_PARAMETER")" != "$NO_RESTORE" ] || return 0
  retry 3 10 aws ssm put-parameter --region "$REGION" --name "$ETCD_RESTORE_PARAMETER" --type String --overwrite --value "$NO_RESTORE" > /dev/null \
    || log "could not set $ETCD_RESTORE_PARAMETER back to $NO_RESTORE; do it by hand, or the next first control-plane node restores again"
}

run_init() {
  local i
  if api_serving; then
    log 'the API server already serves: an earlier run got through kubeadm init'
    finish_init
    return
  fi
  for ((i = 1; i <= INIT_ATTEMPTS; i++)); do
    ensure_control_plane_secrets
    restore_if_requested || return 1
    log "kubeadm init ($i of $INIT_ATTEMPTS)"
    # kubeadm's own token stays on the node; nodes join with the rotated one.
    kubeadm init --config "$KUBEADM_CONFIG" --skip-token-print "\${INIT_FLAGS[@]}" && return 0
    if api_serving; then
      finish_init
      return
    fi
    reset_node
    sleep 30
  done
  return 1
}

token_published() { [[ "$1" =~ ^[a-z0-9]{6}\\.[a-z0-9]{16}$ ]]; }

# The current join token, once a control-plane node has published one. Waiting for it is normal
# while the first control-plane node comes up, so it is not a failure.
wait_for_token() {
  local token
  wait_for_program aws || return 1
  while true; do
    token=$(ssm_get "$JOIN_TOKEN_PARAMETER" --with-decryption) || return 1
    if token_published "$token"; then
      printf '%s' "$token"
      return 0
    fi
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
      log 'no join token was published in time'
      return 1
    fi
    log 'no join token published yet; the first control-plane node publishes one once kubeadm init is done'
    sleep 15
  done
}

# The join configuration with the token in place of its placeholder, readable by root only. Bash
# does the replacement, so the token is never in a command line.
write_join_config() {
  local template
  template=$(< "$KUBEADM_CONFIG.template")
  (umask 077 && printf '%s\\n' "\${template//$TOKEN_PLACEHOLDER/$1}" > "$KUBEADM_CONFIG")
}

# Whether the API answers over TLS with the pinned CA, whatever its status code: then a failed join
# was refused by the cluster rather than lost on the way.
api_reachable() {
  curl -sS -o /dev/null --max-time 10 --cacert "$CA_FILE" "https://$API_ENDPOINT/version" 2> /dev/null
}

join_refused() {
  api_reachable && grep -qiE 'unauthorized|forbidden|token id .* (is invalid|not found)|invalid bootstrap token' "$1"
}

mark_unhealthy() {
  local instance
  instance=$(imds meta-data/instance-id)
  log "the API server refused $REFUSALS_BEFORE_UNHEALTHY joins with fresh tokens; telling $AUTO_SCALING_GROUP to replace instance $instance"
  retry 5 10 aws autoscaling set-instance-health --region "$REGION" --instance-id "$instance" --health-status Unhealthy --no-should-respect-grace-period
}

run_join() {
  local i=0 refused=0 token attempt_log
  DEADLINE=$((SECONDS + JOIN_TIMEOUT_SECONDS))
  attempt_log=$(mktemp)
  while true; do
    i=$((i + 1))
    token=$(wait_for_token) || return 1
    write_join_config "$token"
    if [ "$ACTION" = join-control-plane ]; then
      ensure_control_plane_secrets
    fi
    log "kubeadm join ($i) with token $\{token%%.*}"
    if kubeadm join --config "$KUBEADM_CONFIG" 2>&1 | tee "$attempt_log"; then
      rm -f "$KUBEADM_CONFIG" "$attempt_log"
      return 0
    fi
    rm -f "$KUBEADM_CONFIG"
    if join_refused "$attempt_log"; then
      refused=$((refused + 1))
      log "the API server refused the join ($refused of $REFUSALS_BEFORE_UNHEALTHY in a row)"
      if [ "$refused" -ge "$REFUSALS_BEFORE_UNHEALTHY" ] && [ -n "$AUTO_SCALING_GROUP" ]; then
        mark_unhealthy
        return 1
      fi
    else
      refused=0
    fi
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
      log "not joined within $JOIN_TIMEOUT_SECONDS s in this run; systemd starts the next one"
      return 1
    fi
    # Usually the control plane is not up yet. The random part spreads nodes that booted together.
    reset_node
    sleep $((20 + RANDOM % 20))
  done
}

# The kubelet's provider ID, aws:///<zone>/<instance-id>, from instance metadata, put in place of its
# placeholder in the kubeadm configuration this node runs (init) or its template (joins).
set_provider_id() {
  local zone instance provider_id file text
  zone=$(retry 10 3 imds meta-data/placement/availability-zone) || fail 'could not read the availability zone from instance metadata'
  instance=$(retry 10 3 imds meta-data/instance-id) || fail 'could not read the instance id from instance metadata'
  [[ "$zone" =~ ^[a-z0-9-]+$ && "$instance" =~ ^i-[0-9a-f]+$ ]] || fail "instance metadata gave an unexpected zone ($zone) or instance id ($instance)"
  provider_id="aws:///$zone/$instance"
  for file in "$KUBEADM_CONFIG" "$KUBEADM_CONFIG.template"; do
    [ -f "$file" ] || continue
    text=$(< "$file")
    (umask 077 && printf '%s\\n' "\${text//$PROVIDER_ID_PLACEHOLDER/$provider_id}" > "$file.new")
    mv "$file.new" "$file"
  done
  log "provider ID $provider_id"
}

publish_issuer_keys() {
  wait_for_program "$ISSUER_KEYS_PROGRAM"
  "$ISSUER_KEYS_PROGRAM"
}

${SHARED_FUNCTIONS.nodeName}

# A worker has only the kubelet's own credentials (kubelet.conf); the Node authorizer lets a node
# read Node objects, so it can see its own Ready condition.
node_ready_status() {
  kubectl --kubeconfig "$KUBELET_CONF" --request-timeout=10s get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2> /dev/null
}

wait_for_node_ready() {
  local name i status
  name=$(node_name)
  for ((i = 1; i <= NODE_READY_ATTEMPTS; i++)); do
    status=$(node_ready_status "$name") || status='unknown (the API did not answer)'
    if [ "$status" = True ]; then
      log "node $name is Ready"
      return 0
    fi
    # One line a minute: the network plugin usually arrives a few minutes after the join.
    if [ $((i % 6)) = 1 ]; then
      log "waiting for node $name to be Ready (now: $\{status:-no Ready condition yet}); the network plugin makes it Ready"
    fi
    sleep 10
  done
  log "ERROR: node $name was not Ready after $NODE_READY_ATTEMPTS checks 10 s apart; check the network plugin's pods on it (kubectl get pods -A -o wide --field-selector spec.nodeName=$name) and kubelet's log (journalctl -u kubelet)"
  return 1
}

# Ends the launch hook that holds this instance in Pending:Wait, so the group counts it in service.
complete_launch_hook() {
  local instance errors i
  instance=$(imds meta-data/instance-id) || return 1
  errors=$(mktemp)
  for i in 1 2 3 4 5; do
    if aws autoscaling complete-lifecycle-action --region "$REGION" --lifecycle-hook-name "$LAUNCH_HOOK" --auto-scaling-group-name "$AUTO_SCALING_GROUP" --lifecycle-action-result CONTINUE --instance-id "$instance" 2> "$errors"; then
      rm -f "$errors"
      log "told $AUTO_SCALING_GROUP that instance $instance is a Ready node"
      return 0
    fi
    # An instance that launched before the group had the hook, or whose hook already timed out, has nothing to complete.
    if grep -q 'No active Lifecycle Action' "$errors"; then
      rm -f "$errors"
      log "no launch lifecycle action is pending for instance $instance in $AUTO_SCALING_GROUP; nothing to complete"
      return 0
    fi
    log "completing the launch lifecycle action failed (attempt $i of 5): $(tail -n 1 "$errors")"
    [ "$i" -lt 5 ] && sleep 10
  done
  rm -f "$errors"
  log "ERROR: could not complete the launch lifecycle action $LAUNCH_HOOK of $AUTO_SCALING_GROUP; check that this node's role may call autoscaling:CompleteLifecycleAction on its group"
  return 1
}

publish_join_token() {
  wait_for_program "$JOIN_TOKEN_PROGRAM"
  "$JOIN_TOKEN_PROGRAM" rotate
}

main() {
  if [ -f "$MARKERS/complete" ]; then
    log 'bootstrap complete; nothing to do'
    return 0
  fi
  log "kubeadm $ACTION, Kubernetes $KUBERNETES_VERSION"
  phase host prepare_host
  phase packages install_packages
  phase containerd configure_containerd
  phase provider-id set_provider_id
  phase kubeadm "run_$\{ACTION//-/_}"
  if [ "$ACTION" = init ]; then
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
    ['JOIN_TOKEN_PROGRAM', props.joinTokenProgram ?? ''],
    ['ETCD_RESTORE_PARAMETER', props.etcdRestore?.parameterName ?? ''],
    ['ETCD_RESTORE_PROGRAM', props.etcdRestore?.program ?? ''],
    ['NO_RESTORE', 'none'],
    ['ISSUER_KEYS_PROGRAM', props.issuerKeysProgram ?? ''],
    ['AUTO_SCALING_GROUP', props.autoScalingGroupName ?? ''],
    ['LAUNCH_HOOK', props.action === BootstrapAction.JOIN && props.autoScalingGroupName ? (props.launchLifecycleHook ?? '') : ''],
    ['KUBELET_CONF', `${env.root ?? ''}/etc/kubernetes/kubelet.conf`],
    ['NODE_READY_ATTEMPTS', Math.max(1, Math.round((props.nodeReadyTimeoutMinutes ?? DEFAULT_NODE_READY_TIMEOUT_MINUTES) * 6))],
    ['API_ENDPOINT', props.apiEndpoint],
    ['PKI_FILES', CONTROL_PLANE_PKI_FILES.join(' ')],
    ['ENCRYPTION_CONFIG', ENCRYPTION_CONFIG_PATH],
    ['CA_FILE', `${env.root ?? ''}${WORKER_CA_PATH}`],
    ['KUBEADM_CONFIG', `${env.root ?? ''}${KUBEADM_CONFIG_PATH}`],
    ['TOKEN_PLACEHOLDER', JOIN_TOKEN_CONFIG_PLACEHOLDER],
    ['PROVIDER_ID_PLACEHOLDER', PROVIDER_ID_CONFIG_PLACEHOLDER],
    ['CONTAINERD_CONFIG_SOURCE', CONTAINERD_CONFIG_SOURCE],
    ['CHANNEL_WAIT_SECONDS', CHANNEL_WAIT_MINUTES * 60],
    ['CHANNEL_ASSOCIATION', props.channelAssociation],
    ['JOIN_TIMEOUT_SECONDS', Math.round((props.joinTimeoutMinutes ?? DEFAULT_JOIN_TIMEOUT_MINUTES) * 60)],
    ['INIT_ATTEMPTS', INIT_ATTEMPTS],
    ['REFUSALS_BEFORE_UNHEALTHY', REFUSALS_BEFORE_UNHEALTHY],
    ['FETCH_ATTEMPTS', 10],
    ['FETCH_DELAY_SECONDS', 15],
    ['LOG_FILE', `${env.root ?? ''}${BOOTSTRAP_LOG_PATH}`],
    ['CRI_SOCKET', CONTAINERD_CRI_SOCKET],
  ];
  return renderNodeProgram({ name: 'kubeadm-bootstrap', description: 'Bootstraps this node into the Kubernetes cluster', settings, body: BODY }, { imdsUrl: env.imdsUrl });
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
