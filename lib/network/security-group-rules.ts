import { Cidr, parseIp } from '../plan/cidr';
import { Problem, ProblemList } from '../plan/problems';
import { ALL_NODE_ROLES, API_SERVER_PORT, formatPortRule, IP_PROTOCOL_NUMBERS, NODE_PORT_RANGE, NodeRole, PortProtocol, PortRule, SSH_PORT } from './ports';

// Pure: turns port tables and access lists into the flat list of security-group rules, so that what
// is open can be tested without synthesising. The construct only turns these into resources.

/** Whether traffic enters the group (ingress) or leaves it (egress). */
export type RuleDirection = 'ingress' | 'egress';

/** One security-group rule resource to create. Exactly one of `peerRole` and `cidr` is set. */
export interface SecurityGroupRuleSpec {
  /** Construct id of the rule, readable and derived from everything that makes it distinct. */
  readonly id: string;
  readonly direction: RuleDirection;
  /** The group the rule belongs to. */
  readonly group: NodeRole;
  /** The table's protocol, or `all` for the egress rule. */
  readonly protocol: PortProtocol | 'all';
  /** The value for the `ip_protocol` argument: a name for tcp/udp/icmp, else the IANA number. */
  readonly ipProtocol: string;
  /** First port (tcp/udp) or ICMP type. */
  readonly fromPort?: number;
  /** Last port (tcp/udp) or ICMP code. */
  readonly toPort?: number;
  /** The nodes on the other side, by their group. */
  readonly peerRole?: NodeRole;
  /** The addresses on the other side. */
  readonly cidr?: string;
  readonly description: string;
}

/** The rules and the things about them worth a warning. */
export interface SecurityGroupRulePlan {
  readonly rules: readonly SecurityGroupRuleSpec[];
  readonly warnings: readonly Problem[];
}

export interface SecurityGroupRuleInput {
  /** Port tables of traffic between nodes (the Kubernetes ports, the network plugin's ports). */
  readonly portTables: ReadonlyArray<{ readonly property: string; readonly rules: readonly PortRule[] }>;
  /**
   * The VPC's range, from which the nodes also admit ICMP "fragmentation needed".
   * @default - none: that ICMP message is admitted from anywhere only
   */
  readonly vpcCidr?: string;
  /**
   * The pod range, when pod packets cross the VPC with their own addresses (the routed pod network):
   * every node admits it, all protocols. Rules naming a group match only the nodes' own addresses.
   * @default - none: pod traffic arrives encapsulated, between node addresses
   */
  readonly podCidr?: string;
  /** @default - none */
  readonly apiAccessCidrs?: readonly string[];
  /** @default - none */
  readonly sshAccessCidrs?: readonly string[];
  /** @default - none */
  readonly nodePortAccessCidrs?: readonly string[];
  /**
   * Tells values known only at deploy time (tokens) from literals, so that those are not parsed.
   * @default - every value is a literal
   */
  readonly isUnresolved?: (value: string) => boolean;
}

/** Where every node may send traffic: packages, images and AWS APIs are on the internet. */
export const ANYWHERE = '0.0.0.0/0';

/**
 * ICMP destination unreachable (type 3), fragmentation needed (code 4): how a router on the path
 * tells a node to send smaller packets. Without it path MTU discovery fails and large transfers
 * across a smaller-MTU path hang (AWS's guidance for security groups).
 */
export const FRAGMENTATION_NEEDED = { protocol: 'icmp', fromPort: 3, toPort: 4 } as const;

/** AWS's character set for security-group rule descriptions. */
const DESCRIPTION_CHARS = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/;
const MAX_DESCRIPTION_LENGTH = 255;
const PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp', 'icmp', 'esp', 'ipip'];

/**
 * Plans every rule of the control-plane and worker groups: the port tables between nodes (each
 * referencing the source role's group), the API server, SSH and NodePorts from the listed CIDRs,
 * and one egress rule per group. Throws a `ClusterConfigError` listing every bad input.
 */
