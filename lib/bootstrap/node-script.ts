import { BOOTSTRAP_DIR, CONTAINERD_CRI_SOCKET } from './kubeadm-config';
import { KubernetesVersion } from './kubernetes-version';

/** Where the bootstrap script is installed on each node. */
export const BOOTSTRAP_SCRIPT_PATH = '/usr/local/sbin/kubeadm-bootstrap';
/** Where each node logs its bootstrap (also sent to the console through cloud-init). */
export const BOOTSTRAP_LOG_PATH = '/var/log/kubeadm-bootstrap.log';
/** The kubeadm configuration the script passes to `kubeadm init|join --config`. */
export const KUBEADM_CONFIG_PATH = `${BOOTSTRAP_DIR}/kubeadm.yaml`;
/** PKI files staged for control-plane nodes, copied into /etc/kubernetes/pki before each attempt. */
export const STAGED_PKI_DIR = `${BOOTSTRAP_DIR}/pki`;
/**
 * How long a joining node keeps trying by default. Nodes boot together with the control plane, which
 * needs a few minutes to install packages and come up; 40 minutes leaves room for slow mirrors.
 */
export const DEFAULT_JOIN_TIMEOUT_MINUTES = 40;
/** How many times the first control-plane node tries `kubeadm init` (a failed pull, for example). */
export const INIT_ATTEMPTS = 3;

/** Whether the node creates the cluster or joins it. */
export enum BootstrapAction {
  INIT = 'init',
  JOIN = 'join',
}

export interface BootstrapScriptProps {
  readonly action: BootstrapAction;
  readonly kubernetesVersion: KubernetesVersion;
  /**
   * How long a joining node retries before it gives up, in minutes.
   * @default 40
   */
  readonly joinTimeoutMinutes?: number;
}

/** Single-quotes a value for bash; values here are validated literals, so a quote is a bug. */
function shellLiteral(value: string | number): string {
  const text = String(value);
  if (text.includes("'")) {
    throw new Error(`cannot place ${JSON.stringify(text)} in the bootstrap script`);
  }
  return `'${text}'`;
}

// The body is plain bash, identical on every node; only the settings above it differ. It is carried
// base64-encoded in user-data, so it may use any character Terraform would otherwise interpret.
// Its comments explain it here and are left out of the script on the node: user-data is limited to
// 16 KiB and base64 makes every byte of the script count 4/3.
const BODY = `
umask 022
: >> "$LOG_FILE"
chmod 0600 "$LOG_FILE"
# Everything goes to the log file and to stdout, which cloud-init copies to the console and to
# /var/log/cloud-init-output.log.
exec > >(tee -a "$LOG_FILE") 2>&1
log() { echo "$(date -u +%FT%TZ) kubeadm-bootstrap: $*"; }
trap 'log "failed at line $LINENO with status $?"' ERR

apt_get() {
  local i
  # The lock timeout waits out unattended-upgrades, which often runs right after boot.
  for i in 1 2 3 4 5; do
    apt-get -qy -o DPkg::Lock::Timeout=300 "$@" && return 0
    log "apt-get $1 failed ($i of 5)"
    sleep 10
  done
  return 1
}

fetch() { curl -fsSL --retry 5 --retry-connrefused -o "$2" "$1"; }

prepare_host() {
  log 'swap off, kernel modules, sysctls'
  swapoff -a
  sed -i -E '/[[:space:]]swap[[:space:]]/ s/^[^#]/#&/' /etc/fstab
  # The module and sysctl files come from write_files; this applies them without a reboot.
  modprobe overlay
  modprobe br_netfilter
  sysctl --system > /dev/null
}

install_packages() {
  local pkg=containerd
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  log "installing containerd ($CONTAINERD_SOURCE), kubelet, kubeadm, kubectl $PACKAGE_VERSION"
  install -d -m 0755 /etc/apt/keyrings
  apt_get update
  apt_get install ca-certificates curl conntrack socat
  # apt reads ASCII-armoured keys directly when the file name ends in .asc.
  fetch "$APT_REPOSITORY/Release.key" /etc/apt/keyrings/kubernetes.asc
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes.asc] $APT_REPOSITORY/ /" > /etc/apt/sources.list.d/kubernetes.list
  if [ "$CONTAINERD_SOURCE" = docker ]; then
    fetch https://download.docker.com/linux/ubuntu/gpg /etc/apt/keyrings/docker.asc
    echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu $(awk -F= '$1 == "VERSION_CODENAME" { print $2 }' /etc/os-release) stable" > /etc/apt/sources.list.d/docker.list
    pkg=containerd.io
  fi
  apt_get update
  apt_get install "$pkg" "kubelet=$PACKAGE_VERSION" "kubeadm=$PACKAGE_VERSION" "kubectl=$PACKAGE_VERSION"
  # Cluster upgrades go through kubeadm, never through a routine apt upgrade.
  apt-mark hold kubelet kubeadm kubectl > /dev/null
}

configure_containerd() {
  local config=/etc/containerd/config.toml
  log 'containerd: CRI on, systemd cgroup driver'
  install -d -m 0755 /etc/containerd
  # A complete default config: Docker's package ships one with the CRI plugin disabled.
  containerd config default > "$config"
  sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$config"
  grep -q 'SystemdCgroup = true' "$config"
  systemctl restart containerd
  systemctl enable containerd kubelet
}

stage_pki() {
  # kubeadm reset empties /etc/kubernetes/pki, so the shared CAs are copied in before each attempt.
  if [ -d "$STAGED_PKI_DIR" ]; then
    install -d -m 0755 /etc/kubernetes/pki
    cp -a "$STAGED_PKI_DIR/." /etc/kubernetes/pki/
  fi
}

reset_node() {
  kubeadm reset -f --cri-socket "$CRI_SOCKET" || log 'kubeadm reset failed'
}

api_serving() {
  local kubeconfig
  for kubeconfig in /etc/kubernetes/super-admin.conf /etc/kubernetes/admin.conf; do
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

run_init() {
  local i
  for i in $(seq 1 "$INIT_ATTEMPTS"); do
    stage_pki
    log "kubeadm init ($i of $INIT_ATTEMPTS)"
    # The join command kubeadm would print holds the bootstrap token; keep it out of the logs.
    kubeadm init --config "$KUBEADM_CONFIG" --skip-token-print && return 0
    if api_serving; then
      finish_init
      return
    fi
    reset_node
    sleep 30
  done
  return 1
}

run_join() {
  local deadline=$((SECONDS + JOIN_TIMEOUT_SECONDS)) i=0
  while true; do
    i=$((i + 1))
    stage_pki
    log "kubeadm join ($i)"
    kubeadm join --config "$KUBEADM_CONFIG" && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "not joined within $JOIN_TIMEOUT_SECONDS s; giving up"
      return 1
    fi
    # Usually the control plane is not up yet. The random part spreads nodes that booted together.
    reset_node
    sleep $((20 + RANDOM % 20))
  done
}

main() {
  if [ -f /etc/kubernetes/kubelet.conf ]; then
    log 'already joined; nothing to do'
    return 0
  fi
  log "kubeadm $ACTION, Kubernetes $KUBERNETES_VERSION"
  prepare_host
  install_packages
  configure_containerd
  "run_$ACTION"
  # The CA keys are in /etc/kubernetes/pki now; keep no second copy.
  rm -rf "$STAGED_PKI_DIR"
  log "kubeadm $ACTION done"
}

main "$@"
`;

