/**
 * How the bootstrap gets its tools without waiting for the SSM channel: the node AWS command
 * arrives in user-data, and the programs the channel installs on control-plane nodes (join-token
 * rotation, issuer keys, etcd restore) are read from the channel's own documents and run here, with
 * bounded retries. State Manager runs the same documents on running nodes, on a schedule, and finds
 * the files already in place.
 */
export const CHANNEL_PROGRAMS = `
# The node AWS command came with user-data; it serves as aws unless the image has an AWS CLI.
link_aws_command() {
  if command -v aws > /dev/null; then
    log "aws: $(command -v aws)"
    return 0
  fi
  [ -x "$ROOT$NODE_AWS_COMMAND" ] || fail "the node AWS command $NODE_AWS_COMMAND is missing; user-data writes it: check cloud-init's log (/var/log/cloud-init-output.log) and the instance's user-data"
  install -d -m 0755 "$(dirname "$AWS_LINK")"
  ln -sfn "$ROOT$NODE_AWS_COMMAND" "$AWS_LINK"
  hash -r
  command -v aws > /dev/null || fail "aws is not on PATH after linking $AWS_LINK"
  log "aws: the node AWS command ($NODE_AWS_COMMAND)"
}

# channel_install DOCUMENT PROGRAM: unless PROGRAM is here already, reads the latest version of the
# channel's DOCUMENT and runs its commands as the SSM agent does (one sh script, its lines in this
# log), retrying the whole installation a bounded number of times.
channel_install() {
  local document=$1 program=$2 i content script errors
  if command -v "$program" > /dev/null; then
    return 0
  fi
  content=$(mktemp)
  script=$(mktemp)
  errors=$(mktemp)
  for ((i = 1; i <= FETCH_ATTEMPTS; i++)); do
    # shellcheck disable=SC2016
    if timeout "$AWS_CALL_TIMEOUT_SECONDS" aws ssm get-document --region "$REGION" --name "$document" --document-version '$LATEST' --query Content --output text > "$content" 2> "$errors" \\
      && python3 -c "$DOCUMENT_COMMANDS" < "$content" > "$script" 2>> "$errors" \\
      && { sh "$script" 2>&1 | tee -a "$errors" >&2; } && command -v "$program" > /dev/null; then
      rm -f "$content" "$script" "$errors"
      log "installed $program from the SSM document $document"
      return 0
    fi
    log "installing $program from the SSM document $document failed (attempt $i of $FETCH_ATTEMPTS): $(tail -n 1 "$errors")"
    : > "$errors"
    [ "$i" -lt "$FETCH_ATTEMPTS" ] && sleep "$FETCH_DELAY_SECONDS"
  done
  rm -f "$content" "$script" "$errors"
  log "ERROR: could not install $program from the SSM document $document after $FETCH_ATTEMPTS attempts; check that the document exists (aws ssm get-document --name $document) and that this node's role may read it (ssm:GetDocument)"
  return 1
}
`;
