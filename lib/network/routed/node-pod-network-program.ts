import { renderNodeProgram, SHARED_FUNCTIONS } from '../../bootstrap/node-program';
import { oneshotService, UnitFile } from '../../bootstrap/systemd';
import { VPC_ROUTES_BRIDGE, VPC_ROUTES_CNI_CONFIG_PATH, VPC_ROUTES_NETWORK, VPC_MTU } from '../../cni/vpc-routes';
import { Cidr } from '../../plan/cidr';

/** Where the channel installs the program, and the unit that runs it at every boot. */
export const NODE_POD_NETWORK_PROGRAM_PATH = '/usr/local/sbin/kubeadm-vpc-routes-node';
export const NODE_POD_NETWORK_SERVICE = 'kubeadm-vpc-routes-node.service';
/** The nftables table that holds the node's masquerade rule, and nothing else. */
export const MASQUERADE_TABLE = 'kubeadm_vpc_routes';

export interface NodePodNetworkProgramProps {
  /** The plan's pod range (kube-controller-manager's `--cluster-cidr`). */
  readonly podCidr: string;
  readonly vpcCidr: string;
  /** Where the program looks for things; tests point these into a sandbox. */
  readonly paths?: { readonly kubeletConfig?: string; readonly cniConfig?: string };
  /** How long to wait for the Node's `spec.podCIDR` in one run, in polls 5 s apart. @default 120 */
  readonly podCidrPolls?: number;
}

/**
 * The routed pod network on one node, run at every boot (a oneshot that systemd retries): waits
 * until the kubelet has registered the Node and kube-controller-manager has given it
 * `spec.podCIDR`, writes the bridge CNI configuration for that range (containerd picks it up and the
 * node turns Ready), and loads the masquerade rule. Idempotent: it rewrites both each time.
 *
 * Masquerade: pods keep their own address towards other pods and the VPC (the pod range and the
 * VPC range are not translated); everything else (the internet, through the node's public address
 * or a NAT gateway, which knows no route back to pod addresses) leaves with the node's address.
 */
export function nodePodNetworkProgram(props: NodePodNetworkProgramProps): string {
  const pod = Cidr.parse(props.podCidr).toString();
  const vpc = Cidr.parse(props.vpcCidr).toString();
  const template = JSON.stringify({
    cniVersion: '1.0.0',
    name: VPC_ROUTES_NETWORK,
    plugins: [
      { type: 'bridge', bridge: VPC_ROUTES_BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true, mtu: VPC_MTU, ipam: { type: 'host-local', ranges: [[{ subnet: '@NODE_POD_CIDR@' }]], routes: [{ dst: '0.0.0.0/0' }] } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
  const body = `
${SHARED_FUNCTIONS.nodeName}

# The Node's range, once kube-controller-manager has allocated it (the kubelet's own credentials
# may read its own Node: the Node authorizer).
node_pod_cidr() {
  kubectl --kubeconfig "$KUBELET_CONFIG" --request-timeout=10s get node "$1" -o 'jsonpath={.spec.podCIDR}' 2> /dev/null
}

name=$(node_name)
cidr=''
for ((i = 1; i <= POD_CIDR_POLLS; i++)); do
  if [ -s "$KUBELET_CONFIG" ]; then
    cidr=$(node_pod_cidr "$name" || true)
    [ -n "$cidr" ] && break
  fi
  sleep 5
done
[ -n "$cidr" ] || fail "node $name has no spec.podCIDR after $POD_CIDR_POLLS polls; check that the kubelet registered it (kubectl get node $name) and that kube-controller-manager runs with --allocate-node-cidrs and --cluster-cidr=$POD_CIDR"
[[ "$cidr" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$ ]] || fail "node $name has spec.podCIDR '$cidr', not an IPv4 range"
log "node $name owns $cidr"

install -d -m 0755 "$(dirname "$CNI_CONFIG")"
tmp=$(mktemp "$CNI_CONFIG.XXXXXX")
printf '%s\\n' "\${CNI_TEMPLATE//@NODE_POD_CIDR@/$cidr}" > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$CNI_CONFIG"
log "wrote $CNI_CONFIG (bridge $BRIDGE, host-local $cidr, MTU $MTU)"

# One transaction: create (so that delete never fails), delete, and load the table afresh.
nft -f - <<NFT
table ip $MASQUERADE_TABLE
delete table ip $MASQUERADE_TABLE
table ip $MASQUERADE_TABLE {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $POD_CIDR ip daddr != { $POD_CIDR, $VPC_CIDR } masquerade
  }
}
NFT
log "masquerading $POD_CIDR to everything but $POD_CIDR and $VPC_CIDR (nft table ip $MASQUERADE_TABLE)"
`;
  return renderNodeProgram({
    name: 'kubeadm-vpc-routes-node',
    description: 'Writes the routed pod network of this node: its bridge CNI configuration and its masquerade rule',
    settings: [
      ['POD_CIDR', pod],
      ['VPC_CIDR', vpc],
      ['MTU', VPC_MTU],
      ['BRIDGE', VPC_ROUTES_BRIDGE],
      ['MASQUERADE_TABLE', MASQUERADE_TABLE],
      ['KUBELET_CONFIG', props.paths?.kubeletConfig ?? '/etc/kubernetes/kubelet.conf'],
      ['CNI_CONFIG', props.paths?.cniConfig ?? VPC_ROUTES_CNI_CONFIG_PATH],
      ['POD_CIDR_POLLS', props.podCidrPolls ?? 120],
      ['CNI_TEMPLATE', template],
    ],
    body,
  });
}

/** Runs the program at every boot, and again (with backoff) until it succeeds. */
export function nodePodNetworkUnit(): UnitFile {
  return oneshotService({
    name: NODE_POD_NETWORK_SERVICE,
    description: 'Routed pod network of this node (CNI configuration and masquerade rule)',
    execStart: NODE_POD_NETWORK_PROGRAM_PATH,
    retry: true,
    startAtBoot: true,
    timeout: '15min',
  });
}
