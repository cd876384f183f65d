/**
 * Phases that prepare the host: kernel settings, the pinned packages in one apt transaction,
 * containerd's configuration, and the kubelet's provider ID from instance metadata.
 */
export const HOST_PHASES = `
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

configure_containerd() {
  log 'containerd: configuration written whole, CRI on, systemd cgroup driver'
  install -D -m 0644 "$ROOT$CONTAINERD_CONFIG_SOURCE" "$ROOT/etc/containerd/config.toml"
  systemctl restart containerd
  systemctl enable containerd kubelet
}

# The kubelet's provider ID, aws:///<zone>/<instance-id>, from instance metadata, put in place of its
# placeholder in the kubeadm configuration this node runs (init) or its template (joins).
provider_id() {
  local zone instance
  zone=$(retry "$IMDS_ATTEMPTS" 2 imds meta-data/placement/availability-zone) || fail 'could not read the availability zone from instance metadata'
  instance=$(retry "$IMDS_ATTEMPTS" 2 imds meta-data/instance-id) || fail 'could not read the instance id from instance metadata'
  [[ "$zone" =~ ^[a-z0-9-]+$ && "$instance" =~ ^i-[0-9a-f]+$ ]] || fail "instance metadata gave an unexpected zone ($zone) or instance id ($instance)"
  printf 'aws:///%s/%s' "$zone" "$instance"
}

set_provider_id() {
  local id file text
  id=$(provider_id) || return 1
  for file in "$KUBEADM_CONFIG" "$KUBEADM_CONFIG.template"; do
    [ -f "$file" ] || continue
    text=$(< "$file")
    (umask 077 && printf '%s\\n' "\${text//$PROVIDER_ID_PLACEHOLDER/$id}" > "$file.new")
    mv "$file.new" "$file"
  done
  log "provider ID $id"
}
`;
