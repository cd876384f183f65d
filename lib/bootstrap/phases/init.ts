/**
 * The first control-plane node: `kubeadm init` (finished, never reset, once the API serves), a
 * requested etcd restore before it, and what it publishes after it.
 */
export const INIT_PHASE = `
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

# What goes into /var/lib/etcd before each init attempt (kubeadm reset empties it after a failed
# one): a restored snapshot, this node's own data (which no reset may touch), or nothing.
INIT_FLAGS=()
KEEP_DATA=0
prepare_etcd_data() {
  local aside
  INIT_FLAGS=()
  case $START in
    restore)
      channel_install "$ETCD_RESTORE_DOCUMENT" "$ETCD_RESTORE_PROGRAM" || return 1
      fence_peers || return 1
      "$ETCD_RESTORE_PROGRAM" restore "$RESTORE_SNAPSHOT" --replace || return 1
      INIT_FLAGS=(--ignore-preflight-errors=DirAvailable--var-lib-etcd) ;;
    data)
      if [ "$KEEP_DATA" = 2 ]; then
        INIT_FLAGS=(--ignore-preflight-errors=all)
      else
        KEEP_DATA=1
        INIT_FLAGS=(--ignore-preflight-errors=DirAvailable--var-lib-etcd)
      fi ;;
    genesis)
      if own_data; then
        aside="$ETCD_DIR.previous-$(date -u +%Y%m%dT%H%M%SZ)"
        log "new cluster: old etcd data moved to $aside"
        mkdir -p "$aside"
        find "$ETCD_DIR" -mindepth 1 -maxdepth 1 -exec mv -t "$aside" {} +
      fi ;;
  esac
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
  ensure_control_plane_secrets
  decide_start || return 1
  if [ "$START" = join ]; then
    run_join
    return
  fi
  for ((i = 1; i <= INIT_ATTEMPTS; i++)); do
    ensure_control_plane_secrets
    prepare_etcd_data || return 1
    log "kubeadm init ($i of $INIT_ATTEMPTS)"
    # kubeadm's own token stays on the node; nodes join with the rotated one.
    kubeadm init --config "$KUBEADM_CONFIG" --skip-token-print "\${INIT_FLAGS[@]}" && return 0
    if api_serving; then
      finish_init
      return
    fi
    if [ "$KEEP_DATA" != 0 ]; then
      # A reset would empty /var/lib/etcd, which holds the cluster: the next attempt runs over
      # what this one left instead.
      log 'init on the kept etcd data failed; retrying without a reset'
      KEEP_DATA=2
    else
      reset_node
    fi
    sleep 30
  done
  return 1
}

# The programs come from the channel's documents, read here; each publication is retried, and the
# phase fails (systemd runs the bootstrap again) with a line that says what to check.
publish_issuer_keys() {
  channel_install "$ISSUER_KEYS_DOCUMENT" "$ISSUER_KEYS_PROGRAM" || return 1
  retry "$PUBLISH_ATTEMPTS" "$PUBLISH_DELAY_SECONDS" "$ISSUER_KEYS_PROGRAM" \
    || { log "ERROR: could not publish the service-account keys; see the lines of $ISSUER_KEYS_PROGRAM above (S3 access of this node's role to the issuer bucket)"; return 1; }
}

publish_join_token() {
  channel_install "$JOIN_TOKEN_DOCUMENT" "$JOIN_TOKEN_PROGRAM" || return 1
  retry "$PUBLISH_ATTEMPTS" "$PUBLISH_DELAY_SECONDS" "$JOIN_TOKEN_PROGRAM" rotate \
    || { log "ERROR: could not publish a join token; see the lines of $JOIN_TOKEN_PROGRAM above (the API server on this node, and this node's right to write $JOIN_TOKEN_PARAMETER)"; return 1; }
}
`;
