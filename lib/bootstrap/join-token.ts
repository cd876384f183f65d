import { ProblemList } from '../plan/problems';
import { checkJoinTokenProgramProps, type JoinTokenProgramProps, resolveJoinTokenProps, ROTATION_INTERVAL_HOURS } from './join-token-props';
import { NODE_BOOTSTRAP_GROUP } from './kubeadm-config';
import { LEASE_LOCK_FUNCTIONS, LEASE_TEMPLATE, TAB_FIELDS_FUNCTION } from './lease-lock';
import { renderNodeProgram } from './node-program';
import { oneshotService, RestartBound, timer, UnitFile } from './systemd';

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
/**
 * Reported (value 1, unit Count, dimension ClusterName) by every run that has made sure the
 * parameter holds a current token, whether it published a new one or found it there: a run renews
 * only every few hours, but checks hourly, and each check is what the alarm waits for.
 */
export const JOIN_TOKEN_METRIC = 'JoinTokenPublished';
/**
 * How one run waits for the API server once kubeadm has finished on its node: `attempts` checks of
 * /readyz, each given `requestTimeoutSeconds`, `delaySeconds` apart. At most 5 × 10 + 4 × 15 = 110 s,
 * which outlasts an API server restarted by an upgrade or a certificate renewal, and leaves most of
 * the service's 5-minute timeout to the rest of the run.
 */
export const JOIN_TOKEN_API_WAIT = { attempts: 5, delaySeconds: 15, requestTimeoutSeconds: 10 } as const;
/**
 * A failed run (the API or SSM did not answer) is restarted twice, 2 minutes apart, before the
 * timer's next hourly run: three runs of at most 5 minutes and two delays take at most 19 minutes,
 * within the 45-minute window, which in turn is shorter than the hour between the timer's runs.
 */
export const JOIN_TOKEN_RESTART: RestartBound = { delay: '2min', restarts: 2, window: '45min' };
/** The bootstrap's markers that say kubeadm init or join has finished on the node. */
const KUBEADM_MARKER = 'kubeadm.done';
const COMPLETE_MARKER = 'complete';
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

# ---- Whether this node should act, and whether the API answers ------------------------------------

# kubeadm_pending: 0, with a log line, while kubeadm has not finished init or join on this node;
# then there is nothing to rotate here, and that is no error. The node's own bootstrap reports a
# kubeadm that fails, and on the first node it runs the first rotation itself once init is done.
# The admin kubeconfig alone does not tell: kubeadm init and join write it early, minutes before the
# API server they start answers (a joining node's, or the first node's while etcd starts), so the
# bootstrap's marker of its kubeadm phase does. A node that a release without phase markers
# bootstrapped has no marker folder at all; there, admin.conf means kubeadm ran long ago.
kubeadm_pending() {
  if [ ! -f "$ADMIN_KUBECONFIG" ]; then
    log "no $ADMIN_KUBECONFIG: this node is not a control plane (yet); nothing to rotate here"
    return 0
  fi
  if [ -d "$BOOTSTRAP_MARKERS" ] && [ ! -f "$BOOTSTRAP_MARKERS/$KUBEADM_MARKER" ] && [ ! -f "$BOOTSTRAP_MARKERS/$COMPLETE_MARKER" ]; then
    log "kubeadm has not finished on this node yet (no $BOOTSTRAP_MARKERS/$KUBEADM_MARKER); nothing to rotate here until it has"
    return 0
  fi
  return 1
}

