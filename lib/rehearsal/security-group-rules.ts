import { IP_PROTOCOL_NUMBERS } from '../network/ports';
import { Cidr } from '../plan/cidr';
import { isRecord, securityGroupIdOf, TerraformJson } from './terraform-json';

/** Where a rule lets traffic come from (ingress) or go to (egress). */
export type RulePeer =
  | { readonly kind: 'group'; readonly groupId: string }
  | { readonly kind: 'cidr'; readonly cidr: string }
  /** A peer no node can match here: an IPv6 range, a prefix list, a group outside the stack. */
  | { readonly kind: 'other'; readonly text: string };

/** One security group rule, in one shape whichever Terraform resource wrote it. */
export interface SecurityGroupRule {
  readonly direction: 'ingress' | 'egress';
  /** Logical id of the `aws_security_group` the rule belongs to. */
  readonly groupId: string;
  /** IP protocol number, or every protocol. */
  readonly protocol: number | 'all';
  /** First port (tcp/udp) or ICMP type; undefined for every port or type. */
  readonly fromPort?: number;
  /** Last port (tcp/udp) or ICMP code; undefined for every port or code. */
  readonly toPort?: number;
  readonly peer: RulePeer;
  readonly description?: string;
  /** Where the rule is in the stack, for messages: `aws_vpc_security_group_ingress_rule.api`. */
  readonly origin: string;
}

export interface SecurityGroupRules {
  readonly rules: readonly SecurityGroupRule[];
  /** Rules the rehearsal could not read (a token where a number belongs, an unknown protocol). */
  readonly warnings: readonly string[];
}

const PROTOCOL_NAMES: Readonly<Record<string, number>> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, esp: IP_PROTOCOL_NUMBERS.esp, ipip: IP_PROTOCOL_NUMBERS.ipip };

/**
 * Every security group rule of the stack, from the three ways Terraform writes them: the
 * per-rule `aws_vpc_security_group_ingress_rule` / `_egress_rule` resources, the older
 * `aws_security_group_rule`, and `ingress` / `egress` blocks inline in `aws_security_group`.
 */
export function readSecurityGroupRules(stack: TerraformJson): SecurityGroupRules {
  const rules: SecurityGroupRule[] = [];
  const warnings: string[] = [];
  const resources = stack.resource ?? {};
  const add = (origin: string, direction: 'ingress' | 'egress', groupRef: unknown, body: Record<string, unknown>, peers: RulePeer[]) => {
    const groupId = securityGroupIdOf(groupRef);
    if (!groupId) {
      warnings.push(`${origin}: its security group ${JSON.stringify(groupRef)} is not an aws_security_group of this stack; skipped`);
      return;
    }
    // The per-rule resources call the field ip_protocol, the older forms protocol.
    const rule = normaliseProtocol(body.ip_protocol ?? body.protocol, body.from_port, body.to_port);
    if (typeof rule === 'string') {
      warnings.push(`${origin}: ${rule}; skipped`);
      return;
    }
    if (peers.length === 0) {
      warnings.push(`${origin}: names no source or destination; skipped`);
    }
    const description = typeof body.description === 'string' ? body.description : undefined;
    for (const peer of peers) {
      rules.push({ direction, groupId, ...rule, peer, ...(description ? { description } : {}), origin });
    }
  };

  for (const direction of ['ingress', 'egress'] as const) {
    for (const [name, body] of Object.entries(resources[`aws_vpc_security_group_${direction}_rule`] ?? {})) {
      const origin = `aws_vpc_security_group_${direction}_rule.${name}`;
      const peers: RulePeer[] = [];
      if (body.referenced_security_group_id !== undefined) {
        peers.push(groupPeer(body.referenced_security_group_id));
      }
      if (body.cidr_ipv4 !== undefined) {
        peers.push(cidrPeer(body.cidr_ipv4));
      }
      for (const field of ['cidr_ipv6', 'prefix_list_id']) {
        if (body[field] !== undefined) {
          peers.push({ kind: 'other', text: `${field} ${String(body[field])}` });
        }
      }
      add(origin, direction, body.security_group_id, body, peers);
    }
  }

  for (const [name, body] of Object.entries(resources.aws_security_group_rule ?? {})) {
    const direction = body.type === 'egress' ? 'egress' : body.type === 'ingress' ? 'ingress' : undefined;
    const origin = `aws_security_group_rule.${name}`;
    if (!direction) {
      warnings.push(`${origin}: type ${JSON.stringify(body.type)} is neither ingress nor egress; skipped`);
      continue;
    }
    const peers = legacyPeers(body, body.security_group_id);
    if (body.source_security_group_id !== undefined) {
      peers.push(groupPeer(body.source_security_group_id));
    }
    add(origin, direction, body.security_group_id, body, peers);
  }

  for (const [name, group] of Object.entries(resources.aws_security_group ?? {})) {
    for (const direction of ['ingress', 'egress'] as const) {
      const blocks = group[direction];
      if (!Array.isArray(blocks)) {
        continue;
      }
      blocks.forEach((block: unknown, i: number) => {
        if (isRecord(block)) {
          const self = `\${aws_security_group.${name}.id}`;
          const peers = legacyPeers(block, self);
          if (Array.isArray(block.security_groups)) {
            peers.push(...block.security_groups.map(groupPeer));
          }
          add(`aws_security_group.${name} ${direction}[${i}]`, direction, self, block, peers);
        }
      });
    }
  }
  return { rules, warnings };
}

