import { BOOTSTRAP_LOG_PATH, BOOTSTRAP_SCRIPT_PATH, BOOTSTRAP_UNIT, PHASE_MARKER_DIR } from '../bootstrap/bootstrap-program';
import { ContainerdPackageSource, KubernetesVersion } from '../bootstrap/kubernetes-version';
import { containerdConfig, DOCKER_APT_REPOSITORY, packagesFor } from '../bootstrap/node-packages';
import { ProgramSetting, renderNodeProgram, SHARED_FUNCTIONS } from '../bootstrap/node-program';

/** Where the upgrade logs on each control-plane node (also to the SSM command's output). */
export const UPGRADE_LOG_PATH = '/var/log/kubeadm-upgrade.log';

/**
 * The bootstrap program's setting that names the version it installs (`v1.36.4`); the upgrade reads
 * it on a node that has not finished its bootstrap.
 */
export const BOOTSTRAP_VERSION_SETTING = 'KUBERNETES_VERSION';

/** How the program upgrades this node: `apply` on the first control-plane node, `node` on the others. */
export enum UpgradeMode {
  APPLY = 'apply',
  NODE = 'node',
}

export interface UpgradeProgramProps {
  /** The version the cluster moves to. */
  readonly target: KubernetesVersion;
  /** AWS region of the version parameter (may be a Terraform token). */
  readonly region: string;
  /** The parameter the first control-plane node writes the version to once `kubeadm upgrade apply` is done. */
  readonly versionParameter: string;
  /**
   * How long the node waits for itself to be Ready again, in minutes.
   * @default 10
   */
  readonly readyTimeoutMinutes?: number;
}

export interface UpgradeProgramEnvironment {
  /** Prefix of every path the program touches; tests point it at a scratch folder. @default '' */
  readonly root?: string;
}

