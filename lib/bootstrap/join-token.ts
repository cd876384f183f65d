import { ProblemList } from '../plan/problems';
import { checkJoinTokenProgramProps, type JoinTokenProgramProps, resolveJoinTokenProps, ROTATION_INTERVAL_HOURS } from './join-token-props';
import { NODE_BOOTSTRAP_GROUP } from './kubeadm-config';
import { LEASE_LOCK_FUNCTIONS, LEASE_TEMPLATE, TAB_FIELDS_FUNCTION } from './lease-lock';
import { renderNodeProgram } from './node-program';
import { oneshotService, timer, UnitFile } from './systemd';

/**
 * Join-token rotation. Join tokens live on the cluster (kubeadm bootstrap tokens) and in one SSM
 * SecureString parameter, never in Terraform state or user-data. Every control-plane node runs the
 * program below hourly; a Lease on the cluster lets one node act at a time. It keeps a short-lived
 * token current, publishes the newest one to the parameter, and lets older tokens expire on their
 * own, so a node that read the previous token a moment ago still joins.
 */

/** Where the program is installed on control-plane nodes. */
export const JOIN_TOKEN_PROGRAM_PATH = '/usr/local/sbin/kubeadm-join-token';
/** The description of the tokens the program creates; only tokens with it are rotated. */
export const JOIN_TOKEN_DESCRIPTION = 'Joins nodes; rotated by cdktf-kubeadm-cluster';
/** The never-expiring token (`ttl: 0s`) an earlier release put in the init configuration. */
export const LEGACY_JOIN_TOKEN_DESCRIPTION = 'Joins the nodes of this cluster (made by cdktf-kubeadm-cluster)';
/**
 * What the parameter holds while no token is published: Terraform creates the parameter with it,
 * and `revoke` puts it back. Not a token (no dot), so a joining node can tell it apart.
 */
export const JOIN_TOKEN_PLACEHOLDER = 'none';
/** The Lease (in kube-system) that lets one control-plane node act at a time. */
export const JOIN_TOKEN_LEASE_NAME = 'kubeadm-join-token';
export const JOIN_TOKEN_SERVICE = 'kubeadm-join-token.service';
export const JOIN_TOKEN_TIMER = 'kubeadm-join-token.timer';
export { NODE_BOOTSTRAP_GROUP };
export {
  checkJoinTokenProgramProps,
  DEFAULT_JOIN_TOKEN_PATHS,
  DEFAULT_JOIN_TOKEN_TTL_HOURS,
  MAX_JOIN_TOKEN_TTL_HOURS,
  MIN_RENEW_BEFORE_HOURS,
  ROTATION_INTERVAL_HOURS,
} from './join-token-props';
export type { JoinTokenPaths, JoinTokenProgramProps } from './join-token-props';

// One line per token, as kubeadm prints its output API object (output.kubeadm.k8s.io BootstrapToken)
// through kubectl's JSONPath printer: the token as id.secret, `expires` as RFC 3339 in UTC (absent,
// so empty, for a token that never expires), the groups separated by spaces, the description.
// The description comes last because it is free text.
const TOKEN_LIST_TEMPLATE = '{.token}{"\\t"}{.expires}{"\\t"}{.groups[*]}{"\\t"}{.description}{"\\n"}';

