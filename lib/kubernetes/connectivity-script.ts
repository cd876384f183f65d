/**
 * The connectivity check's script (POSIX sh for busybox): reach every nginx pod by its pod IP,
 * found through a headless Service, then the Service by its cluster IP and by DNS name. Kept
 * apart from the construct so that tests can run shellcheck on exactly what the Job runs.
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
pod_ips=$(nslookup "$PODS_DNS_NAME" | awk '/^Name:/ { found = 1 } found && /^Address/ { print $2 }' | sort)
count=$(echo "$pod_ips" | grep -c . || true)
if [ "$count" -ne "$EXPECTED_PODS" ]; then
  echo "FAILED  DNS: $PODS_DNS_NAME lists $count pod IPs, expected $EXPECTED_PODS (is cluster DNS running?)"
  failed=1
fi
for ip in $pod_ips; do
  check "pod IP (pod network, across nodes)" "$ip"
done
check "Service cluster IP (kube-proxy)" "$SERVICE_IP"
check "Service DNS name (cluster DNS)" "$SERVICE_DNS_NAME"
if [ "$failed" -ne 0 ]; then
  echo "The pod network check failed: pods cannot reach each other or the Service. Check the network plugin's pods in kube-system and the security group rules for its ports."
  exit 1
fi
echo "The pod network works: every pod and the Service answered."
`;
