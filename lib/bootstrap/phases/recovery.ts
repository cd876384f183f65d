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
START=''
GENERATION=''
RESTORE_SNAPSHOT=''

# etcd_answers IP: whether an etcd listens at IP (any TLS answer counts, even a refusal of this
# certificate-less client); only a refused or timed-out connection means no member is there.
etcd_answers() {
  local rc=0
  curl -s -o /dev/null --max-time 5 --cacert "$PKI_DIR/etcd/ca.crt" "https://$1:2379/health" || rc=$?
  case $rc in 6 | 7 | 28) return 1 ;; *) return 0 ;; esac
}

peers_answer_once() {
  local ip
  for ip in $PEERS; do
    etcd_answers "$ip" && return 0
  done
  return 1
}

# A peer that restarts its static pods (a renewal, an upgrade) is briefly silent, so a peer counts
# as gone only when none answered for PEER_CHECKS checks in a row.
peers_answer() {
  local i
  [ -n "$PEERS" ] || return 1
  for ((i = 1; i <= PEER_CHECKS; i++)); do
    peers_answer_once && return 0
    [ "$i" -lt "$PEER_CHECKS" ] && sleep "$PEER_CHECK_DELAY_SECONDS"
  done
  return 1
}

own_data() { [ -d "$ETCD_DIR/member" ]; }

new_generation() { printf '%s-%s' "$(date -u +%Y%m%dT%H%M%SZ)" "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \\n')"; }

how_to_recover() {
  log "ERROR: cluster generation $GENERATION exists ($GENERATION_PARAMETER), but no peer answers, this node holds none of its etcd data and no snapshot can be restored. Nothing was started, so that no empty cluster replaces it."
  log "to restore a snapshot: aws ssm put-parameter --region $REGION --name $ETCD_RESTORE_PARAMETER --type String --overwrite --value <snapshot name> (see the README's restore drill)"
  log "to start a NEW, EMPTY cluster instead: aws ssm put-parameter --region $REGION --name $GENERATION_PARAMETER --type String --overwrite --value $NEW_CLUSTER; then this node's next run (systemctl restart $BOOTSTRAP_UNIT_NAME) starts it"
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
  if [ -n "$GENERATION_PARAMETER" ]; then
    GENERATION=$(ssm_get "$GENERATION_PARAMETER") || return 1
  fi
  if [ "$request" != "$NO_RESTORE" ]; then
    log "etcd restore requested in $ETCD_RESTORE_PARAMETER: $request"
    START=restore
  elif ! [[ $GENERATION =~ $GENERATION_PATTERN ]]; then
    if [ "$GENERATION" != "$NEW_CLUSTER" ] && own_data; then
      log "no generation recorded, but $ETCD_DIR holds etcd data: taking it back rather than starting over"
      START=data
    else
      log "no cluster recorded in $GENERATION_PARAMETER ($GENERATION): starting a new cluster"
      START=genesis
    fi
  elif peers_answer; then
    log "cluster $GENERATION exists and a peer's etcd answers: joining it"
    START='join'
  elif [ -z "$PEERS" ] && own_data; then
    log "cluster $GENERATION exists and $ETCD_DIR holds its data: taking it back"
    START=data
  elif [ -n "$ETCD_RESTORE_PROGRAM" ]; then
    log "cluster $GENERATION exists, no peer answers and this node holds none of its data: restoring its newest snapshot"
    request=latest
    START=restore
  else
    how_to_recover
    return 1
  fi
  RESTORE_SNAPSHOT=$request
  # Whether peers answer is asked again in every run; the other choices hold once made.
  [ "$START" = join ] && return 0
  printf '%s %s %s\\n' "$START" "\${GENERATION:-$NO_RESTORE}" "$request" > "$MARKERS/start"
}

# Before a restore in a highly available control plane, no old member may serve beside the
# restored one: the other nodes' groups go to 0 until their etcd stops answering.
fence_peers() {
  local group i
  peers_answer_once || return 0
  if [ -z "$PEER_GROUPS" ]; then
    log "ERROR: other control-plane nodes still run the old etcd; stop them before restoring (their instances: tag $NODE_TAG_KEY), then restart $BOOTSTRAP_UNIT_NAME here"
    return 1
  fi
  for group in $PEER_GROUPS; do
    log "fencing: scaling $group to 0, so that its old etcd member cannot serve beside the restored one"
    retry 3 10 aws autoscaling update-auto-scaling-group --region "$REGION" --auto-scaling-group-name "$group" --min-size 0 --max-size 0 --desired-capacity 0 || return 1
  done
  echo "$PEER_GROUPS" > "$MARKERS/fenced"
  for ((i = 1; i <= FENCE_CHECKS; i++)); do
    peers_answer_once || { log 'fencing: no old member answers any more'; return 0; }
    sleep "$PEER_CHECK_DELAY_SECONDS"
  done
  log "ERROR: old etcd members still answer after fencing ($PEERS); check that their instances terminated"
  return 1
}

# After the restored cluster serves, the fenced nodes come back; they join it afresh.
unfence_peers() {
  local group groups
  [ -f "$MARKERS/fenced" ] || return 0
  read -r -a groups < "$MARKERS/fenced"
  for group in "\${groups[@]}"; do
    log "fencing over: scaling $group back to 1; its new node joins the restored cluster"
    retry 3 10 aws autoscaling update-auto-scaling-group --region "$REGION" --auto-scaling-group-name "$group" --min-size 1 --max-size 1 --desired-capacity 1 \\
      || log "could not scale $group back to 1; the next deploy does, or: aws autoscaling update-auto-scaling-group --auto-scaling-group-name $group --min-size 1 --max-size 1 --desired-capacity 1"
  done
  rm -f "$MARKERS/fenced"
}

