import { Cidr } from '../plan/cidr';
import type { BlockedTraffic } from './nftables';
import type { RehearsalNode, RehearsalPod, Topology } from './topology';

/** One command that builds part of the emulated network. `argv[0]` is `ip`, `bridge` or `nft`. */
export interface Step {
  readonly argv: readonly string[];
  /** Standard input for the command. */
  readonly input?: string;
}

/** The namespaces of one rehearsal: every name starts with the run's prefix. */
export class Namespaces {
  constructor(public readonly prefix: string) {}

  /** The "VPC": one bridge every node's interface is plugged into. */
  public get vpc(): string {
    return `${this.prefix}vpc`;
  }

  public node(node: RehearsalNode): string {
    return `${this.prefix}n${node.index}`;
  }

  public pod(node: RehearsalNode, pod: RehearsalPod): string {
    return `${this.prefix}n${node.index}p${pod.index}`;
  }

  /** Every namespace of the topology, the VPC first. */
  public all(topology: Topology): string[] {
    return [this.vpc, ...topology.nodes.flatMap((n) => [this.node(n), ...n.pods.map((p) => this.pod(n, p))])];
  }
}

/** Interface names inside the namespaces (the namespaces are the run's own, so the names need no prefix). */
export const LINKS = {
  vpcBridge: 'vpc0',
  /** A node's interface to the VPC bridge, and a pod's to its node's bridge. */
  uplink: 'eth0',
  podBridge: 'cni0',
  vxlan: 'vxlan0',
  ipip: 'ipip0',
} as const;

/** MTU of the VXLAN device: the VPC's 1500 less VXLAN's 50 bytes of headers. */
const TUNNEL_MTU = 1450;
/** MTU of the IP-in-IP device: 1500 less the outer IPv4 header. */
const IPIP_MTU = 1480;
/** VXLAN network identifier; Flannel also uses 1. */
const VNI = 1;

/**
 * The commands that build the topology in already created namespaces, in order. Every command
 * names its namespace (`ip -n`), so nothing is ever done in the namespace the rehearsal runs in.
 */