/** The rules that apply to the given groups (a cluster's own), in stack order. */
export function rulesOfGroups(rules: readonly SecurityGroupRule[], groupIds: readonly string[]): SecurityGroupRule[] {
  return rules.filter((r) => groupIds.includes(r.groupId));
}

function groupPeer(reference: unknown): RulePeer {
  const groupId = securityGroupIdOf(reference);
  return groupId ? { kind: 'group', groupId } : { kind: 'other', text: `security group ${String(reference)}` };
}

function cidrPeer(text: unknown): RulePeer {
  const parsed = typeof text === 'string' ? Cidr.tryParse(text) : 'is not a string';
  return typeof parsed === 'string' ? { kind: 'other', text: `cidr ${String(text)}` } : { kind: 'cidr', cidr: parsed.toString() };
}

/** Peers of the list-valued forms (`cidr_blocks`, `self`, ...) shared by inline and legacy rules. */
function legacyPeers(body: Record<string, unknown>, selfReference: unknown): RulePeer[] {
  const peers: RulePeer[] = [];
  if (Array.isArray(body.cidr_blocks)) {
    peers.push(...body.cidr_blocks.map(cidrPeer));
  }
  if (body.self === true) {
    peers.push(groupPeer(selfReference));
  }
  for (const field of ['ipv6_cidr_blocks', 'prefix_list_ids']) {
    const value = body[field];
    if (Array.isArray(value) && value.length > 0) {
      peers.push({ kind: 'other', text: `${field} ${value.join(', ')}` });
    }
  }
  return peers;
}

type ProtocolAndPorts = Pick<SecurityGroupRule, 'protocol' | 'fromPort' | 'toPort'>;

/**
 * Turns AWS's protocol and port fields into one shape. AWS takes names or numbers, and `-1` for
 * every protocol; ports are ignored for protocols without them, and `-1` means any ICMP type/code.
 */
function normaliseProtocol(protocolValue: unknown, fromValue: unknown, toValue: unknown): ProtocolAndPorts | string {
  const text = String(protocolValue ?? '').trim().toLowerCase();
  let protocol: number | 'all';
  if (text === '-1' || text === 'all') {
    return { protocol: 'all' };
  } else if (text in PROTOCOL_NAMES) {
    protocol = PROTOCOL_NAMES[text];
  } else if (/^\d{1,3}$/.test(text) && Number(text) <= 255) {
    protocol = Number(text);
  } else {
    return `protocol ${JSON.stringify(protocolValue)} is not a protocol name or number`;
  }
  if (protocol !== 6 && protocol !== 17 && protocol !== 1) {
    return { protocol };
  }
  const from = toNumber(fromValue);
  const to = toNumber(toValue);
  if (from === 'bad' || to === 'bad') {
    return `ports ${JSON.stringify(fromValue)}-${JSON.stringify(toValue)} are not numbers (a Terraform expression?)`;
  }
  if (protocol === 1) {
    return { protocol, ...(from !== undefined && from >= 0 ? { fromPort: from } : {}), ...(to !== undefined && to >= 0 ? { toPort: to } : {}) };
  }
  if (from === undefined || from < 0 || (from === 0 && to === 65535)) {
    return { protocol };
  }
  return { protocol, fromPort: from, toPort: to === undefined || to < from ? from : to };
}

function toNumber(value: unknown): number | undefined | 'bad' {
  if (value === undefined || value === null) {
    return undefined;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) ? n : 'bad';
}