# The node that started the cluster (or took back one without a generation) records it, unless a
# generation is there already (a node that joined, or the snapshot program that named it).
record_generation() {
  local id current
  [ -n "$GENERATION_PARAMETER" ] && [ -f "$MARKERS/start" ] || return 0
  current=$(ssm_get "$GENERATION_PARAMETER") || return 1
  [[ $current =~ $GENERATION_PATTERN ]] && return 0
  id=$(new_generation)
  retry "$PUBLISH_ATTEMPTS" "$PUBLISH_DELAY_SECONDS" aws ssm put-parameter --region "$REGION" --name "$GENERATION_PARAMETER" --type String --overwrite --value "$id" > /dev/null \
    || { log "ERROR: could not record the cluster generation in $GENERATION_PARAMETER (this node's right to write it)"; return 1; }
  log "cluster generation $id recorded in $GENERATION_PARAMETER"
}

# The kubeadm phase of another control-plane node (main calls run_<action>).
run_join_control_plane() { run_join; }

# A control-plane node that joins never brings old etcd data: the member this node's address had is
# removed through a peer (etcd's way to replace a failed member), and its data directory emptied.
prepare_control_plane_join() {
  local dir ip members id
  [ -d "$ETCD_DIR" ] && find "$ETCD_DIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  [ -n "$PEERS" ] || return 0
  dir=$(mktemp -d)
  # A client certificate of the etcd CA for a day, made here from the shared PKI.
  if ! { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key" -subj /CN=kubeadm-bootstrap -out "$dir/csr" \\
    && printf 'extendedKeyUsage=clientAuth\\n' > "$dir/ext" \\
    && openssl x509 -req -in "$dir/csr" -CA "$PKI_DIR/etcd/ca.crt" -CAkey "$PKI_DIR/etcd/ca.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n')" -days 1 -extfile "$dir/ext" -out "$dir/crt"; } 2> /dev/null; then
    log 'could not make an etcd client certificate; a stale member of this address, if any, stays (kubeadm join then says so)'
    rm -rf "$dir"
    return 0
  fi
  for ip in $PEERS; do
    members=$(curl -sS --max-time 10 --cacert "$PKI_DIR/etcd/ca.crt" --cert "$dir/crt" --key "$dir/key" -X POST -d '{}' "https://$ip:2379/v3/cluster/member/list") || continue
    id=$(printf '%s' "$members" | python3 -c 'import json, sys; print(" ".join(str(m["ID"]) for m in json.load(sys.stdin).get("members", []) if sys.argv[1] in m.get("peerURLs", [])))' "https://$SELF_IP:2380")
    if [ -n "$id" ]; then
      log "removing this address's stale etcd member $id through $ip"
      curl -sS --max-time 10 --cacert "$PKI_DIR/etcd/ca.crt" --cert "$dir/crt" --key "$dir/key" -X POST -d "{\\"ID\\":\\"$id\\"}" "https://$ip:2379/v3/cluster/member/remove" > /dev/null \\
        || log "could not remove the stale member $id; kubeadm join will say why it cannot add this node"
    fi
    break
  done
  rm -rf "$dir"
}

# etcd's own EBS volume, which outlives the instance: attached by this node (the volume may still be
# leaving the instance it replaces, so attaching is retried), given a file system on its very first
# attach only, and mounted at /var/lib/etcd. On Nitro instances the volume is an NVMe device whose
# serial is the volume id, which udev links under /dev/disk/by-id.
attach_etcd_volume() {
  local instance device i errors
  [ -n "$ETCD_VOLUME" ] || return 0
  device="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_\${ETCD_VOLUME//-/}"
  if ! [ -e "$ROOT$device" ]; then
    instance=$(retry "$IMDS_ATTEMPTS" 2 imds meta-data/instance-id) || fail 'could not read the instance id from instance metadata'
    errors=$(mktemp)
    for ((i = 1; i <= VOLUME_ATTEMPTS; i++)); do
      timeout "$AWS_CALL_TIMEOUT_SECONDS" aws ec2 attach-volume --region "$REGION" --volume-id "$ETCD_VOLUME" --instance-id "$instance" --device "$ETCD_DEVICE" > /dev/null 2> "$errors" \
        || log "attaching the etcd volume $ETCD_VOLUME (attempt $i of $VOLUME_ATTEMPTS): $(tail -n 1 "$errors")"
      sleep "$VOLUME_DELAY_SECONDS"
      [ -e "$ROOT$device" ] && break
    done
    rm -f "$errors"
    [ -e "$ROOT$device" ] || fail "the etcd volume $ETCD_VOLUME did not appear as $device; check that it is in this instance's zone and no other instance holds it (aws ec2 describe-volumes --volume-ids $ETCD_VOLUME), and this node's right to attach it"
  fi
  if ! blkid "$ROOT$device" > /dev/null 2>&1; then
    log "the etcd volume $ETCD_VOLUME is blank: making its file system"
    mkfs.ext4 -q -L etcd "$ROOT$device"
  fi
  mkdir -p "$ETCD_DIR"
  grep -q " /var/lib/etcd " "$ROOT/etc/fstab" || echo "$device /var/lib/etcd ext4 defaults,nofail 0 2" >> "$ROOT/etc/fstab"
  mountpoint -q "$ETCD_DIR" || mount "$ROOT$device" "$ETCD_DIR"
  # kubeadm wants an empty data directory for a new member; the file system's own folder is not data.
  rmdir "$ETCD_DIR/lost+found" 2> /dev/null || true
  chmod 0700 "$ETCD_DIR"
  log "etcd volume $ETCD_VOLUME mounted at /var/lib/etcd"
}
`;
