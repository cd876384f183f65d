import type { SecurityGroupRule } from './security-group-rules';
import type { RehearsalNode, RehearsalService } from './topology';

/** Traffic the negative control drops ahead of every security group rule. */
export interface BlockedTraffic {
  /** An nftables match, for example `udp dport 8472`. */
  readonly match: string;
  /** What it stands for, for the rule comment and the report. */
  readonly why: string;
}

export interface NodeFirewallInput {
  /** nftables table name (a valid identifier, carrying the run's prefix). */
  readonly table: string;
  /** The node whose namespace the table goes into. */
  readonly node: RehearsalNode;
  /** Every emulated node, to turn group references into the member nodes' IPs. */
  readonly nodes: readonly RehearsalNode[];
  /** The cluster's security group rules (those of other groups are ignored). */
  readonly rules: readonly SecurityGroupRule[];
  /**
   * The Service kube-proxy would program on every node.
   * @default - no Service rules
   */
  readonly service?: RehearsalService;
  /**
   * Traffic to drop before the security group rules (the negative control).
   * @default - nothing extra is dropped
   */
  readonly block?: BlockedTraffic;
  /**
   * The node's interface to the "VPC", where security groups apply.
   * @default 'eth0'
   */
  readonly vpcInterface?: string;
}

/**
 * The node's security groups and its kube-proxy Service as one nftables table (`nft -f` text).
 *
 * Security groups are stateful and filter only what crosses the instance's network interface, so
 * the table filters only traffic in and out of the VPC interface, accepts established and related
 * packets, and drops the rest unless a rule of the node's group allows it. A rule referencing a
 * group matches the IPs of that group's member nodes (a named set), a CIDR rule matches its range.
 */
export function compileNodeFirewall(input: NodeFirewallInput): string {
  const vpc = input.vpcInterface ?? 'eth0';
  const own = input.rules.filter((r) => r.groupId === input.node.groupId);
  const referenced = [...new Set(own.flatMap((r) => (r.peer.kind === 'group' ? [r.peer.groupId] : [])))];
  const setName = (groupId: string) => `group_${referenced.indexOf(groupId)}`;

  const lines: string[] = [`table ip ${input.table} {`];
  for (const groupId of referenced) {
    const members = input.nodes.filter((n) => n.groupId === groupId).map((n) => n.ip);
    lines.push(`\t# members of aws_security_group.${groupId}`, `\tset ${setName(groupId)} {`, '\t\ttype ipv4_addr');
    if (members.length > 0) {
      lines.push(`\t\telements = { ${members.join(', ')} }`);
    }
    lines.push('\t}');
  }
  for (const direction of ['ingress', 'egress'] as const) {
    lines.push(`\tchain sg_${direction} {`);
    if (direction === 'ingress' && input.block) {
      lines.push(`\t\t${input.block.match} counter drop comment ${quote(`negative control: ${input.block.why}`)}`);
    }
    lines.push('\t\tct state established,related accept');
    for (const rule of own.filter((r) => r.direction === direction)) {
      const peer = peerMatch(rule, direction === 'ingress' ? 'saddr' : 'daddr', setName);
      if (peer === undefined) {
        lines.push(`\t\t# ${rule.origin}: its peer (${rule.peer.kind === 'other' ? rule.peer.text : ''}) is no node's address; no rule`);
        continue;
      }
      const match = [peer, protocolMatch(rule)].filter((m) => m !== '').join(' ');
      lines.push(`\t\t${match ? `${match} ` : ''}accept comment ${quote(rule.description ? `${rule.origin}: ${rule.description}` : rule.origin)}`);
    }
    lines.push(`\t\tcounter drop comment ${quote(`no rule of aws_security_group.${input.node.groupId} allows it`)}`, '\t}');
  }
  lines.push(
    '\tchain filter_input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    `\t\tiifname "${vpc}" jump sg_ingress`,
    '\t}',
    // Plainly routed pod traffic crosses the interface without being addressed to the node.
    '\tchain filter_forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    `\t\tiifname "${vpc}" jump sg_ingress`,
    `\t\toifname "${vpc}" jump sg_egress`,
    '\t}',
    '\tchain filter_output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    `\t\toifname "${vpc}" jump sg_egress`,
    '\t}',
  );
  if (input.service && input.service.endpoints.length > 0) {
    lines.push(...serviceChains(input.service));
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * kube-proxy's nftables shape in small: the Service chain picks an endpoint at random and each
 * endpoint chain DNATs to its pod. Hooked in prerouting (pods' traffic) and output (the node's).
 */
function serviceChains(service: RehearsalService): string[] {
  const picks = service.endpoints.map((_, i) => `${i} : jump kube_sep_${i}`).join(', ');
  return [
    '\tchain kube_services {',
    `\t\tip daddr ${service.ip} tcp dport ${service.port} numgen random mod ${service.endpoints.length} vmap { ${picks} }`,
    '\t}',
    ...service.endpoints.flatMap((pod, i) => [`\tchain kube_sep_${i} {`, `\t\tmeta l4proto tcp dnat to ${pod.ip}:${service.targetPort} comment ${quote(pod.name)}`, '\t}']),
    '\tchain nat_prerouting {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    '\t\tjump kube_services',
    '\t}',
    '\tchain nat_output {',
    '\t\ttype nat hook output priority -100; policy accept;',
    '\t\tjump kube_services',
    '\t}',
  ];
}

function peerMatch(rule: SecurityGroupRule, field: 'saddr' | 'daddr', setName: (groupId: string) => string): string | undefined {
  switch (rule.peer.kind) {
    case 'group':
      return `ip ${field} @${setName(rule.peer.groupId)}`;
    case 'cidr':
      return rule.peer.cidr === '0.0.0.0/0' ? '' : `ip ${field} ${rule.peer.cidr}`;
    default:
      return undefined;
  }
}

/** The nftables match for a rule's protocol and ports (empty for every protocol). */
export function protocolMatch(rule: Pick<SecurityGroupRule, 'protocol' | 'fromPort' | 'toPort'>): string {
  if (rule.protocol === 'all') {
    return '';
  }
  const name = rule.protocol === 6 ? 'tcp' : rule.protocol === 17 ? 'udp' : undefined;
  if (name) {
    if (rule.fromPort === undefined) {
      return `ip protocol ${name}`;
    }
    const to = rule.toPort ?? rule.fromPort;
    return `${name} dport ${to === rule.fromPort ? rule.fromPort : `${rule.fromPort}-${to}`}`;
  }
  if (rule.protocol === 1) {
    return ['ip protocol icmp', rule.fromPort !== undefined ? `icmp type ${rule.fromPort}` : '', rule.toPort !== undefined ? `icmp code ${rule.toPort}` : '']
      .filter((m) => m !== '')
      .join(' ');
  }
  return `ip protocol ${rule.protocol}`;
}

/** An nftables comment: quoted, without quotes inside, within nftables' 128-byte limit. */
function quote(text: string): string {
  const clean = text.replace(/["\\\n]/g, "'");
  return `"${clean.length > 120 ? `${clean.slice(0, 117)}...` : clean}"`;
}

/** nft input that replaces the table whole, atomically: declaring it first makes the delete safe. */
export function replaceTable(table: string, definition: string): string {
  return `table ip ${table}\ndelete table ip ${table}\n${definition}`;
}
