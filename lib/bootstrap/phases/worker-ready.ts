import { SHARED_FUNCTIONS } from '../node-program';

/**
 * A worker's last phases: its Node Ready, then the launch lifecycle hook completed.
 */
export const WORKER_READY_PHASE = `
${SHARED_FUNCTIONS.nodeName}

# A worker has only the kubelet's own credentials (kubelet.conf); the Node authorizer lets a node
# read Node objects, so it can see its own Ready condition.
node_ready_status() {
  kubectl --kubeconfig "$KUBELET_CONF" --request-timeout=10s get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2> /dev/null
}

wait_for_node_ready() {
  local name i status
  name=$(node_name)
  for ((i = 1; i <= NODE_READY_ATTEMPTS; i++)); do
    status=$(node_ready_status "$name") || status='unknown (the API did not answer)'
    if [ "$status" = True ]; then
      log "node $name is Ready"
      return 0
    fi
    # One line a minute: the network plugin usually arrives a few minutes after the join.
    if [ $((i % 6)) = 1 ]; then
      log "waiting for node $name to be Ready (now: $\{status:-no Ready condition yet}); the network plugin makes it Ready"
    fi
    sleep 10
  done
  log "ERROR: node $name was not Ready after $NODE_READY_ATTEMPTS checks 10 s apart; check the network plugin's pods on it (kubectl get pods -A -o wide --field-selector spec.nodeName=$name) and kubelet's log (journalctl -u kubelet)"
  return 1
}

# Ends the launch hook that holds this instance in Pending:Wait, so the group counts it in service.
complete_launch_hook() {
  local instance errors i
  instance=$(imds meta-data/instance-id) || return 1
  errors=$(mktemp)
  for i in 1 2 3 4 5; do
    if aws autoscaling complete-lifecycle-action --region "$REGION" --lifecycle-hook-name "$LAUNCH_HOOK" --auto-scaling-group-name "$AUTO_SCALING_GROUP" --lifecycle-action-result CONTINUE --instance-id "$instance" 2> "$errors"; then
      rm -f "$errors"
      log "told $AUTO_SCALING_GROUP that instance $instance is a Ready node"
      return 0
    fi
    # An instance that launched before the group had the hook, or whose hook already timed out, has nothing to complete.
    if grep -q 'No active Lifecycle Action' "$errors"; then
      rm -f "$errors"
      log "no launch lifecycle action is pending for instance $instance in $AUTO_SCALING_GROUP; nothing to complete"
      return 0
    fi
    log "completing the launch lifecycle action failed (attempt $i of 5): $(tail -n 1 "$errors")"
    [ "$i" -lt 5 ] && sleep 10
  done
  rm -f "$errors"
  log "ERROR: could not complete the launch lifecycle action $LAUNCH_HOOK of $AUTO_SCALING_GROUP; check that this node's role may call autoscaling:CompleteLifecycleAction on its group"
  return 1
}
`;
