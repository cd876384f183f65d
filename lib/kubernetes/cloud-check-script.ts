/**
 * The cloud check's script (POSIX sh, for the check image's busybox and curl). With the Job's
 * service account it:
 * - removes what an earlier attempt may have left, then creates the Service of type LoadBalancer,
 *   the volume claim and the pod that writes and reads a file on the volume (`SERVICE_JSON`,
 *   `CLAIM_JSON`, `POD_JSON`);
 * - waits `VOLUME_WAIT_SECONDS` for the pod to succeed;
 * - waits `LB_WAIT_SECONDS` for the load balancer's host name and for an HTTP GET through it to
 *   reach nginx;
 * - deletes the three objects and waits `CLEANUP_WAIT_SECONDS` until they and the claim's
 *   PersistentVolume are gone: the Service goes once the cloud controller manager has deleted the
 *   load balancer, the volume once the EBS CSI driver has deleted the EBS volume.
 * It removes them also when it is stopped (SIGTERM), and fails if anything above fails. It reads
 * the service account's token and CA from `SA_DIR`. The script holds no `$\{` or `%\{`: Terraform
 * would read them as its own template sequences.
 */
export const CLOUD_CHECK_SCRIPT = `set -eu
failed=0
API="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
NS_PATH="/api/v1/namespaces/$NAMESPACE"
SERVICE_PATH="$NS_PATH/services/$SERVICE_NAME"
CLAIM_PATH="$NS_PATH/persistentvolumeclaims/$CLAIM_NAME"
POD_PATH="$NS_PATH/pods/$POD_NAME"
# api METHOD PATH [curl options]: the response body (compact JSON); fails on an error status.
api() {
  method=$1
  path=$2
  shift 2
  curl -sS --fail -m 20 -A kubeadm-cloud-check --cacert "$SA_DIR/ca.crt" \\
    -H "Authorization: Bearer $(cat "$SA_DIR/token")" -H 'Content-Type: application/json' \\
    -X "$method" "$API$path?pretty=false" "$@"
}
# status PATH: the HTTP status of a GET (404 once the object is gone).
status() {
  curl -sS -o /dev/null -w '%''{http_code}' -m 20 -A kubeadm-cloud-check --cacert "$SA_DIR/ca.crt" \\
    -H "Authorization: Bearer $(cat "$SA_DIR/token")" "$API$1?pretty=false" || true
}
# field JSON NAME: the first string value of NAME in JSON.
field() {
  printf '%s' "$1" | grep -o "\\"$2\\":\\"[^\\"]*\\"" | head -n 1 | cut -d '"' -f 4 || true
}
now() { date +%s; }
volume_name=''
# remove: deletes the three objects and waits until they, and the volume, are gone.
remove() {
  claim=$(api GET "$CLAIM_PATH" 2> /dev/null) || claim=''
  if [ -n "$claim" ]; then
    volume_name=$(field "$claim" volumeName)
  fi
  for path in "$POD_PATH" "$CLAIM_PATH" "$SERVICE_PATH"; do
    api DELETE "$path" > /dev/null 2>&1 || true
  done
  set -- "$POD_PATH" "$CLAIM_PATH" "$SERVICE_PATH"
  if [ -n "$volume_name" ]; then
    set -- "$@" "/api/v1/persistentvolumes/$volume_name"
  fi
  until_time=$(($(now) + CLEANUP_WAIT_SECONDS))
  for path in "$@"; do
    while [ "$(status "$path")" != 404 ]; do
      if [ "$(now)" -ge "$until_time" ]; then
        echo "FAILED  removal: $path is still there after $CLEANUP_WAIT_SECONDS s (a Service waits for its load balancer to be deleted, a volume for its EBS volume); delete it with kubectl"
        return 1
      fi
      sleep 5
    done
  done
  return 0
}
trap 'remove || true; exit 143' TERM INT
# What an earlier attempt left.
remove > /dev/null || true
volume_name=''
# create KIND JSON
create() {
  if ! api POST "$NS_PATH/$1" --data "$2" > /dev/null; then
    echo "FAILED  could not create the check's $1 (is the check's Role bound?)"
    failed=1
  fi
}
create services "$SERVICE_JSON"
create persistentvolumeclaims "$CLAIM_JSON"
create pods "$POD_JSON"
if [ "$failed" -eq 0 ]; then
  until_time=$(($(now) + VOLUME_WAIT_SECONDS))
  phase=''
  while :; do
    pod=$(api GET "$POD_PATH" 2> /dev/null) || pod=''
    phase=$(field "$pod" phase)
    if [ "$phase" = Succeeded ] || [ "$phase" = Failed ] || [ "$(now)" -ge "$until_time" ]; then
      break
    fi
    sleep 5
  done
  if [ "$phase" = Succeeded ]; then
    echo "ok      volume: a pod wrote a file on a new EBS volume (claim $CLAIM_NAME) and read it back"
  else
    [ -n "$phase" ] || phase='not there'
    echo "FAILED  volume: the pod that writes on claim $CLAIM_NAME is $phase after $VOLUME_WAIT_SECONDS s (check the EBS CSI driver's pods in kube-system and kubectl -n $NAMESPACE describe pvc $CLAIM_NAME)"
    failed=1
  fi
  until_time=$(($(now) + LB_WAIT_SECONDS))
  host=''
  reached=0
  while :; do
    if [ -z "$host" ]; then
      service=$(api GET "$SERVICE_PATH" 2> /dev/null) || service=''
      host=$(field "$service" hostname)
    fi
    if [ -n "$host" ] && curl -sS -o /dev/null --fail -m 10 "http://$host/" 2> /dev/null; then
      reached=1
      break
    fi
    if [ "$(now)" -ge "$until_time" ]; then
      break
    fi
    sleep 10
  done
  if [ "$reached" -eq 1 ]; then
    echo "ok      load balancer: http://$host/ reached nginx"
  elif [ -z "$host" ]; then
    echo "FAILED  load balancer: Service $SERVICE_NAME got no load balancer in $LB_WAIT_SECONDS s (check the cloud controller manager's logs in kube-system)"
    failed=1
  else
    echo "FAILED  load balancer: http://$host/ did not answer in $LB_WAIT_SECONDS s"
    failed=1
  fi
fi
trap - TERM INT
if remove; then
  echo "ok      removed the load balancer, the volume and the check's objects"
else
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "The cloud check failed; see the lines marked FAILED above."
  exit 1
fi
echo "The cloud works: a load balancer reached the pods, a volume held a file, and both are gone again."
`;