// Plain bash; the settings above it differ. The mode is the program's first argument.
const BODY = `
umask 022
MODE=$\{1:-}
ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
mkdir -p "$(dirname "$LOG_FILE")"
: >> "$LOG_FILE"
exec > >(tee -a "$LOG_FILE") 2>&1

case "$MODE" in
  apply|node) ;;
  *) fail "usage: $PROGRAM apply|node (apply on the first control-plane node, node on the others)" ;;
esac

${SHARED_FUNCTIONS.aptGet}

${SHARED_FUNCTIONS.nodeName}
k() { kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s "$@"; }
current_version() { kubelet --version | sed -n 's/^Kubernetes v//p'; }
# The version this node's own bootstrap installs: the setting at the top of the bootstrap program
# (every node program starts with its settings, one \`readonly NAME='value'\` a line).
bootstrap_version() { sed -n "s/^readonly $BOOTSTRAP_VERSION_SETTING='v\\(.*\\)'$/\\1/p" "$ROOT$BOOTSTRAP_SCRIPT" 2> /dev/null; }
minor_of() { printf '%s' "$1" | cut -d. -f2; }

# The channel of the target minor: pkgs.k8s.io has one repository per minor.
switch_repository() {
  log "package repository: $APT_REPOSITORY/"
  install -d -m 0755 "$ROOT/etc/apt/keyrings"
  curl -fsSL --retry 5 --retry-connrefused -o "$ROOT/etc/apt/keyrings/kubernetes.asc" "$APT_REPOSITORY/Release.key"
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes.asc] $APT_REPOSITORY/ /" > "$ROOT/etc/apt/sources.list.d/kubernetes.list"
  apt_get update
}

upgrade_kubeadm() {
  log "kubeadm $PACKAGE_VERSION"
  apt-mark unhold kubeadm > /dev/null
  apt_get install "kubeadm=$PACKAGE_VERSION"
  apt-mark hold kubeadm > /dev/null
}

upgrade_control_plane() {
  if [ "$MODE" = apply ]; then
    log "kubeadm upgrade apply $KUBEADM_VERSION"
    kubeadm upgrade apply -y "$KUBEADM_VERSION"
  else
    log 'kubeadm upgrade node'
    kubeadm upgrade node
  fi
}

# Kubernetes 1.36 needs containerd 2.x: Ubuntu's containerd 1.7 makes way for Docker's containerd.io,
# with the configuration containerd 2 reads. The kubelet is stopped meanwhile (the node is drained).
replace_containerd() {
  local codename
  if [ -z "$CONTAINERD_IO" ] || dpkg -s containerd.io > /dev/null 2>&1; then
    return 0
  fi
  log "replacing Ubuntu's containerd with $CONTAINERD_IO"
  codename=$(awk -F= '$1 == "VERSION_CODENAME" { print $2 }' "$ROOT/etc/os-release")
  curl -fsSL --retry 5 --retry-connrefused -o "$ROOT/etc/apt/keyrings/docker.asc" "$DOCKER_REPOSITORY/gpg"
  echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] $DOCKER_REPOSITORY $codename stable" > "$ROOT/etc/apt/sources.list.d/docker.list"
  apt_get update
  systemctl stop kubelet
  apt-mark unhold containerd > /dev/null
  # One transaction: containerd.io in, Ubuntu's containerd and runc (containerd.io ships its own) out.
  apt_get install "$CONTAINERD_IO" containerd- runc-
  apt-mark hold containerd.io > /dev/null
  install -d -m 0755 "$ROOT/etc/containerd"
  printf '%s' "$CONTAINERD_CONFIG" | base64 -d > "$ROOT/etc/containerd/config.toml"
  systemctl restart containerd
}

upgrade_kubelet() {
  log "kubelet and kubectl $PACKAGE_VERSION, $CRI_TOOLS"
  apt-mark unhold kubelet kubectl cri-tools > /dev/null
  apt_get install "kubelet=$PACKAGE_VERSION" "kubectl=$PACKAGE_VERSION" "$CRI_TOOLS"
  apt-mark hold kubelet kubectl cri-tools > /dev/null
  systemctl daemon-reload
  systemctl restart kubelet
}

wait_for_ready() {
  local i status
  for ((i = 1; i <= READY_ATTEMPTS; i++)); do
    status=$(k get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2> /dev/null) || status=''
    if [ "$status" = True ]; then
      log "node $NODE is Ready"
      return 0
    fi
    sleep 10
  done
  fail "node $NODE was not Ready again after $READY_ATTEMPTS checks 10 s apart; see journalctl -u kubelet"
}

record_version() {
  retry 5 10 aws ssm put-parameter --region "$REGION" --name "$VERSION_PARAMETER" --value "$TARGET_VERSION" --type String --overwrite > /dev/null
  log "recorded $TARGET_VERSION in $VERSION_PARAMETER"
}

main() {
  local current booting
  # A node still in its bootstrap is left to it only when that bootstrap installs the target (on a
  # first deploy, the associations run on nodes that are still booting): any other unfinished node
  # stays behind, so the association fails and says so rather than reporting success.
  if [ ! -f "$ROOT$MARKER_DIR/complete" ]; then
    booting=$(bootstrap_version) || booting=''
    current=$(current_version 2> /dev/null) || current=''
    if [ "$booting" = "$TARGET_VERSION" ] && { [ -z "$current" ] || [ "$current" = "$TARGET_VERSION" ]; }; then
      log "this node is still in its bootstrap, which installs $TARGET_VERSION itself; nothing to do"
      return 0
    fi
    fail "this node has not finished its bootstrap (no $MARKER_DIR/complete): its kubelet is at \${current:-no version (not installed)} and its bootstrap installs \${booting:-an unknown version}, so it cannot be upgraded to $TARGET_VERSION. Check why the bootstrap stopped: $BOOTSTRAP_LOG and systemctl status $BOOTSTRAP_UNIT_NAME (journalctl -u $BOOTSTRAP_UNIT_NAME); this association runs again on its schedule once it has finished"
  fi
  current=$(current_version)
  if [ -z "$current" ]; then
    fail 'could not read the kubelet version'
  fi
  if [ "$current" = "$TARGET_VERSION" ]; then
    log "already at $TARGET_VERSION; nothing to do"
    return 0
  fi
  if [ "$(minor_of "$current")" -gt "$TARGET_MINOR" ] || { [ "$(minor_of "$current")" -eq "$TARGET_MINOR" ] && [ "$(printf '%s' "$current" | cut -d. -f3)" -gt "$TARGET_PATCH" ]; }; then
    fail "this node runs $current, newer than $TARGET_VERSION: kubeadm does not downgrade"
  fi
  if [ "$TARGET_MINOR" -gt $(($(minor_of "$current") + 1)) ]; then
    fail "this node runs $current: upgrades go one minor at a time, so move to 1.$(($(minor_of "$current") + 1)) first"
  fi
  NODE=$(node_name)
  log "upgrading node $NODE from $current to $TARGET_VERSION (kubeadm upgrade $MODE)"
  switch_repository
  upgrade_kubeadm
  upgrade_control_plane
  log "draining $NODE"
  k drain "$NODE" --ignore-daemonsets --delete-emptydir-data --timeout=600s
  replace_containerd
  upgrade_kubelet
  k uncordon "$NODE"
  wait_for_ready
  if [ "$MODE" = apply ]; then
    record_version
  fi
  log "node $NODE is at $TARGET_VERSION"
}

main
`;

