/**
 * Reading the cluster's secrets from Parameter Store into root-only files, with bounded retries.
 */
export const SECRETS_PHASE = `
# ssm_get NAME [--with-decryption]: the parameter's value on stdout, with bounded retries; fails with
# a line that says what to check.
ssm_get() {
  local name=$1 i errors
  shift
  errors=$(mktemp)
  for ((i = 1; i <= FETCH_ATTEMPTS; i++)); do
    if timeout "$AWS_CALL_TIMEOUT_SECONDS" aws ssm get-parameter --region "$REGION" --name "$name" "$@" --query Parameter.Value --output text 2> "$errors"; then
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
`;
