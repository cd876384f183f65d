import { LEASE_LOCK_FUNCTIONS, LEASE_TEMPLATE, TAB_FIELDS_FUNCTION } from '../bootstrap/lease-lock';
import { renderNodeProgram } from '../bootstrap/node-program';
import { oneshotService, timer, UnitFile } from '../bootstrap/systemd';
import { API_SERVER_PORT } from '../network/ports';
import { ProblemList } from '../plan/problems';
import { METRIC_NAMESPACE } from './etcd-snapshot-program';

/**
 * Renewal of the certificates kubeadm made on each control-plane node (API server, etcd, kubelet
 * client, front proxy client, and the kubeconfig files admin.conf, controller-manager.conf and
 * scheduler.conf). A daily timer on every control-plane node reads `kubeadm certs check-expiration
 * -o json` (kubeadm's output API `output.kubeadm.k8s.io/v1alpha3`, kind CertificateExpirationInfo:
 * `certificates[]` with `name`, `residualTime` in seconds, `externallyManaged`, `missing`), reports
 * the days left to CloudWatch, and below the threshold runs `kubeadm certs renew all` and restarts
 * the control-plane static pods the kubeadm way: each manifest leaves the manifest folder, the
 * kubelet stops the pod, the manifest comes back. A Lease on the cluster lets one node renew and
 * restart at a time, so the control plane never restarts everywhere at once.
 */