export function planSecurityGroupRules(input: SecurityGroupRuleInput): SecurityGroupRulePlan {
  const problems = new ProblemList();
  const warnings = new ProblemList();
  const isUnresolved = input.isUnresolved ?? (() => false);

  for (const table of input.portTables) {
    table.rules.forEach((rule, i) => checkPortRule(problems, rule, `${table.property}[${i}]`));
  }
  const vpc = input.vpcCidr === undefined || isUnresolved(input.vpcCidr) ? input.vpcCidr : checkVpcCidr(problems, input.vpcCidr);
  const podRange = input.podCidr === undefined ? undefined : checkRangeCidr(problems, 'podCidr', input.podCidr);
  const access = {
    api: checkAccessCidrs(problems, warnings, 'apiAccessCidrs', input.apiAccessCidrs, isUnresolved),
    ssh: checkAccessCidrs(problems, warnings, 'sshAccessCidrs', input.sshAccessCidrs, isUnresolved),
    nodePort: checkAccessCidrs(problems, warnings, 'nodePortAccessCidrs', input.nodePortAccessCidrs, isUnresolved),
  };
  problems.throwIfAny();

  const rules = new RuleSet();
  for (const table of input.portTables) {
    table.rules.forEach((rule) => rules.addAll(nodeRulesFor(rule)));
  }
  const fromCidrs = (cidrs: readonly AccessCidr[], groups: readonly NodeRole[], ports: { readonly fromPort: number; readonly toPort: number }, description: string) => {
    const row = { protocol: 'tcp' as const, ...ports };
    for (const group of groups) {
      for (const { cidr, idPart } of cidrs) {
        rules.add({ ...portFields(row), id: `ingress-${group}-from-${idPart}-${portsIdPart(row)}`, direction: 'ingress', group, cidr, description });
      }
    }
  };
  if (podRange !== undefined) {
    for (const group of ALL_NODE_ROLES) {
      // Only the pod range: it lies outside the VPC's range but is routed only inside the VPC.
      rules.add({ id: `ingress-${group}-from-pod-range-all`, direction: 'ingress', group, protocol: 'all', ipProtocol: '-1', cidr: podRange, description: 'Pods on every node, routed with their own addresses (routed pod network)' });
    }
  }
  fromCidrs(access.api, ['control-plane'], { fromPort: API_SERVER_PORT, toPort: API_SERVER_PORT }, 'Kubernetes API server from apiAccessCidrs');
  fromCidrs(access.ssh, ALL_NODE_ROLES, { fromPort: SSH_PORT, toPort: SSH_PORT }, 'SSH from sshAccessCidrs');
  // NodePorts are a worker port in kubeadm's port list; the control plane keeps its surface small.
  fromCidrs(access.nodePort, ['worker'], NODE_PORT_RANGE, 'NodePort services from nodePortAccessCidrs');
  // The one thing the world may send every node: routers' replies for path MTU discovery.
  const icmpSources = [{ cidr: ANYWHERE, idPart: 'anywhere', description: 'ICMP fragmentation needed from anywhere: path MTU discovery' }];
  if (vpc !== undefined) {
    icmpSources.push({ cidr: vpc, idPart: 'vpc', description: 'ICMP fragmentation needed from the VPC: path MTU discovery' });
  }
  for (const group of ALL_NODE_ROLES) {
    for (const { cidr, idPart, description } of icmpSources) {
      rules.add({ ...portFields(FRAGMENTATION_NEEDED), id: `ingress-${group}-from-${idPart}-${portsIdPart(FRAGMENTATION_NEEDED)}`, direction: 'ingress', group, cidr, description });
    }
  }
  for (const group of ALL_NODE_ROLES) {
    rules.add({ id: `egress-${group}-all`, direction: 'egress', group, protocol: 'all', ipProtocol: '-1', cidr: ANYWHERE, description: 'All traffic out: packages, images and AWS APIs' });
  }
  return { rules: rules.list, warnings: warnings.problems };
}

/**
 * The ingress rules one table row stands for: one per (receiving role, source role), each
 * referencing the source role's group rather than any address range.
 */