# wait_for_api DONE: returns once the API server answers /readyz through the admin kubeconfig; DONE
# (rotated, revoked) says in the failure what did not happen. Past
# kubeadm, an API that does not answer is a failure, never a skip: a rotation that stops unnoticed
# leaves no valid token a day later. It tries API_ATTEMPTS times, API_RETRY_SECONDS apart, which
# outlasts an API server restarted by an upgrade or a certificate renewal; then it fails the run.
wait_for_api() {
  local i last
  for ((i = 1; i <= API_ATTEMPTS; i++)); do
    if kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout="\${API_REQUEST_SECONDS}s" get --raw /readyz > /dev/null 2> "$ERRORS"; then
      [ "$i" -eq 1 ] || log "the API server answers (attempt $i of $API_ATTEMPTS)"
      return 0
    fi
    last=$(tail -n 1 "$ERRORS")
    if [ "$i" -lt "$API_ATTEMPTS" ]; then
      log "the API server does not answer /readyz (attempt $i of $API_ATTEMPTS, again in $API_RETRY_SECONDS s): \${last:-no message}"
      sleep "$API_RETRY_SECONDS"
    else
      log "the API server does not answer /readyz (attempt $i of $API_ATTEMPTS): \${last:-no message}"
    fi
  done
  fail "the API server did not answer /readyz through $ADMIN_KUBECONFIG in $API_ATTEMPTS attempts $API_RETRY_SECONDS s apart; nothing $1. Check the kube-apiserver pods of the control plane (crictl ps --name kube-apiserver; journalctl -u kubelet), the API endpoint's load balancer and its healthy targets, and the client certificate in $ADMIN_KUBECONFIG (kubeadm certs check-expiration)"
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

# report_published: tells CloudWatch that the parameter holds a current token, the metric the
# rotation's alarm watches. Retried, but not fatal: the token is published, so nodes join; a report
# that does not arrive shows as the alarm, and this line says why.
report_published() {
  [ -n "$METRIC_NAMESPACE" ] || return 0
  if retry "$AWS_ATTEMPTS" "$AWS_RETRY_SECONDS" aws cloudwatch put-metric-data --region "$REGION" --namespace "$METRIC_NAMESPACE" --metric-name "$METRIC_NAME" --value 1 --unit Count --dimensions "ClusterName=$CLUSTER_NAME" > /dev/null; then
    log "reported $METRIC_NAME to CloudWatch"
  else
    log "could not report $METRIC_NAME to CloudWatch after $AWS_ATTEMPTS attempts; the token is published, but without reports the alarm on $METRIC_NAME fires: check that this node's role may call cloudwatch:PutMetricData in namespace $METRIC_NAMESPACE, and that the node reaches the CloudWatch endpoint"
  fi
}

# ---- Commands -------------------------------------------------------------------------------------

rotate() {
  local line token expires description id at newest='' newest_at=0 current_time created=0
  if kubeadm_pending; then
    return 0
  fi
  wait_for_api rotated
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
  report_published
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
  [ -f "$ADMIN_KUBECONFIG" ] || fail "revoke runs on a control-plane node: no $ADMIN_KUBECONFIG here"
  wait_for_api revoked
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
 * 0 when done or when there is nothing to do (kubeadm has not finished on this node, another node
 * holds the lock), 1 on failure, including an API server that does not answer after kubeadm has
 * finished. With `metric`, each successful rotation reports `JOIN_TOKEN_METRIC`.
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
        ['BOOTSTRAP_MARKERS', paths.bootstrapMarkers],
        ['KUBEADM_MARKER', KUBEADM_MARKER],
        ['COMPLETE_MARKER', COMPLETE_MARKER],
        ['API_ATTEMPTS', JOIN_TOKEN_API_WAIT.attempts],
        ['API_RETRY_SECONDS', JOIN_TOKEN_API_WAIT.delaySeconds],
        ['API_REQUEST_SECONDS', JOIN_TOKEN_API_WAIT.requestTimeoutSeconds],
        // Empty without a metric: the program then reports nothing.
        ['METRIC_NAMESPACE', props.metric?.namespace ?? ''],
        ['METRIC_NAME', JOIN_TOKEN_METRIC],
        ['CLUSTER_NAME', props.metric?.clusterName ?? ''],
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
      // run is restarted a bounded number of times, and the timer runs it again hourly whatever
      // the last run's result (a failed unit does not stop its timer); the published token stays
      // valid for hours meanwhile, and the alarm on JOIN_TOKEN_METRIC tells when it would not.
      timeout: '5min',
      restartOnFailure: JOIN_TOKEN_RESTART,
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