export const CERTIFICATE_RENEWAL_PROGRAM_PATH = '/usr/local/sbin/kubeadm-certificate-renewal';
export const CERTIFICATE_RENEWAL_SERVICE = 'kubeadm-certificate-renewal.service';
export const CERTIFICATE_RENEWAL_TIMER = 'kubeadm-certificate-renewal.timer';
export const CERTIFICATE_RENEWAL_LEASE_NAME = 'kubeadm-certificate-renewal';
/** Reported with the fewest whole days any kubeadm certificate on the node has left. */
export const CERTIFICATE_DAYS_METRIC = 'CertificateDaysLeft';
/** kubeadm's static pods, restarted in this order after a renewal. */
export const CONTROL_PLANE_STATIC_PODS: readonly string[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/**
 * The components that serve a certificate kubeadm renews: the port on this node, the certificate
 * under the PKI folder, and the client certificate the check presents, if the port demands one
 * (etcd's client port requires one signed by its CA: kubeadm's `healthcheck-client`). Paths are
 * kubeadm's (kubernetes.io docs setup/best-practices/certificates).
 */
export const SERVING_CERTIFICATES: readonly { readonly pod: string; readonly port: number; readonly certificate: string; readonly clientCertificate?: string }[] = [
  { pod: 'etcd', port: 2379, certificate: 'etcd/server.crt', clientCertificate: 'etcd/healthcheck-client' },
  { pod: 'kube-apiserver', port: API_SERVER_PORT, certificate: 'apiserver.crt' },
];
export const DEFAULT_RENEW_BEFORE_DAYS = 30;

export interface CertificateRenewalPaths {
  readonly kubeconfig: string;
  /** The kubelet's static pod folder. */
  readonly manifestDir: string;
  /** Where a manifest waits while its pod stops; outside the manifest folder. */
  readonly holdingDir: string;
  readonly lockFile: string;
  /** kubeadm's PKI folder, where the renewed certificates are. */
  readonly pkiDir: string;
}

export const DEFAULT_CERTIFICATE_RENEWAL_PATHS: CertificateRenewalPaths = {
  kubeconfig: '/etc/kubernetes/admin.conf',
  manifestDir: '/etc/kubernetes/manifests',
  holdingDir: '/etc/kubernetes/manifests-restarting',
  lockFile: '/run/lock/kubeadm-certificate-renewal.lock',
  pkiDir: '/etc/kubernetes/pki',
};

export interface CertificateRenewalProgramProps {
  readonly clusterName: string;
  /** Region CloudWatch metrics go to (may be a Terraform token). */
  readonly region: string;
  /**
   * Renew when any certificate has fewer days left than this.
   * @default 30
   */
  readonly renewBeforeDays?: number;
  /**
   * How long the kubelet gets to stop a static pod whose manifest left (its file check runs every 20 s).
   * @default 20
   */
  readonly stopWaitSeconds?: number;
  /**
   * How long each restarted component gets to run again with the renewed certificate, checked
   * every 5 s. The kubelet starts a static pod again within its file check period (20 s) plus the
   * image's start; etcd and the API server take longest.
   * @default 180
   */
  readonly restartWaitSeconds?: number;
  /** Node paths, for tests. */
  readonly paths?: Partial<CertificateRenewalPaths>;
}

const BODY = `
ERRORS=''
HOLDER=''
RENEWED_AT=0
LEASE_VERSION=''
LOCK_HOLDER=''
FIELDS=()

now() { date -u +%s; }
epoch() { date -u -d "$1" +%s; }
kube() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=20s "$@"; }

${TAB_FIELDS_FUNCTION}

${LEASE_LOCK_FUNCTIONS}

cleanup() {
  local status=$?
  release_lock || true
  rm -f "$ERRORS"
  [ "$status" -eq 0 ] || status=1
  exit "$status"
}

api_ready() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=10s get --raw /readyz > /dev/null 2>&1; }

wait_for_api() {
  local i
  for ((i = 1; i <= READY_ATTEMPTS; i++)); do
    api_ready && return 0
    sleep 5
  done
  return 1
}

# "SECONDS NAME" of the kubeadm-managed certificate with the least time left (external and missing
# ones are not kubeadm's to renew).
least_time_left() {
  kubeadm certs check-expiration -o json | python3 -c '
import json, sys
info = json.load(sys.stdin)
if info.get("kind") != "CertificateExpirationInfo":
    sys.exit("kubeadm printed no CertificateExpirationInfo")
certificates = [c for c in info.get("certificates") or [] if not c.get("externallyManaged") and not c.get("missing")]
if not certificates:
    sys.exit("kubeadm lists no certificates of its own")
least = min(certificates, key=lambda c: int(c["residualTime"]))
print(int(least["residualTime"]), least["name"])'
}

report_days() {
  aws cloudwatch put-metric-data --region "$REGION" --namespace "$METRIC_NAMESPACE" --metric-name "$DAYS_METRIC" --value "$1" --unit Count --dimensions "ClusterName=$CLUSTER_NAME" \\
    || log "could not report $DAYS_METRIC to CloudWatch"
}

# When its running container was created (seconds since the epoch), or nothing: crictl prints
# createdAt in nanoseconds (the CRI's Container.created_at).
container_created() {
  crictl ps --name "^$1\$" --state running -o json 2> /dev/null | python3 -c '
import json, sys
containers = json.load(sys.stdin).get("containers") or []
if containers:
    print(max(int(c["createdAt"]) for c in containers) // 1000000000)'
}

# "serial=..." of the certificate the component presents on its port, and of the renewed file.
served_serial() {
  local port=$1 client=$2 args=()
  [ -z "$client" ] || args=(-cert "$PKI_DIR/$client.crt" -key "$PKI_DIR/$client.key")
  timeout 10 openssl s_client -connect "127.0.0.1:$port" "\${args[@]}" < /dev/null 2> /dev/null | openssl x509 -noout -serial 2> /dev/null
}
file_serial() { openssl x509 -in "$PKI_DIR/$1" -noout -serial 2> /dev/null; }

# What the component shows now, for the wait and its error: empty once it runs with the renewal.
restart_pending() {
  local pod=$1 created entry port certificate client seen want
  created=$(container_created "$pod") || created=''
  if [ -z "$created" ]; then
    echo "no running $pod container (crictl ps --name $pod)"
    return 0
  fi
  if [ "$created" -lt "$RENEWED_AT" ]; then
    echo "its running container was created at $(date -u -d "@$created" +%FT%TZ), before the renewal at $(date -u -d "@$RENEWED_AT" +%FT%TZ): the kubelet did not restart it"
    return 0
  fi
  for entry in $SERVING_CHECKS; do
    [ "\${entry%%:*}" = "$pod" ] || continue
    IFS=: read -r port certificate client <<< "\${entry#*:}"
    want=$(file_serial "$certificate")
    seen=$(served_serial "$port" "$client") || seen=''
    if [ -z "$want" ] || [ "$seen" != "$want" ]; then
      echo "port $port presents \${seen:-no certificate}, not the renewed $PKI_DIR/$certificate (\${want:-unreadable})"
      return 0
    fi
  done
}

# The kubeadm way to restart a static pod: its manifest leaves the folder, the kubelet stops the
# pod, the manifest comes back and the kubelet starts it with the renewed certificates. Then a
# bounded wait until the component runs with them.
restart_static_pod() {
  local pod=$1 i pending
  [ -f "$MANIFEST_DIR/$pod.yaml" ] || { log "no $pod manifest here; skipped"; return 0; }
  mv "$MANIFEST_DIR/$pod.yaml" "$HOLDING_DIR/$pod.yaml"
  log "restart $pod: manifest moved out; waiting $STOP_WAIT_SECONDS s for the kubelet to stop it"
  sleep "$STOP_WAIT_SECONDS"
  mv "$HOLDING_DIR/$pod.yaml" "$MANIFEST_DIR/$pod.yaml"
  log "restart $pod: manifest back; waiting for it to run with the renewed certificates"
  for ((i = 1; i <= RESTART_ATTEMPTS; i++)); do
    pending=$(restart_pending "$pod")
    [ -n "$pending" ] || break
    [ "$i" -lt "$RESTART_ATTEMPTS" ] || fail "$pod does not run with the renewed certificates after $((RESTART_ATTEMPTS * 5)) s: $pending. Check crictl ps -a --name $pod, journalctl -u kubelet, and that $MANIFEST_DIR/$pod.yaml is in place; the certificates are renewed, so restarting $pod again finishes the job"
    sleep 5
  done
  log "restart $pod: running with the renewed certificates; waiting for the API server's /readyz"
  wait_for_api || fail "the API server is not ready after restarting $pod"
}

# A manifest left in the holding folder by a run that died goes back first.
restore_held_manifests() {
  local file
  for file in "$HOLDING_DIR"/*.yaml; do
    [ -f "$file" ] || continue
    log "putting back $(basename "$file"), left out by an earlier run"
    mv "$file" "$MANIFEST_DIR/"
  done
}

main() {
  local least seconds name days i pod
  umask 077
  mkdir -p "$(dirname "$LOCK_FILE")" "$HOLDING_DIR"
  exec 9> "$LOCK_FILE"
  flock -w 600 9 || fail "another run on this node holds $LOCK_FILE"
  HOLDER=$(hostname)
  ERRORS=$(mktemp)
  trap cleanup EXIT
  restore_held_manifests
  if [ ! -f "$ADMIN_KUBECONFIG" ] || ! api_ready; then
    log 'the API server does not answer: this node is not a running control plane yet'
    return 0
  fi
  log 'phase check: kubeadm certs check-expiration'
  least=$(least_time_left) || fail 'kubeadm certs check-expiration failed'
  read -r seconds name <<< "$least"
  days=$((seconds / 86400))
  log "$name has the least time left: $days days"
  report_days "$days"
  if [ "$seconds" -ge "$RENEW_BELOW_SECONDS" ]; then
    log "every certificate has at least $((RENEW_BELOW_SECONDS / 86400)) days left; nothing to renew"
    return 0
  fi
  log 'phase lock: one control-plane node renews and restarts at a time'
  for ((i = 1; i <= LOCK_ATTEMPTS; i++)); do
    take_lock && break
    [ "$i" -lt "$LOCK_ATTEMPTS" ] || fail "the lock is held by $LOCK_HOLDER; the next run renews"
    log "the lock is held by $LOCK_HOLDER; waiting ($i of $LOCK_ATTEMPTS)"
    sleep "$LOCK_WAIT_SECONDS"
  done
  log 'phase renew: kubeadm certs renew all'
  kubeadm certs renew all > /dev/null || fail 'kubeadm certs renew all failed'
  RENEWED_AT=$(now)
  log 'phase restart: the control-plane static pods, one after another'
  for pod in $STATIC_PODS; do
    restart_static_pod "$pod"
  done
  least=$(least_time_left) || fail 'kubeadm certs check-expiration failed after the renewal'
  read -r seconds name <<< "$least"
  report_days $((seconds / 86400))
  log "renewed; $name now has $((seconds / 86400)) days left"
}

main "$@"
`;

/**
 * The renewal program. Exit status 0 when renewed or nothing is due (or the node is not a running
 * control plane yet), 1 on failure or when another node held the lock for the whole wait.
 */
export function certificateRenewalProgram(props: CertificateRenewalProgramProps): string {
  const renewBeforeDays = props.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS;
  const stopWaitSeconds = props.stopWaitSeconds ?? 20;
  const restartWaitSeconds = props.restartWaitSeconds ?? 180;
  const problems = new ProblemList();
  if (!Number.isInteger(renewBeforeDays) || renewBeforeDays < 7 || renewBeforeDays > 180) {
    problems.add('renewBeforeDays', renewBeforeDays, 'must be a whole number of days from 7 to 180', 'use 30 (the default)');
  }
  if (!Number.isInteger(stopWaitSeconds) || stopWaitSeconds < 0) {
    problems.add('stopWaitSeconds', stopWaitSeconds, 'must be a whole number of seconds', 'use 20 (the default)');
  }
  if (!Number.isInteger(restartWaitSeconds) || restartWaitSeconds < 5 || restartWaitSeconds > 900) {
    problems.add('restartWaitSeconds', restartWaitSeconds, 'must be a whole number of seconds from 5 to 900', 'use 180 (the default)');
  }
  problems.throwIfAny();
  const paths = { ...DEFAULT_CERTIFICATE_RENEWAL_PATHS, ...props.paths };
  return renderNodeProgram({
    name: 'kubeadm-certificate-renewal',
    description: 'Renews the kubeadm certificates of this control-plane node when they near expiry and restarts its static pods',
    settings: [
      ['CLUSTER_NAME', props.clusterName],
      ['REGION', props.region],
      ['ADMIN_KUBECONFIG', paths.kubeconfig],
      ['MANIFEST_DIR', paths.manifestDir],
      ['HOLDING_DIR', paths.holdingDir],
      ['LOCK_FILE', paths.lockFile],
      ['RENEW_BELOW_SECONDS', renewBeforeDays * 86400],
      ['STOP_WAIT_SECONDS', stopWaitSeconds],
      ['RESTART_ATTEMPTS', Math.ceil(restartWaitSeconds / 5)],
      ['PKI_DIR', paths.pkiDir],
      ['SERVING_CHECKS', SERVING_CERTIFICATES.map((c) => [c.pod, c.port, c.certificate, c.clientCertificate ?? ''].join(':')).join(' ')],
      ['STATIC_PODS', CONTROL_PLANE_STATIC_PODS.join(' ')],
      ['READY_ATTEMPTS', 60],
      ['LOCK_ATTEMPTS', 60],
      ['LOCK_WAIT_SECONDS', 30],
      ['METRIC_NAMESPACE', METRIC_NAMESPACE],
      ['DAYS_METRIC', CERTIFICATE_DAYS_METRIC],
      ['LEASE_NAME', CERTIFICATE_RENEWAL_LEASE_NAME],
      // Long enough for four restarts, each waiting for its component and the API server; a stuck
      // run lets go after it.
      ['LEASE_SECONDS', 1200 + 4 * restartWaitSeconds],
      ['LEASE_TEMPLATE', LEASE_TEMPLATE],
    ],
    body: BODY,
  });
}

/** The service that runs one check, and the daily timer on every control-plane node. */
export function certificateRenewalUnits(): UnitFile[] {
  return [
    oneshotService({
      name: CERTIFICATE_RENEWAL_SERVICE,
      description: 'Renew the kubeadm certificates of this node when they near expiry',
      execStart: CERTIFICATE_RENEWAL_PROGRAM_PATH,
      // The lock wait (30 min at most) plus four restarts, each with its waits (at most 20 s
      // stopped, 180 s to run again, 5 min for the API server): 30 + 4 x 8.5 min.
      timeout: '70min',
    }),
    timer({
      name: CERTIFICATE_RENEWAL_TIMER,
      description: 'Check the kubeadm certificates daily',
      onBoot: '15min',
      every: '1d',
      randomDelay: '1h',
    }),
  ];
}
