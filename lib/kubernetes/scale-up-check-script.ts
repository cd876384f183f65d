import { REPLICAS_PLACEHOLDER } from './scale-up-check-objects';

/**
 * The scale-up check's script (POSIX sh, for the check image's busybox and curl). With the Job's
 * service account it:
 * - removes a Deployment an earlier attempt may have left, counts the nodes and notes their names;
 * - creates the Deployment (`DEPLOYMENT_JSON`) with one pod more than there are nodes: no two of its
 *   pods share a node, so one stays Pending until the cluster autoscaler adds a node;
 * - waits `SCALE_UP_WAIT_SECONDS` (the autoscaler's own wait for a node it asked for) until every
 *   pod runs, and names the node that was not there before;
 * - deletes the Deployment and waits `CLEANUP_WAIT_SECONDS` until its pods are gone. The new node
 *   stays until the autoscaler finds it unneeded and removes it (`--scale-down-unneeded-time`).
 * It removes the Deployment also when it is stopped (SIGTERM), and fails if anything above fails.
 * The script holds no `$\{` or `%\{`: Terraform would read them as its own template sequences.
 */
export const SCALE_UP_CHECK_SCRIPT = `set -eu
failed=0
API="https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"
DEPLOYMENT_PATH="/apis/apps/v1/namespaces/$NAMESPACE/deployments/$DEPLOYMENT_NAME"
PODS_PATH="/api/v1/namespaces/$NAMESPACE/pods"
# api METHOD PATH [curl options]: the response body (compact JSON); fails on an error status.
api() {
  method=$1
  path=$2
  shift 2
  curl -sS --fail -m 20 -A kubeadm-scale-up-check --cacert "$SA_DIR/ca.crt" \\
    -H "Authorization: Bearer $(cat "$SA_DIR/token")" -H 'Content-Type: application/json' \\
    -X "$method" "$API$path" "$@"
}
# status PATH: the HTTP status of a GET (404 once the object is gone).
status() {
  curl -sS -o /dev/null -w '%''{http_code}' -m 20 -A kubeadm-scale-up-check --cacert "$SA_DIR/ca.crt" \\
    -H "Authorization: Bearer $(cat "$SA_DIR/token")" "$API$1" || true
}
# node_names: one line per node, its host name label.
node_names() {
  api GET '/api/v1/nodes?pretty=false' | grep -o '"kubernetes.io/hostname":"[^"]*"' | cut -d '"' -f 4 | sort -u
}
# running_pods: how many of the Deployment's pods run.
running_pods() {
  pods=$(api GET "$PODS_PATH?pretty=false&labelSelector=$SELECTOR" 2> /dev/null) || pods=''
  printf '%s' "$pods" | grep -o '"phase":"Running"' | wc -l | tr -d ' '
}
now() { date +%s; }
# remove: deletes the Deployment and waits until its pods are gone.
remove() {
  api DELETE "$DEPLOYMENT_PATH?propagationPolicy=Foreground" > /dev/null 2>&1 || true
  until_time=$(($(now) + CLEANUP_WAIT_SECONDS))
  while [ "$(status "$DEPLOYMENT_PATH")" != 404 ] || [ "$(running_pods)" != 0 ]; do
    if [ "$(now)" -ge "$until_time" ]; then
      echo "FAILED  removal: Deployment $DEPLOYMENT_NAME or its pods are still there after $CLEANUP_WAIT_SECONDS s; delete it with kubectl -n $NAMESPACE delete deployment $DEPLOYMENT_NAME"
      return 1
    fi
    sleep 5
  done
  return 0
}
trap 'remove || true; exit 143' TERM INT
# What an earlier attempt left.
remove > /dev/null || true
if ! before=$(node_names) || [ -z "$before" ]; then
  echo "FAILED  could not list the nodes (is the check's ClusterRole bound?)"
  exit 1
fi
count=$(printf '%s\\n' "$before" | wc -l | tr -d ' ')
replicas=$((count + 1))
echo "        $count nodes; asking for $replicas pods that never share a node"
if ! api POST "/apis/apps/v1/namespaces/$NAMESPACE/deployments" --data "$(printf '%s' "$DEPLOYMENT_JSON" | sed "s/${REPLICAS_PLACEHOLDER}/$replicas/")" > /dev/null; then
  echo "FAILED  could not create Deployment $DEPLOYMENT_NAME (is the check's Role bound?)"
  failed=1
fi
if [ "$failed" -eq 0 ]; then
  until_time=$(($(now) + SCALE_UP_WAIT_SECONDS))
  running=0
  while :; do
    running=$(running_pods)
    if [ "$running" -ge "$replicas" ] || [ "$(now)" -ge "$until_time" ]; then
      break
    fi
    sleep 10
  done
  if [ "$running" -ge "$replicas" ]; then
    added=$(node_names | while read -r name; do printf '%s\\n' "$before" | grep -qx "$name" || echo "$name"; done | tr '\\n' ' ')
    if [ -n "$added" ]; then
      echo "ok      scale-up: all $replicas pods run; the autoscaler added $added"
    else
      echo "FAILED  scale-up: all $replicas pods run, but on no new node (did a node join by other means?)"
      failed=1
    fi
  else
    echo "FAILED  scale-up: $running of $replicas pods run after $SCALE_UP_WAIT_SECONDS s. Check the autoscaler's log (kubectl -n kube-system logs deploy/cluster-autoscaler), its status (kubectl -n kube-system get configmap cluster-autoscaler-status -o yaml), that an autoscaled pool is below its maxSize, and the group's scaling activities (aws autoscaling describe-scaling-activities)"
    failed=1
  fi
fi
trap - TERM INT
if remove; then
  echo "ok      removed the check's Deployment (the autoscaler removes the node once it is unneeded)"
else
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "The scale-up check failed; see the lines marked FAILED above."
  exit 1
fi
echo "The autoscaler works: a pod that fitted nowhere got a new node."
`;