// Every token value stays inside the program: in variables, and in a 0600 file for put-parameter.
// Logs name a token by its id, the part before the dot, which is public (it is the Secret's name).
const BODY = `
TEMP_FILE=''
# kubectl's messages while taking the lock, apart from its output: a warning must not end up in
# the resourceVersion.
ERRORS=''
HOLDER=''
LEASE_VERSION=''
LOCK_HOLDER=''
TOKEN_LINES=()
FIELDS=()

now() { date -u +%s; }
epoch() { date -u -d "$1" +%s; }
kube() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=20s "$@"; }
token_id() { printf '%s' "\${1%%.*}"; }

${TAB_FIELDS_FUNCTION}

api_serving() {
  if [ ! -f "$ADMIN_KUBECONFIG" ]; then
    log "no $ADMIN_KUBECONFIG: this node is not a running control plane yet"
    return 1
  fi
  if ! kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=10s get --raw /readyz > /dev/null 2>&1; then
    log 'the API server does not answer: this node is not a running control plane yet'
    return 1
  fi
}

${LEASE_LOCK_FUNCTIONS}

cleanup() {
  local status=$?
  release_lock || true
  rm -f "$TEMP_FILE" "$ERRORS"
  [ "$status" -eq 0 ] || status=1
  exit "$status"
}

# ---- Tokens and the parameter ----------------------------------------------------------------------

load_tokens() {
  local out line
  out=$(kubeadm token list --kubeconfig "$ADMIN_KUBECONFIG" -o "jsonpath=$TOKEN_LIST_TEMPLATE") || fail 'could not list the bootstrap tokens'
  TOKEN_LINES=()
  while IFS= read -r line; do
    [ -z "$line" ] || TOKEN_LINES+=("$line")
  done <<< "$out"
}

delete_token() {
  if kubeadm token delete --kubeconfig "$ADMIN_KUBECONFIG" "$1" > /dev/null; then
    log "deleted token $1 ($2)"
  else
    # The token cleaner of kube-controller-manager may have removed it a moment ago.
    log "could not delete token $1 ($2)"
    return 1
  fi
}

aws_ssm() { aws ssm "$@" --region "$REGION"; }

# publish VALUE WHAT: makes the parameter hold VALUE; WHAT names it in the log.
publish() {
  local current
  if ! current=$(retry "$AWS_ATTEMPTS" "$AWS_RETRY_SECONDS" aws_ssm get-parameter --name "$PARAMETER_NAME" --with-decryption --query Parameter.Value --output text); then
    fail "could not read parameter $PARAMETER_NAME after $AWS_ATTEMPTS attempts; the next run tries again"
  fi
  if [ "$current" = "$1" ]; then
    log "parameter $PARAMETER_NAME already holds $2"
    return 0
  fi
  TEMP_FILE=$(mktemp)
  printf '%s' "$1" > "$TEMP_FILE"
  if ! retry "$AWS_ATTEMPTS" "$AWS_RETRY_SECONDS" aws_ssm put-parameter --name "$PARAMETER_NAME" --type SecureString --key-id "$KMS_KEY_ID" --overwrite --value "file://$TEMP_FILE" > /dev/null; then
    fail "could not publish $2 to parameter $PARAMETER_NAME after $AWS_ATTEMPTS attempts; the next run tries again"
  fi
  rm -f "$TEMP_FILE"
  TEMP_FILE=''
  log "published $2 to parameter $PARAMETER_NAME"
}

# ---- Commands -------------------------------------------------------------------------------------

rotate() {
  local line token expires description id at newest='' newest_at=0 current_time created=0
  api_serving || return 0
  if ! take_lock; then
    log "the lock is held by $LOCK_HOLDER; it rotates, nothing to do here"
    return 0
  fi
  log 'listing bootstrap tokens'
  load_tokens
  current_time=$(now)
  for line in "\${TOKEN_LINES[@]}"; do
    split_tabs "$line"
    token=\${FIELDS[0]}
    expires=\${FIELDS[1]:-}
    description=\${FIELDS[3]:-}
    if [ "$description" != "$TOKEN_DESCRIPTION" ] || [ -z "$expires" ]; then
      continue
    fi
    id=$(token_id "$token")
    at=$(epoch "$expires")
    if [ "$at" -le "$current_time" ]; then
      delete_token "$id" "expired at $expires" || true
    elif [ "$at" -gt "$newest_at" ]; then
      newest_at=$at
      newest=$id
    fi
  done
  if [ -z "$newest" ]; then
    log 'no valid rotated token'
    created=1
  elif [ $(( newest_at - current_time )) -lt "$RENEW_BEFORE_SECONDS" ]; then
    log "token $newest expires at $(date -u -d "@$newest_at" +%FT%TZ), within $RENEW_BEFORE_SECONDS s"
    created=1
  else
    log "token $newest is current until $(date -u -d "@$newest_at" +%FT%TZ)"
  fi
  if [ "$created" -eq 1 ]; then
    log "creating a token valid for $TTL_HOURS h"
    kubeadm token create --ttl "\${TTL_HOURS}h" --description "$TOKEN_DESCRIPTION" --groups "$NODE_GROUP" --usages signing,authentication --kubeconfig "$ADMIN_KUBECONFIG" > /dev/null \\
      || fail 'kubeadm token create failed'
    load_tokens
  fi
  # The newest valid token of ours, read back from the cluster: what the parameter must hold.
  newest=''
  newest_at=0
  for line in "\${TOKEN_LINES[@]}"; do
    split_tabs "$line"
    if [ "\${FIELDS[3]:-}" != "$TOKEN_DESCRIPTION" ] || [ -z "\${FIELDS[1]:-}" ]; then
      continue
    fi
    at=$(epoch "\${FIELDS[1]}")
    if [ "$at" -gt "$current_time" ] && [ "$at" -gt "$newest_at" ]; then
      newest_at=$at
      newest=\${FIELDS[0]}
    fi
  done
  [ -n "$newest" ] || fail 'no valid rotated token on the cluster after creating one'
  [ "$created" -eq 0 ] || log "created token $(token_id "$newest"), valid until $(date -u -d "@$newest_at" +%FT%TZ)"
  publish "$newest" "token $(token_id "$newest")"
  # The never-expiring token of earlier releases goes only now that nodes read a current one.
  for line in "\${TOKEN_LINES[@]}"; do
    split_tabs "$line"
    [ "\${FIELDS[3]:-}" = "$LEGACY_DESCRIPTION" ] || continue
    delete_token "$(token_id "\${FIELDS[0]}")" 'the never-expiring token of an earlier release' || true
  done
  log 'rotation done'
}

revoke() {
  local line count=0 failed=0 i
  api_serving || fail 'revoke runs on a control-plane node with a running API server'
  # Rotations are short; wait for one that holds the lock rather than skip a revoke.
  for ((i = 1; i <= REVOKE_LOCK_ATTEMPTS; i++)); do
    take_lock && break
    [ "$i" -lt "$REVOKE_LOCK_ATTEMPTS" ] || fail "the lock is held by $LOCK_HOLDER; nothing revoked, run revoke again"
    log "the lock is held by $LOCK_HOLDER; waiting ($i of $REVOKE_LOCK_ATTEMPTS)"
    sleep 10
  done
  log "revoking every bootstrap token in group $NODE_GROUP"
  load_tokens
  for line in "\${TOKEN_LINES[@]}"; do
    split_tabs "$line"
    [[ " \${FIELDS[2]:-} " == *" $NODE_GROUP "* ]] || continue
    count=$((count + 1))
    delete_token "$(token_id "\${FIELDS[0]}")" 'revoked' || failed=$((failed + 1))
  done
  publish "$PLACEHOLDER" "the placeholder '$PLACEHOLDER'"
  [ "$failed" -eq 0 ] || fail "$failed of $count tokens could not be deleted; run revoke again"
  log "revoked $count tokens; nodes cannot join until the next rotation publishes a new token"
}

main() {
  local command=\${1:-rotate}
  case $command in
    rotate|revoke) ;;
    *) fail "unknown command '$command'; use rotate or revoke" ;;
  esac
  umask 077
  exec 9> "$LOCK_FILE"
  flock -w "$LOCAL_LOCK_SECONDS" 9 || fail "another run on this node holds $LOCK_FILE"
  HOLDER=$(hostname)
  trap cleanup EXIT
  ERRORS=$(mktemp)
  log "$command as $HOLDER"
  "$command"
}

main "$@"
`;