export function buildNetworkSteps(topology: Topology, names: Namespaces): Step[] {
  const steps: Step[] = [];
  const ip = (ns: string, ...args: string[]) => steps.push({ argv: ['ip', '-n', ns, ...args] });
  const vpcPrefix = Cidr.parse(topology.vpcCidr);

  ip(names.vpc, 'link', 'set', 'lo', 'up');
  ip(names.vpc, 'link', 'add', LINKS.vpcBridge, 'type', 'bridge');
  ip(names.vpc, 'link', 'set', LINKS.vpcBridge, 'up');

  for (const node of topology.nodes) {
    const ns = names.node(node);
    const port = `n${node.index}`;
    // Both ends are created straight in their namespaces: no link ever appears in the caller's.
    ip(names.vpc, 'link', 'add', port, 'type', 'veth', 'peer', 'name', LINKS.uplink, 'netns', ns);
    ip(names.vpc, 'link', 'set', port, 'master', LINKS.vpcBridge, 'up');
    ip(ns, 'link', 'set', 'lo', 'up');
    ip(ns, 'addr', 'add', `${node.ip}/${Cidr.parse(node.subnetCidr).prefix}`, 'dev', LINKS.uplink);
    ip(ns, 'link', 'set', LINKS.uplink, 'up');
    // AWS routes every subnet of the VPC locally; on one bridge, the VPC range on-link does the same.
    if (vpcPrefix.toString() !== node.subnetCidr) {
      ip(ns, 'route', 'replace', topology.vpcCidr, 'dev', LINKS.uplink);
    }
    steps.push({ argv: ['ip', 'netns', 'exec', ns, 'tee', '/proc/sys/net/ipv4/ip_forward'], input: '1\n' });

    const nodeMask = Cidr.parse(node.podCidr).prefix;
    ip(ns, 'link', 'add', LINKS.podBridge, 'type', 'bridge');
    ip(ns, 'addr', 'add', `${node.gatewayIp}/${nodeMask}`, 'dev', LINKS.podBridge);
    ip(ns, 'link', 'set', LINKS.podBridge, 'up');
    for (const pod of node.pods) {
      const podNs = names.pod(node, pod);
      const hostEnd = `veth${pod.index}`;
      ip(ns, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', LINKS.uplink, 'netns', podNs);
      ip(ns, 'link', 'set', hostEnd, 'master', LINKS.podBridge, 'up');
      ip(podNs, 'link', 'set', 'lo', 'up');
      ip(podNs, 'addr', 'add', `${pod.ip}/${nodeMask}`, 'dev', LINKS.uplink);
      ip(podNs, 'link', 'set', LINKS.uplink, 'up');
      ip(podNs, 'route', 'add', 'default', 'via', node.gatewayIp);
    }
  }

  for (const node of topology.nodes) {
    steps.push(...datapathSteps(topology, node, names));
  }
  return steps;
}

/** How a node reaches the other nodes' pod ranges: the plugin's overlay, or plain routes. */
function datapathSteps(topology: Topology, node: RehearsalNode, names: Namespaces): Step[] {
  const ns = names.node(node);
  const steps: Step[] = [];
  const ip = (...args: string[]) => steps.push({ argv: ['ip', '-n', ns, ...args] });
  const peers = topology.nodes.filter((n) => n !== node);
  const { datapath } = topology;
  switch (datapath.encapsulation) {
    case 'vxlan': {
      // Flannel's design: one VXLAN device, no learning; each peer is a static neighbour (its
      // VTEP address and MAC), an FDB entry (that MAC lives behind the peer's node IP) and a route.
      ip('link', 'add', LINKS.vxlan, 'type', 'vxlan', 'id', String(VNI), 'dstport', String(datapath.port), 'local', node.ip, 'dev', LINKS.uplink, 'nolearning');
      ip('link', 'set', LINKS.vxlan, 'address', node.tunnelMac, 'mtu', String(TUNNEL_MTU));
      ip('addr', 'add', `${node.tunnelIp}/32`, 'dev', LINKS.vxlan);
      ip('link', 'set', LINKS.vxlan, 'up');
      for (const peer of peers) {
        ip('neigh', 'replace', peer.tunnelIp, 'lladdr', peer.tunnelMac, 'dev', LINKS.vxlan, 'nud', 'permanent');
        steps.push({ argv: ['bridge', '-n', ns, 'fdb', 'append', peer.tunnelMac, 'dev', LINKS.vxlan, 'dst', peer.ip] });
        ip('route', 'replace', peer.podCidr, 'via', peer.tunnelIp, 'dev', LINKS.vxlan, 'onlink');
      }
      break;
    }
    case 'ipip':
      // A TUN device that the IP-in-IP tunnel program (ipip-tunnel.ts) serves: pod ranges of the
      // peers route into it, and it sends IP protocol 4 between node IPs, as Calico's tunl0 does.
      ip('tuntap', 'add', 'mode', 'tun', 'name', LINKS.ipip);
      ip('link', 'set', LINKS.ipip, 'mtu', String(IPIP_MTU), 'up');
      ip('addr', 'add', `${node.tunnelIp}/32`, 'dev', LINKS.ipip);
      for (const peer of peers) {
        ip('route', 'replace', peer.podCidr, 'dev', LINKS.ipip);
      }
      break;
    case 'routed':
      for (const peer of peers) {
        ip('route', 'replace', peer.podCidr, 'via', peer.ip, 'dev', LINKS.uplink);
      }
      break;
  }
  return steps;
}

/**
 * The routed negative control: the node whose VPC route goes (the last one, whose pods are the
 * Service's endpoints too), as the route reconciler would leave it if it never routed that node.
 */
export function routeRemovalTarget(topology: Topology): RehearsalNode | undefined {
  return topology.datapath.encapsulation === 'routed' && topology.nodes.length > 1 ? topology.nodes[topology.nodes.length - 1] : undefined;
}

/**
 * Removes `target`'s route from every other node: in the emulation, each node's routes to the
 * peers' pod ranges stand for the entries of the VPC's route tables, so this is the one VPC route
 * to `target`'s pods gone.
 */
export function routeRemovalSteps(topology: Topology, names: Namespaces, target: RehearsalNode): Step[] {
  return topology.nodes.filter((n) => n !== target).map((n) => ({ argv: ['ip', '-n', names.node(n), 'route', 'del', target.podCidr] }));
}

/** What the negative control blocks: the datapath's own traffic between nodes. */
export function datapathBlock(topology: Topology): BlockedTraffic {
  const { datapath } = topology;
  switch (datapath.encapsulation) {
    case 'vxlan':
      return { match: `udp dport ${datapath.port}`, why: `udp/${datapath.port} dropped` };
    case 'ipip':
      return { match: 'ip protocol 4', why: 'IP protocol 4 (IP-in-IP) dropped' };
    case 'routed':
      return { match: `ip saddr ${topology.podCidr}`, why: `traffic from the pod range ${topology.podCidr} dropped` };
  }
}