export function nodeRulesFor(rule: PortRule): SecurityGroupRuleSpec[] {
  return unique(rule.to).flatMap((group) =>
    unique(rule.from).map((peerRole) => ({
      ...portFields(rule),
      id: `ingress-${group}-from-${peerRole}-${portsIdPart(rule)}`,
      direction: 'ingress' as const,
      group,
      peerRole,
      description: rule.description,
    })),
  );
}

/** Adds a problem for each way `rule` cannot become a security-group rule. */
export function checkPortRule(problems: ProblemList, rule: PortRule, property: string): void {
  const { description, protocol, fromPort, toPort } = rule;
  if (typeof description !== 'string' || description.trim() === '') {
    problems.add(`${property}.description`, description, 'is empty', 'say what the port is for; it becomes the rule description');
  } else if (description.length > MAX_DESCRIPTION_LENGTH || !DESCRIPTION_CHARS.test(description)) {
    problems.add(`${property}.description`, description, `AWS accepts rule descriptions of at most ${MAX_DESCRIPTION_LENGTH} characters from a-z A-Z 0-9 space and . _ - : / ( ) # , @ [ ] + = & ; { } ! $ *`, 'shorten it or drop the other characters');
  }
  if (!PROTOCOLS.includes(protocol)) {
    problems.add(`${property}.protocol`, protocol, 'is not a protocol the rules can carry', `use one of ${PROTOCOLS.join(', ')}`);
  } else if (protocol === 'tcp' || protocol === 'udp') {
    for (const [name, port] of [['fromPort', fromPort], ['toPort', toPort]] as const) {
      if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
        problems.add(`${property}.${name}`, port, `a ${protocol} rule needs a port from 0 to 65535`, `set ${name} to a whole number from 0 to 65535`);
      }
    }
    if (fromPort !== undefined && toPort !== undefined && fromPort > toPort) {
      problems.add(`${property}.toPort`, toPort, `is below fromPort ${fromPort}`, 'give the range as fromPort <= toPort');
    }
  } else if (protocol === 'icmp') {
    for (const [name, value, what] of [['fromPort', fromPort, 'ICMP type'], ['toPort', toPort, 'ICMP code']] as const) {
      if (value === undefined || !Number.isInteger(value) || value < -1 || value > 255) {
        problems.add(`${property}.${name}`, value, `an icmp rule carries the ${what} here, from 0 to 255 (-1 for all)`, `set ${name} to the ${what}, for example 8 and 0 for echo requests`);
      }
    }
  } else if (fromPort !== undefined || toPort !== undefined) {
    problems.add(`${property}.fromPort`, `${fromPort}-${toPort}`, `${protocol} has no ports`, 'leave fromPort and toPort out');
  }
  for (const side of ['to', 'from'] as const) {
    const roles = rule[side];
    if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => !ALL_NODE_ROLES.includes(r))) {
      problems.add(`${property}.${side}`, roles, side === 'to' ? 'must name the roles that receive the traffic' : 'must name the roles the traffic comes from; rules between nodes never use address ranges', `list one or more of ${ALL_NODE_ROLES.join(', ')}`);
    }
  }
}

function checkVpcCidr(problems: ProblemList, text: string): string | undefined {
  return checkRangeCidr(problems, 'vpcCidr', text);
}

function checkRangeCidr(problems: ProblemList, property: 'vpcCidr' | 'podCidr', text: string): string | undefined {
  const parsed = Cidr.tryParse(text);
  if (typeof parsed === 'string') {
    problems.add(property, text, parsed, property === 'vpcCidr' ? 'give the VPC\'s IPv4 range, for example 10.0.0.0/16' : 'give the pod IPv4 range, for example 10.200.0.0/16');
    return undefined;
  }
  return parsed.toString();
}

interface AccessCidr {
  readonly cidr: string;
  /** Part of the construct id that names the source. */
  readonly idPart: string;
}

