import { BOOTSTRAP_UNIT, ETCD_VOLUME_DEVICE, FENCE_CHECKS, NODE_OBJECT, PEER_CHECKS, VOLUME_ATTACH } from '../bootstrap-program';
import { NEW_CLUSTER_REQUEST } from '../cluster-generation';
import { SHARED_FUNCTIONS } from '../node-program';

/**
 * The control-plane bootstrap's rarer recovery steps, as a bash library the bootstrap reads in
 * (`source`) when it needs one; the SSM channel installs it on control-plane nodes and a booting
 * node installs it itself from the channel's document. It uses the bootstrap's settings and
 * functions (log, retry, peers_answer_once).
 */
export const RECOVERY_LIBRARY = `# shellcheck shell=bash disable=SC2154,SC2034
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
  for ((i = 1; i <= ${PEER_CHECKS.checks}; i++)); do
    peers_answer_once && return 0
    [ "$i" -lt "${PEER_CHECKS.checks}" ] && sleep "${PEER_CHECKS.delaySeconds}"
  done
  return 1
}

how_to_recover() {
  log "ERROR: cluster $GENERATION exists ($GENERATION_PARAMETER) but no peer answers, this node has none of its data and no snapshot to restore: nothing was started. See 'Recovering the control plane' in the README; to start a NEW, EMPTY cluster: aws ssm put-parameter --region $REGION --name $GENERATION_PARAMETER --type String --overwrite --value ${NEW_CLUSTER_REQUEST}"
}


# Whether the cluster exists, from its generation: if not (or a new one was asked for), this node
# starts one, unless its volume holds etcd data; if it does, decide_existing finds it again.
decide_from_generation() {
  GENERATION=$(ssm_get "$GENERATION_PARAMETER") || return 1
  if [[ $GENERATION =~ $GENERATION_PATTERN ]]; then
    decide_existing
  elif [ "$GENERATION" != ${NEW_CLUSTER_REQUEST} ] && own_data; then
    log "no generation recorded, but $ETCD_DIR holds etcd data: taking it back"
    START=data
  else
    log "no cluster in $GENERATION_PARAMETER ($GENERATION): starting one"
  fi
}

# The cluster exists: join a peer whose etcd answers, take back this node's own data (a single
# control-plane node), or restore the newest snapshot of the generation; otherwise say how to
# recover. Sets START (and request) for decide_start.
decide_existing() {
  if peers_answer; then
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
}

# Before a restore in a highly available control plane, no old member may serve beside the
# restored one: the other nodes' groups go to 0 until their etcd stops answering.
fence_old_members() {
  local group i
  peers_answer_once || return 0
  if [ -z "$PEER_GROUPS" ]; then
    log "ERROR: other control-plane nodes still run the old etcd; stop them before restoring (their instances: tag $NODE_TAG_KEY), then restart ${BOOTSTRAP_UNIT} here"
    return 1
  fi
  for group in $PEER_GROUPS; do
    log "fencing: scaling $group to 0, so that its old etcd member cannot serve beside the restored one"
    retry 3 10 aws autoscaling update-auto-scaling-group --region "$REGION" --auto-scaling-group-name "$group" --min-size 0 --max-size 0 --desired-capacity 0 || return 1
  done
  echo "$PEER_GROUPS" > "$MARKERS/fenced"
  for ((i = 1; i <= ${FENCE_CHECKS}; i++)); do
    peers_answer_once || { log 'fencing: no old member answers any more'; return 0; }
    sleep "${PEER_CHECKS.delaySeconds}"
  done
  log "ERROR: old etcd members still answer after fencing ($PEERS); check that their instances terminated"
  return 1
}

# After the restored cluster serves, the fenced nodes come back; they join it afresh.
unfence_old_members() {
  local group groups
  read -r -a groups < "$MARKERS/fenced"
  for group in "\${groups[@]}"; do
    log "fencing over: scaling $group back to 1; its new node joins the restored cluster"
    retry 3 10 aws autoscaling update-auto-scaling-group --region "$REGION" --auto-scaling-group-name "$group" --min-size 1 --max-size 1 --desired-capacity 1 \\
      || log "could not scale $group back to 1; the next deploy does, or: aws autoscaling update-auto-scaling-group --auto-scaling-group-name $group --min-size 1 --max-size 1 --desired-capacity 1"
  done
  rm -f "$MARKERS/fenced"
}

# A control-plane node that joins never brings old etcd data: the member this node's address had is
# removed through a peer (etcd's way to replace a failed member), and its data directory emptied.
remove_stale_member() {
  local dir ip members id
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


# A cluster found again (restored from a snapshot, taken back from this node's volume, or joined
# after a replacement) may still hold this node's Node object, registered by the instance this one
# replaces. Its provider ID names that instance, and the API server never lets a set provider ID
# change, so the kubelet keeps it: the routed network, the load balancers and the autoscaler would
# all look for the old instance. The object is deleted and registered afresh by this kubelet;
# kubeadm's control-plane label and taint go with it, so its mark-control-plane step runs again.
reclaim_node_object() {
  local name want have i
  name=$(node_name)
  # The bootstrap's own provider_id, as set_provider_id gave it to the kubelet.
  want=$(provider_id) || return 1
  have=$(retry ${NODE_OBJECT.attempts} ${NODE_OBJECT.delaySeconds} node_provider_id "$name") \
    || { log "ERROR: could not read the Node $name; check the API server on this node (kubectl --kubeconfig $ADMIN_CONF get --raw /readyz)"; return 1; }
  # A run that deleted the Node and then stopped (a kubelet slow to register, a reboot) leaves its
  # marker: the run after it finds the Node with the right ID, but still has to finish the job.
  if [ ! -f "$MARKERS/node-reregistering" ]; then
    if [ -z "$have" ] || [ "$have" = "$want" ]; then
      return 0
    fi
    log "the Node $name still names the instance this one replaces ($have): registering it again as $want"
    touch "$MARKERS/node-reregistering"
    retry 3 10 kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s delete node "$name" --wait=true > /dev/null \
      || { log "ERROR: could not delete the Node $name; check the API server on this node (kubectl --kubeconfig $ADMIN_CONF get --raw /readyz)"; return 1; }
    systemctl restart kubelet
  fi
  for ((i = 1; i <= ${NODE_OBJECT.attempts}; i++)); do
    have=$(node_provider_id "$name") || have=''
    [ "$have" = "$want" ] && break
    sleep ${NODE_OBJECT.delaySeconds}
  done
  if [ "$have" != "$want" ]; then
    log "ERROR: the kubelet did not register the Node $name again within ${NODE_OBJECT.attempts * NODE_OBJECT.delaySeconds} s; check its log (journalctl -u kubelet)"
    return 1
  fi
  mark_control_plane || { log "ERROR: could not label and taint the Node $name as a control-plane node again; run kubeadm's mark-control-plane phase by hand"; return 1; }
  # The pods still bound to this node name came with the old Node (the network plugin's agent among
  # them, whose per-node state went with it): deleted, their controllers make them afresh for the
  # new Node, and the kubelet its static pods' mirrors.
  retry 3 10 kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s delete pods --all-namespaces --field-selector "spec.nodeName=$name" --wait=false > /dev/null \
    || { log "ERROR: could not delete the pods bound to the old Node $name; check the API server on this node"; return 1; }
  rm -f "$MARKERS/node-reregistering"
  log "the Node $name is registered again with provider ID $want"
}

# kubeadm's mark-control-plane step, for this node whichever way it started: from a configuration
# of its own rather than the node's join configuration, whose discovery would need the bootstrap
# token. Its node registration is kubeadm's default (the node's host name, the control-plane
# taint), as the nodes' own configurations have it. kubeadm talks to the API server on this node
# (its local endpoint), with the node's admin.conf.
mark_control_plane() {
  local config rc=0
  config=$(mktemp)
  printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: "%s"\n  bindPort: 6443\nnodeRegistration:\n  criSocket: "%s"\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: "%s"\n' \
    "$SELF_IP" "$CRI_SOCKET" "$KUBERNETES_VERSION" > "$config"
  retry 3 10 kubeadm init phase mark-control-plane --config "$config" || rc=$?
  rm -f "$config"
  return "$rc"
}

${SHARED_FUNCTIONS.nodeName}

node_provider_id() {
  kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=10s get node "$1" -o 'jsonpath={.spec.providerID}' 2> /dev/null
}

# The node that started the cluster (or took back one without a generation) records it, unless a
# generation is there already (a node that joined, or the snapshot program that named it).
new_generation() { printf '%s-%s' "$(date -u +%Y%m%dT%H%M%SZ)" "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \\n')"; }

record_new_generation() {
  local id current
  current=$(ssm_get "$GENERATION_PARAMETER") || return 1
  [[ $current =~ $GENERATION_PATTERN ]] && return 0
  id=$(new_generation)
  retry "$PUBLISH_ATTEMPTS" "$PUBLISH_DELAY_SECONDS" aws ssm put-parameter --region "$REGION" --name "$GENERATION_PARAMETER" --type String --overwrite --value "$id" > /dev/null \
    || { log "ERROR: could not record the cluster generation in $GENERATION_PARAMETER (this node's right to write it)"; return 1; }
  log "cluster generation $id recorded in $GENERATION_PARAMETER"
}

# etcd's own EBS volume, which outlives the instance: attached by this node (the volume may still be
# leaving the instance it replaces, so attaching is retried), given a file system on its very first
# attach only, and mounted at /var/lib/etcd. On Nitro instances the volume is an NVMe device whose
# serial is the volume id, which udev links under /dev/disk/by-id.
attach_volume() {
  local instance device i errors
  device="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_\${ETCD_VOLUME//-/}"
  if ! [ -e "$ROOT$device" ]; then
    instance=$(retry "$IMDS_ATTEMPTS" 2 imds meta-data/instance-id) || fail 'could not read the instance id from instance metadata'
    errors=$(mktemp)
    for ((i = 1; i <= ${VOLUME_ATTACH.attempts}; i++)); do
      timeout "$AWS_CALL_TIMEOUT_SECONDS" aws ec2 attach-volume --region "$REGION" --volume-id "$ETCD_VOLUME" --instance-id "$instance" --device "${ETCD_VOLUME_DEVICE}" > /dev/null 2> "$errors" \
        || log "attaching the etcd volume $ETCD_VOLUME (attempt $i of ${VOLUME_ATTACH.attempts}): $(tail -n 1 "$errors")"
      sleep "${VOLUME_ATTACH.delaySeconds}"
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