/**
 * How long one run holds the Lease. A run takes seconds; the service's timeout stops a stuck one
 * within this time. Should a run outlive it anyway, an overlapping run does no harm: every step is
 * idempotent, and the next run republishes the newest token.
 */
const LEASE_SECONDS = 300;

/**
 * The join-token program: `rotate` (the default) keeps a current token on the cluster and in the
 * parameter; `revoke` deletes every node bootstrap token and publishes the placeholder. Exit status
 * 0 when done or when there is nothing to do (not a control plane yet, another node holds the
 * lock), 1 on failure.
 */
export function joinTokenProgram(props: JoinTokenProgramProps): string {
  const problems = new ProblemList();
  checkJoinTokenProgramProps(problems, props);
  problems.throwIfAny();
  const { ttlHours, renewBeforeHours, paths } = resolveJoinTokenProps(props);
  return renderNodeProgram(
    {
      name: 'kubeadm-join-token',
      description: 'Rotates the kubeadm join token and publishes it to SSM Parameter Store',
      settings: [
        ['REGION', props.region],
        ['PARAMETER_NAME', props.parameterName],
        ['KMS_KEY_ID', props.kmsKeyId],
        ['TTL_HOURS', ttlHours],
        ['RENEW_BEFORE_SECONDS', Math.round(renewBeforeHours * 3600)],
        ['ADMIN_KUBECONFIG', paths.kubeconfig],
        ['LOCK_FILE', paths.lockFile],
        ['TOKEN_DESCRIPTION', JOIN_TOKEN_DESCRIPTION],
        ['LEGACY_DESCRIPTION', LEGACY_JOIN_TOKEN_DESCRIPTION],
        ['NODE_GROUP', NODE_BOOTSTRAP_GROUP],
        ['PLACEHOLDER', JOIN_TOKEN_PLACEHOLDER],
        ['LEASE_NAME', JOIN_TOKEN_LEASE_NAME],
        ['LEASE_SECONDS', LEASE_SECONDS],
        ['LEASE_TEMPLATE', LEASE_TEMPLATE],
        ['TOKEN_LIST_TEMPLATE', TOKEN_LIST_TEMPLATE],
        // Each aws call retries internally too; these attempts outlast a short SSM outage.
        ['AWS_ATTEMPTS', 3],
        ['AWS_RETRY_SECONDS', 10],
        ['REVOKE_LOCK_ATTEMPTS', 6],
        ['LOCAL_LOCK_SECONDS', 600],
      ],
      body: BODY,
    },
    props.imdsUrl === undefined ? {} : { imdsUrl: props.imdsUrl },
  );
}

/** The service that runs one rotation, and the timer that runs it hourly on each control-plane node. */
export function joinTokenUnits(): UnitFile[] {
  return [
    oneshotService({
      name: JOIN_TOKEN_SERVICE,
      description: 'Rotate the kubeadm join token and publish it to SSM Parameter Store',
      execStart: `${JOIN_TOKEN_PROGRAM_PATH} rotate`,
      // No longer than the Lease, so a stuck run never overlaps the next node's. A failed or stopped
      // run is retried by the next timer run; the published token stays valid meanwhile.
      timeout: '5min',
    }),
    timer({
      name: JOIN_TOKEN_TIMER,
      description: 'Rotate the kubeadm join token hourly',
      onBoot: '2min',
      every: `${ROTATION_INTERVAL_HOURS}h`,
      // Spreads the control-plane nodes; the lock makes whichever comes first the one that acts.
      randomDelay: '5min',
    }),
  ];
}