function checkAccessCidrs(problems: ProblemList, warnings: ProblemList, property: string, cidrs: readonly string[] | undefined, isUnresolved: (value: string) => boolean): AccessCidr[] {
  const accepted: AccessCidr[] = [];
  (cidrs ?? []).forEach((text, i) => {
    const at = `${property}[${i}]`;
    if (isUnresolved(text)) {
      // Known only at deploy time: AWS checks it then. The index keeps the id stable and unique.
      accepted.push({ cidr: text, idPart: `${kebab(property)}-${i}` });
      return;
    }
    const parsed = Cidr.tryParse(text);
    if (typeof parsed === 'string') {
      const canonical = /the range it names is (\S+)/.exec(parsed);
      const fix = canonical
        ? `write it as ${canonical[1]}`
        : typeof text === 'string' && parseIp(text.trim()) !== undefined
          ? `write ${text.trim()}/32 for that one address`
          : 'write an IPv4 CIDR such as 203.0.113.0/24 (IPv6 ranges are not supported)';
      problems.add(at, text, parsed, fix);
      return;
    }
    const cidr = parsed.toString();
    if (accepted.some((a) => a.cidr === cidr)) {
      problems.add(at, text, 'is listed more than once', 'list each range once');
      return;
    }
    if (parsed.prefix === 0) {
      warnings.add(at, text, 'opens the port to the whole internet', 'list only the ranges that need access, for example your office or VPN range');
    }
    accepted.push({ cidr, idPart: cidr.replace(/[./]/g, '-') });
  });
  return accepted;
}

function portFields(rule: Pick<PortRule, 'protocol' | 'fromPort' | 'toPort'>): Pick<SecurityGroupRuleSpec, 'protocol' | 'ipProtocol' | 'fromPort' | 'toPort'> {
  const named = rule.protocol === 'tcp' || rule.protocol === 'udp' || rule.protocol === 'icmp';
  return {
    protocol: rule.protocol,
    ipProtocol: ipProtocolOf(rule.protocol),
    ...(named ? { fromPort: rule.fromPort, toPort: rule.toPort } : {}),
  };
}

/** The `ip_protocol` value AWS wants: tcp, udp and icmp by name, the others by IANA number. */
export function ipProtocolOf(protocol: PortProtocol): string {
  // AWS takes tcp, udp and icmp by name, every other protocol by its number.
  return protocol === 'tcp' || protocol === 'udp' || protocol === 'icmp' ? protocol : String(IP_PROTOCOL_NUMBERS[protocol]);
}

/** `tcp-6443`, `udp-6783-6784`, `icmp-8-0`, `esp`. */
function portsIdPart(rule: Pick<PortRule, 'protocol' | 'fromPort' | 'toPort'>): string {
  if (rule.protocol === 'esp' || rule.protocol === 'ipip') {
    return rule.protocol;
  }
  if (rule.protocol === 'icmp') {
    return `icmp-${rule.fromPort}-${rule.toPort}`;
  }
  return rule.fromPort === rule.toPort ? `${rule.protocol}-${rule.fromPort}` : `${rule.protocol}-${rule.fromPort}-${rule.toPort}`;
}

/**
 * Rules in the order first added. A rule that repeats one already present (same group, peer,
 * protocol and ports) is dropped: AWS refuses duplicates, and the first description stays.
 */
class RuleSet {
  private readonly byId = new Map<string, SecurityGroupRuleSpec>();

  public add(rule: SecurityGroupRuleSpec): boolean {
    if (this.byId.has(rule.id)) {
      return false;
    }
    this.byId.set(rule.id, rule);
    return true;
  }

  public addAll(rules: readonly SecurityGroupRuleSpec[]): void {
    rules.forEach((r) => this.add(r));
  }

  public get list(): SecurityGroupRuleSpec[] {
    return [...this.byId.values()];
  }
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function kebab(text: string): string {
  return text.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A rule as people write it, for messages: `worker <- control-plane tcp/10250`. */
export function describeRule(rule: SecurityGroupRuleSpec): string {
  const peer = rule.peerRole ?? rule.cidr;
  const ports = rule.protocol === 'all' ? 'all' : formatPortRule({ protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort });
  return rule.direction === 'ingress' ? `${rule.group} <- ${peer} ${ports}` : `${rule.group} -> ${peer} ${ports}`;
}