/**
 * The control-plane upgrade, run on each control-plane node through the SSM channel, one node at a
 * time, the first node first: the target minor's package repository, kubeadm, then
 * `kubeadm upgrade apply` (first node) or `kubeadm upgrade node` (the others), a drain of the node,
 * containerd 2 where the target needs it, kubelet and kubectl, an uncordon and a wait for Ready.
 * The first node records the version in Parameter Store. A node at the version already, or still
 * in a bootstrap that installs it, is left alone; a node whose bootstrap has not finished at another
 * version fails the run with what to check; a downgrade or a skipped minor is refused.
 */
export function upgradeProgram(props: UpgradeProgramProps, env: UpgradeProgramEnvironment = {}): string {
  const target = props.target;
  const packages = packagesFor(target);
  const docker = target.containerdPackageSource === ContainerdPackageSource.DOCKER;
  const root = env.root ?? '';
  const settings: ProgramSetting[] = [
    ['ROOT', root],
    ['TARGET_VERSION', target.version],
    ['TARGET_MINOR', target.minor],
    ['TARGET_PATCH', target.patch],
    ['KUBEADM_VERSION', target.kubeadmVersion],
    ['PACKAGE_VERSION', target.aptPackageVersion],
    ['APT_REPOSITORY', target.aptRepositoryUrl.replace(/\/$/, '')],
    ['CRI_TOOLS', `cri-tools=${packages.criTools}`],
    ['CONTAINERD_IO', docker ? `containerd.io=${packages.containerdIo}` : ''],
    ['DOCKER_REPOSITORY', docker ? DOCKER_APT_REPOSITORY : ''],
    ['CONTAINERD_CONFIG', docker ? Buffer.from(containerdConfig(target)).toString('base64') : ''],
    ['REGION', props.region],
    ['VERSION_PARAMETER', props.versionParameter],
    ['MARKER_DIR', PHASE_MARKER_DIR],
    ['BOOTSTRAP_SCRIPT', BOOTSTRAP_SCRIPT_PATH],
    ['BOOTSTRAP_VERSION_SETTING', BOOTSTRAP_VERSION_SETTING],
    ['BOOTSTRAP_LOG', BOOTSTRAP_LOG_PATH],
    ['BOOTSTRAP_UNIT_NAME', BOOTSTRAP_UNIT],
    ['READY_ATTEMPTS', Math.max(1, Math.round((props.readyTimeoutMinutes ?? 10) * 6))],
    ['LOG_FILE', `${root}${UPGRADE_LOG_PATH}`],
  ];
  return renderNodeProgram({ name: 'kubeadm-upgrade', description: `Upgrades this control-plane node to Kubernetes ${target.version}`, settings, body: BODY });
}
