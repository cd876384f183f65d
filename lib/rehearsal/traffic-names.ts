import { IP_PROTOCOL_NUMBERS, KUBERNETES_PORTS } from '../network/ports';

/** Traffic as the security groups see it: an IP protocol, and a port for tcp/udp. */
export interface Traffic {
  readonly protocol: number;
  readonly port?: number;
}

interface NamedTraffic extends Traffic {
  /** Plugin names (as descriptions carry them) the name applies to; undefined for any. */
  readonly plugins?: readonly string[];
  readonly name: string;
}

const { tcp, udp, ipip } = IP_PROTOCOL_NUMBERS;

// What each port is for, so that a failure says "udp/6784 (Weave Net fast datapath)" rather than
// a bare number. From the plugins' documentation (shared/reference/cni-facts.md).
const NAMES: readonly NamedTraffic[] = [
  { plugins: ['weave-net', 'weave'], protocol: udp, port: 6784, name: 'Weave Net fast datapath' },
  { plugins: ['weave-net', 'weave'], protocol: udp, port: 6783, name: 'Weave Net sleeve' },
  { plugins: ['weave-net', 'weave'], protocol: tcp, port: 6783, name: 'Weave Net control' },
  { plugins: ['flannel'], protocol: udp, port: 8472, name: 'Flannel VXLAN' },
  { plugins: ['cilium'], protocol: udp, port: 8472, name: 'Cilium VXLAN' },
  { plugins: ['cilium'], protocol: udp, port: 6081, name: 'Cilium Geneve' },
  { plugins: ['cilium'], protocol: tcp, port: 4240, name: 'Cilium health checks' },
  { plugins: ['calico'], protocol: udp, port: 4789, name: 'Calico VXLAN' },
  { plugins: ['calico'], protocol: tcp, port: 179, name: 'Calico BGP' },
  { plugins: ['calico'], protocol: tcp, port: 5473, name: 'Calico Typha' },
  { plugins: ['calico'], protocol: ipip, name: 'Calico IP-in-IP' },
  { protocol: udp, port: 8472, name: 'VXLAN (Linux default port)' },
  { protocol: udp, port: 4789, name: 'VXLAN (IANA port)' },
  { protocol: ipip, name: 'IP-in-IP' },
  ...KUBERNETES_PORTS.map((rule) => ({ protocol: tcp, port: rule.fromPort, name: rule.description })),
];

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 4: 'ipip', 50: 'esp' };

/**
 * `udp/6784 (Weave Net fast datapath)`, `tcp/6443 (Kubernetes API server)`,
 * `ipip (IP protocol 4, Calico IP-in-IP)`: the way the port tables and AWS write it, plus what it is for.
 */
export function describeTraffic(traffic: Traffic, pluginName?: string): string {
  const protocol = PROTOCOL_NAMES[traffic.protocol];
  const name = nameOf(traffic, pluginName);
  if (traffic.protocol === 6 || traffic.protocol === 17) {
    const base = traffic.port !== undefined ? `${protocol}/${traffic.port}` : protocol;
    return name ? `${base} (${name})` : base;
  }
  const number = traffic.protocol === 1 ? undefined : `IP protocol ${traffic.protocol}`;
  const notes = [number, name].filter((n) => n !== undefined);
  return `${protocol ?? `protocol ${traffic.protocol}`}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function nameOf(traffic: Traffic, pluginName?: string): string | undefined {
  const matches = NAMES.filter((n) => n.protocol === traffic.protocol && n.port === traffic.port);
  const own = matches.find((n) => n.plugins !== undefined && pluginName !== undefined && n.plugins.includes(pluginName));
  return (own ?? matches.find((n) => n.plugins === undefined))?.name;
}