/**
 * The node's bootstrap script: prepares the host (swap off, kernel modules, sysctls), installs
 * containerd and the pinned kubelet/kubeadm/kubectl, then runs `kubeadm init` (a few attempts) or
 * `kubeadm join` (retried with `kubeadm reset -f` in between until the API answers or the timeout
 * passes).
 */
export function bootstrapScript(props: BootstrapScriptProps): string {
  const version = props.kubernetesVersion;
  const timeoutMinutes = props.joinTimeoutMinutes ?? DEFAULT_JOIN_TIMEOUT_MINUTES;
  const settings: Array<[string, string | number]> = [
    ['ACTION', props.action],
    ['KUBERNETES_VERSION', version.kubeadmVersion],
    ['PACKAGE_VERSION', version.aptPackageVersion],
    // Without the trailing slash; the script adds it where apt and the key URL need it.
    ['APT_REPOSITORY', version.aptRepositoryUrl.replace(/\/$/, '')],
    ['CONTAINERD_SOURCE', version.containerdPackageSource],
    ['JOIN_TIMEOUT_SECONDS', Math.round(timeoutMinutes * 60)],
    ['INIT_ATTEMPTS', INIT_ATTEMPTS],
    ['KUBEADM_CONFIG', KUBEADM_CONFIG_PATH],
    ['STAGED_PKI_DIR', STAGED_PKI_DIR],
    ['LOG_FILE', BOOTSTRAP_LOG_PATH],
    ['CRI_SOCKET', CONTAINERD_CRI_SOCKET],
  ];
  const header = [
    '#!/usr/bin/env bash',
    '# Bootstraps this node into the Kubernetes cluster (made by cdktf-kubeadm-cluster).',
    'set -euo pipefail',
    'set -o errtrace',
    '',
    ...settings.map(([name, value]) => `readonly ${name}=${shellLiteral(value)}`),
  ];
  const body = BODY.split('\n')
    .filter((line) => !/^\s*#/.test(line))
    // A tab per level instead of two spaces: bash does not mind, and it saves bytes.
    .map((line) => line.replace(/^((?:  )+)/, (indent) => '\t'.repeat(indent.length / 2)));
  return `${header.join('\n')}\n${body.join('\n')}`;
}
