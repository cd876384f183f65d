/**
 * Joining nodes: waiting for a published token, `kubeadm join` until the API answers, and giving the
 * instance back when a reachable API refuses fresh tokens again and again.
 */
export const JOIN_PHASE = `
token_published() { [[ "$1" =~ ^[a-z0-9]{6}\\.[a-z0-9]{16}$ ]]; }

# The current join token, once a control-plane node has published one. Waiting for it is normal
# while the first control-plane node comes up, so it is not a failure.
wait_for_token() {
  local token
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
  (umask 077 && printf '%s\\n' "\${template//$TOKEN_PLACEHOLDER/$1}" > "$JOIN_CONFIG")
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
  if [ "$ACTION" != join ]; then
    ensure_control_plane_secrets
    prepare_control_plane_join
  fi
  while true; do
    i=$((i + 1))
    token=$(wait_for_token) || return 1
    write_join_config "$token"
    if [ "$ACTION" != join ]; then
      ensure_control_plane_secrets
    fi
    log "kubeadm join ($i) with token $\{token%%.*}"
    if kubeadm join --config "$JOIN_CONFIG" 2>&1 | tee "$attempt_log"; then
      rm -f "$JOIN_CONFIG" "$attempt_log"
      return 0
    fi
    rm -f "$JOIN_CONFIG"
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
      # A control-plane join needs a serving API, which needs etcd's quorum: when two of three
      # control-plane nodes went at once, no join can succeed until a snapshot is restored.
      [ "$ACTION" = join ] || log "if the API stays down while other control-plane nodes run, etcd may have lost its quorum (two of three control-plane nodes lost at once): restore a snapshot, see 'Recovering the control plane' in the README"
      return 1
    fi
    # Usually the control plane is not up yet. The random part spreads nodes that booted together.
    reset_node
    sleep $((20 + RANDOM % 20))
  done
}
`;
