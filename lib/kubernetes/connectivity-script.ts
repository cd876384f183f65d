/**
 * The connectivity check's script (POSIX sh, for the check image's busybox and curl):
 * - the nodes: at least `EXPECTED_NODES` Ready, each with an AWS provider ID and none still
 *   waiting for the cloud controller manager (`node.cloudprovider.kubernetes.io/uninitialized`),
 *   read from the API with the Job's service account; it waits `NODE_WAIT_SECONDS` for late joiners;
 * - the pod network: every nginx pod by its pod IP, found through a headless Service, then the
 *   Service by its cluster IP and by DNS name;
 * - source addresses: every nginx pod says which address the request came from
 *   (`/client-address`), and it must be this pod's own (`POD_IP`): pod-to-pod traffic is never
 *   translated, over an overlay or over the VPC's routes;
 * - egress: a pod reaches `EGRESS_URL` on the internet, which answers with the address it saw
 *   (checkip.amazonaws.com does): a pod's own address cannot be answered from the internet, so an
 *   answer, and one that is not the pod's address, shows the node translated it.
 * It reads the service account's token and CA from `SA_DIR`. The script holds no `$\{` or `%\{`:
 * Terraform would read them as its own template sequences.
 * Kept apart from the construct so that tests can run it, and shellcheck, on exactly what the Job runs.
 */
export const CONNECTIVITY_SCRIPT = `set -eu
failed=0
check() {
  if wget -q -T 5 -O /dev/null "http://$2/"; then
    echo "ok      $1 http://$2/"
  else
    echo "FAILED  $1 http://$2/"
    failed=1
  fi
}
# count TEXT PATTERN: how many times PATTERN occurs in TEXT.
count() {
  printf '%s' "$1" | grep -o "$2" | grep -c . || true
}
# The node list as compact JSON (the API server pretty-prints for curl unless told not to).
nodes_json() {
  curl -sS --fail -m 10 -A kubeadm-connectivity-check --cacert "$SA_DIR/ca.crt" \\
    -H "Authorization: Bearer $(cat "$SA_DIR/token")" \\
    "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/nodes?pretty=false"
}
deadline=$(($(date +%s) + NODE_WAIT_SECONDS))
while :; do
  json=$(nodes_json) || json=''
  nodes=$(count "$json" '"kubeletVersion":')
  ready=$(count "$json" '"type":"Ready","status":"True"')
  with_id=$(count "$json" '"providerID":"aws:///[a-z0-9-]*/i-[0-9a-f]*"')
  waiting=$(count "$json" 'node.cloudprovider.kubernetes.io/uninitialized')
  if [ "$ready" -ge "$EXPECTED_NODES" ] && [ "$with_id" -eq "$nodes" ] && [ "$waiting" -eq 0 ]; then
    break
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    break
  fi
  echo "waiting for nodes: $ready of $EXPECTED_NODES Ready, $with_id of $nodes with a provider ID, $waiting not initialised by the cloud controller manager"
  sleep 10
done
if [ -z "$json" ]; then
  echo "FAILED  nodes: the API server did not list the nodes (is the check's ClusterRole bound?)"
  failed=1
else
  if [ "$ready" -ge "$EXPECTED_NODES" ]; then
    echo "ok      nodes: $ready Ready, at least $EXPECTED_NODES expected"
  else
    echo "FAILED  nodes: $ready Ready, at least $EXPECTED_NODES expected (the control plane and each pool's minimum)"
    failed=1
  fi
  if [ "$with_id" -eq "$nodes" ] && [ "$waiting" -eq 0 ]; then
    echo "ok      nodes: every node has its AWS provider ID and is initialised"
  else
    echo "FAILED  nodes: $with_id of $nodes have an AWS provider ID, $waiting still wait for the cloud controller manager (check its pods in kube-system)"
    failed=1
  fi
fi
pod_ips=$(nslookup "$PODS_DNS_NAME" | awk '/^Name:/ { found = 1 } found && /^Address/ { print $2 }' | sort)
found=$(echo "$pod_ips" | grep -c . || true)
if [ "$found" -ne "$EXPECTED_PODS" ]; then
  echo "FAILED  DNS: $PODS_DNS_NAME lists $found pod IPs, expected $EXPECTED_PODS (is cluster DNS running?)"
  failed=1
fi
for ip in $pod_ips; do
  check "pod IP (pod network, across nodes)" "$ip"
  seen=$(wget -q -T 5 -O - "http://$ip/client-address" 2> /dev/null | tr -d '[:space:]') || seen=''
  if [ "$seen" = "$POD_IP" ]; then
    echo "ok      source address kept: pod $ip saw this pod's own address $POD_IP"
  else
    echo "FAILED  source address: pod $ip saw '$seen', not this pod's address $POD_IP (pod-to-pod traffic must not be translated: check the plugin's masquerade rules)"
    failed=1
  fi
done
check "Service cluster IP (kube-proxy)" "$SERVICE_IP"
check "Service DNS name (cluster DNS)" "$SERVICE_DNS_NAME"
if egress=$(curl -sS --fail -m 10 --retry 3 "$EGRESS_URL"); then
  egress=$(printf '%s' "$egress" | tr -d '[:space:]')
  if [ -n "$egress" ] && [ "$egress" = "$POD_IP" ]; then
    echo "FAILED  egress to the internet ($EGRESS_URL): it saw this pod's own address $POD_IP, untranslated"
    failed=1
  else
    echo "ok      egress to the internet ($EGRESS_URL), translated: it saw $egress, not this pod's $POD_IP"
  fi
else
  echo "FAILED  egress to the internet ($EGRESS_URL): check the NAT gateway and the routes of the node subnets, and that the node masquerades pod traffic to the internet"
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "The cluster check failed; see the lines marked FAILED above."
  exit 1
fi
echo "The cluster works: its nodes are Ready and initialised, every pod and the Service answered with pod addresses kept, and pods reach the internet through the node's address."
`;
