/**
 * How a control-plane node finds its cluster again (control-plane nodes only). `decide_start` reads
 * the cluster's generation and chooses, once per node, how this node's kubeadm run starts:
 *
 * - `genesis`: no cluster yet (or `new-cluster` was asked for): `kubeadm init` on an empty etcd,
 *   then the node records a new generation id;
 * - `join`: the cluster exists and a peer's etcd answers: a fresh `kubeadm join --control-plane`,
 *   after removing this node's own stale member and emptying its old data;
 * - `data`: a single control-plane node whose etcd volume still holds the cluster: init on it;
 * - `restore`: a requested restore, or the newest snapshot of this generation when nothing else is
 *   left; in a highly available control plane the old members are fenced first;
 * - otherwise the run stops, saying how to recover. It never inits an empty cluster once one existed.
 */
export const RECOVERY_PHASE = `
# Settings the recovery library reads.
: "$SELF_IP" "$PEER_GROUPS" "$NODE_TAG_KEY" "$GENERATION_PATTERN"
START=''
GENERATION=''
RESTORE_SNAPSHOT=''

own_data() { [ -d "$ETCD_DIR/member" ]; }


# How a cluster that exists is found again, and the rarer steps (the etcd volume, fencing, a stale
# member), come from the channel, as a library this program reads in when it needs it (user-data is
# limited in size). Without it nothing starts.
recovery_library() {
  [ -n "$RECOVERY_LIBRARY" ] || return 1
  channel_install "$RECOVERY_DOCUMENT" "$RECOVERY_LIBRARY" || return 1
  # shellcheck disable=SC1090
  source "$RECOVERY_LIBRARY"
}

# Each step runs from the library only where it applies.
fence_peers() { [ -z "$RECOVERY_LIBRARY" ] || { recovery_library && fence_old_members; }; }
unfence_peers() { [ ! -f "$MARKERS/fenced" ] || { recovery_library && unfence_old_members; }; }
attach_etcd_volume() { [ -z "$ETCD_VOLUME" ] || { recovery_library && attach_volume; }; }
record_generation() { [ ! -f "$MARKERS/start" ] || [ -z "$GENERATION_PARAMETER" ] || { recovery_library && record_new_generation; }; }

prepare_control_plane_join() {
  [ -d "$ETCD_DIR" ] && find "$ETCD_DIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  [ -z "$PEERS" ] || { recovery_library && remove_stale_member; } || log 'a stale etcd member of this address may stay'
}

# Chooses how this node's kubeadm run starts; the choice is kept for the later phases and runs.
decide_start() {
  local request=$NO_RESTORE
  if [ -f "$MARKERS/start" ]; then
    read -r START GENERATION RESTORE_SNAPSHOT < "$MARKERS/start"
    return 0
  fi
  if [ -n "$ETCD_RESTORE_PARAMETER" ]; then
    request=$(ssm_get "$ETCD_RESTORE_PARAMETER") || return 1
  fi
  START=genesis
  if [ "$request" != "$NO_RESTORE" ]; then
    log "etcd restore requested in $ETCD_RESTORE_PARAMETER: $request"
    START=restore
  elif [ -n "$GENERATION_PARAMETER" ]; then
    recovery_library && decide_from_generation || return 1
  fi
  RESTORE_SNAPSHOT=$request
  # Whether peers answer is asked again in every run; the other choices hold once made.
  [ "$START" = join ] && return 0
  printf '%s %s %s\\n' "$START" "\${GENERATION:-$NO_RESTORE}" "$request" > "$MARKERS/start"
}

# After kubeadm, a node that did not start the cluster may find its Node object as the instance it
# replaces left it (reclaim_node_object, in the library, says why); genesis made it afresh.
reclaim_node() {
  local start=join
  [ ! -f "$MARKERS/start" ] || read -r start _ < "$MARKERS/start"
  [ "$start" = genesis ] || [ -z "$RECOVERY_LIBRARY" ] || { recovery_library && reclaim_node_object; }
}

# The kubeadm phase of another control-plane node (main calls run_<action>).
run_join_control_plane() { run_join; }
`;
