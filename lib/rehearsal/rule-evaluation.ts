import { Cidr, parseIp } from '../plan/cidr';
import type { SecurityGroupRule } from './security-group-rules';
import type { RehearsalNode } from './topology';
import { describeTraffic, Traffic } from './traffic-names';

/**
 * A packet crossing the "VPC" between two nodes: what the security groups judge. For an overlay
 * that is the encapsulated packet between node IPs; for plain routing the pod packet itself.
 */
export interface UnderlayFlow extends Traffic {
  /** Node that sends it (its group's egress rules apply). */
  readonly sender: RehearsalNode;
  /** Source address on the wire: the node's IP, or a pod IP when routed. */
  readonly sourceIp: string;
  /** Node that receives it (its group's ingress rules apply). */
  readonly receiver: RehearsalNode;
  readonly destinationIp: string;
  /** ICMP type and code, for ICMP flows. */
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/** The rules that let a flow out of its sender and into its receiver, if any do. */
export interface FlowVerdict {
  readonly egress?: SecurityGroupRule;
  readonly ingress?: SecurityGroupRule;
}

/** Judges a flow the way AWS does: some egress rule of the sender's group and some ingress rule of the receiver's must allow it. */
export function judgeFlow(rules: readonly SecurityGroupRule[], nodes: readonly RehearsalNode[], flow: UnderlayFlow): FlowVerdict {
  const egress = rules.find((r) => r.direction === 'egress' && r.groupId === flow.sender.groupId && matchesTraffic(r, flow) && peerMatches(r, flow.destinationIp, nodes));
  const ingress = rules.find((r) => r.direction === 'ingress' && r.groupId === flow.receiver.groupId && matchesTraffic(r, flow) && peerMatches(r, flow.sourceIp, nodes));
  return { ...(egress ? { egress } : {}), ...(ingress ? { ingress } : {}) };
}

/**
 * Why the security groups stop a flow, in words, or undefined if they let it through. Names the
 * traffic and the roles: "the security groups allow no udp/6784 (Weave Net fast datapath) from
 * worker to worker".
 */
export function explainFlow(rules: readonly SecurityGroupRule[], nodes: readonly RehearsalNode[], flow: UnderlayFlow, pluginName?: string): string | undefined {
  const verdict = judgeFlow(rules, nodes, flow);
  const traffic = describeTraffic(flow, pluginName);
  const podSourced = !nodes.some((n) => n.ip === flow.sourceIp);
  const source = podSourced ? `pods (${flow.sourceIp}) on ${flow.sender.role}` : flow.sender.role;
  const reasons: string[] = [];
  if (!verdict.ingress) {
    const hint = podSourced ? ' (routed pod traffic carries pod addresses, which rules naming a security group do not match; allow the pod range as a CIDR)' : '';
    reasons.push(`the security groups allow no ${traffic} from ${source} to ${flow.receiver.role}${hint}`);
  }
  if (!verdict.egress) {
    reasons.push(`the security groups allow no egress ${traffic} from ${flow.sender.role} to ${flow.receiver.role} (Terraform removes AWS's default allow-all egress rule)`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

export function matchesTraffic(rule: SecurityGroupRule, traffic: Traffic & { readonly icmpType?: number; readonly icmpCode?: number }): boolean {
  if (rule.protocol === 'all') {
    return true;
  }
  if (rule.protocol !== traffic.protocol) {
    return false;
  }
  if (traffic.protocol === 1) {
    return (rule.fromPort === undefined || rule.fromPort === traffic.icmpType) && (rule.toPort === undefined || rule.toPort === traffic.icmpCode);
  }
  if (traffic.protocol === 6 || traffic.protocol === 17) {
    return rule.fromPort === undefined || (traffic.port !== undefined && traffic.port >= rule.fromPort && traffic.port <= (rule.toPort ?? rule.fromPort));
  }
  return true;
}

/** Whether an address is the rule's peer: a member node of the referenced group, or inside the CIDR. */
export function peerMatches(rule: SecurityGroupRule, ip: string, nodes: readonly RehearsalNode[]): boolean {
  const peer = rule.peer;
  if (peer.kind === 'group') {
    return nodes.some((n) => n.ip === ip && n.groupId === peer.groupId);
  }
  if (peer.kind === 'cidr') {
    const address = parseIp(ip);
    return address !== undefined && Cidr.parse(peer.cidr).containsAddress(address);
  }
  return false;
}
