/** The two kinds of node a cluster has; each gets its own security group. */
export type NodeRole = 'control-plane' | 'worker';

export const ALL_NODE_ROLES: readonly NodeRole[] = ['control-plane', 'worker'];

/**
 * IP protocols a rule can carry. `esp` (IP protocol 50) carries encrypted overlays, `ipip` (IP
 * protocol 4) carries Calico's IP-in-IP, `icmp` carries health pings.
 */
export type PortProtocol = 'tcp' | 'udp' | 'icmp' | 'esp' | 'ipip';

/** IANA protocol numbers, as the AWS API wants them for protocols other than tcp, udp and icmp. */
export const IP_PROTOCOL_NUMBERS: Readonly<Record<PortProtocol, number>> = { tcp: 6, udp: 17, icmp: 1, esp: 50, ipip: 4 };

/**
 * One kind of traffic allowed between the cluster's nodes. Security groups are generated from
 * tables of these, so what is open is data that tests can hold against the sources.
 */
export interface PortRule {
  /** What the port is for, shown in the rule's description. */
  readonly description: string;
  readonly protocol: PortProtocol;
  /** First port (tcp/udp) or ICMP type. Absent for protocols without ports. */
  readonly fromPort?: number;
  /** Last port (tcp/udp) or ICMP code. Absent for protocols without ports. */
  readonly toPort?: number;
  /** Nodes that receive the traffic (whose group gets the ingress rule). */
  readonly to: readonly NodeRole[];
  /** Nodes the traffic may come from (the groups the rule references as its source). */
  readonly from: readonly NodeRole[];
}

/** The API server's port. */
export const API_SERVER_PORT = 6443;

/**
 * Kubernetes' own ports between nodes, after the kubeadm documentation's "Ports and Protocols".
 * NodePorts (30000-32767) are not here: they are opened only from CIDRs the user lists.
 */
export const KUBERNETES_PORTS: readonly PortRule[] = [
  { description: 'Kubernetes API server', protocol: 'tcp', fromPort: API_SERVER_PORT, toPort: API_SERVER_PORT, to: ['control-plane'], from: ['control-plane', 'worker'] },
  { description: 'etcd server client API', protocol: 'tcp', fromPort: 2379, toPort: 2380, to: ['control-plane'], from: ['control-plane'] },
  { description: 'kubelet API', protocol: 'tcp', fromPort: 10250, toPort: 10250, to: ['control-plane', 'worker'], from: ['control-plane', 'worker'] },
  { description: 'kube-scheduler', protocol: 'tcp', fromPort: 10259, toPort: 10259, to: ['control-plane'], from: ['control-plane'] },
  { description: 'kube-controller-manager', protocol: 'tcp', fromPort: 10257, toPort: 10257, to: ['control-plane'], from: ['control-plane'] },
];

/** The NodePort range, opened only from CIDRs the user lists. */
export const NODE_PORT_RANGE = { fromPort: 30000, toPort: 32767 } as const;


/** A rule between every node and every other node, whatever their role. */
export function betweenAllNodes(rule: Omit<PortRule, 'to' | 'from'>): PortRule {
  return { ...rule, to: ALL_NODE_ROLES, from: ALL_NODE_ROLES };
}

/** Renders a rule's protocol and ports the way people write them (`udp/6783-6784`). */
export function formatPortRule(rule: Pick<PortRule, 'protocol' | 'fromPort' | 'toPort'>): string {
  if (rule.fromPort === undefined) {
    return rule.protocol;
  }
  if (rule.protocol === 'icmp') {
    return `icmp type ${rule.fromPort} code ${rule.toPort}`;
  }
  return rule.fromPort === rule.toPort ? `${rule.protocol}/${rule.fromPort}` : `${rule.protocol}/${rule.fromPort}-${rule.toPort}`;
}

/** SSH, opened only from CIDRs the user lists (SSM Session Manager is the default way in). */
export const SSH_PORT = 22;
