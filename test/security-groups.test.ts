import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AnnotationMetadataEntryType, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { calicoPorts, ciliumPorts, flannelPorts, weavePorts } from '../lib/cni/ports';
import { ClusterNetwork } from '../lib/network/cluster-network';
import { ClusterSecurityGroups, ClusterSecurityGroupsProps } from '../lib/network/security-groups';
import { KUBERNETES_PORTS, NodeRole, PortRule } from '../lib/network/ports';
import { AddressPlan } from '../lib/plan/address-plan';
import { ClusterConfigError } from '../lib/plan/problems';

type Json = Record<string, any>;

interface Synthesised {
  readonly json: Json;
  readonly groups: ClusterSecurityGroups;
}

function synth(props: Partial<ClusterSecurityGroupsProps> = {}, more?: (groups: ClusterSecurityGroups) => void): Synthesised {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const groups = new ClusterSecurityGroups(stack, 'sg', { clusterName: 'demo', vpcId: 'vpc-0123456789abcdef0', ...props });
  more?.(groups);
  return { json: JSON.parse(Testing.synth(stack, true)), groups };
}

/** A synthesised rule with its group references turned back into role names. */
interface Rule {
  readonly key: string;
  readonly group: NodeRole;
  readonly peer?: NodeRole;
  readonly cidr?: string;
  readonly ipProtocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly description: string;
  readonly raw: Json;
}

function rolesByReference(json: Json): Map<string, NodeRole> {
  const roles = new Map<string, NodeRole>();
  for (const [key, group] of Object.entries<Json>(json.resource.aws_security_group)) {
    const role = group.name === 'demo-control-plane' ? 'control-plane' : group.name === 'demo-worker' ? 'worker' : undefined;
    if (!role) {
      throw new Error(`unexpected group ${group.name}`);
    }
    roles.set(`\${aws_security_group.${key}.id}`, role);
  }
  return roles;
}

function rulesOf(json: Json, type: 'aws_vpc_security_group_ingress_rule' | 'aws_vpc_security_group_egress_rule'): Rule[] {
  const roles = rolesByReference(json);
  return Object.entries<Json>(json.resource[type] ?? {}).map(([key, r]) => ({
    key,
    group: roles.get(r.security_group_id)!,
    peer: r.referenced_security_group_id === undefined ? undefined : roles.get(r.referenced_security_group_id),
    cidr: r.cidr_ipv4,
    ipProtocol: r.ip_protocol,
    fromPort: r.from_port,
    toPort: r.to_port,
    description: r.description,
    raw: r,
  }));
}

// Written independently of the library's mapping, so that a wrong mapping there fails here.
const EXPECTED_IP_PROTOCOL: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', esp: '50', ipip: '4' };

function signature(group: string, peer: string, ipProtocol: string, fromPort?: number, toPort?: number): string {
  return `${group} <- ${peer} ${ipProtocol} ${fromPort ?? ''}-${toPort ?? ''}`;
}

/** Every (to, from) pair of every row, as the rules that must exist between nodes. */
function expectedNodeRules(table: readonly PortRule[]): Map<string, string> {
  const expected = new Map<string, string>();
  for (const row of [...KUBERNETES_PORTS, ...table]) {
    const ports = ['tcp', 'udp', 'icmp'].includes(row.protocol);
    for (const to of row.to) {
      for (const from of row.from) {
        const key = signature(to, from, EXPECTED_IP_PROTOCOL[row.protocol], ports ? row.fromPort : undefined, ports ? row.toPort : undefined);
        if (!expected.has(key)) {
          expected.set(key, row.description);
        }
      }
    }
  }
  return expected;
}

const PLUGIN_TABLES: Array<[string, PortRule[]]> = [
  ['Weave Net', weavePorts()],
  ['Weave Net with encryption', weavePorts({ encryption: true })],
  ['Flannel', flannelPorts()],
  ['Cilium', ciliumPorts()],
  ['Cilium with WireGuard', ciliumPorts({ wireguard: true })],
  ['Calico VXLAN', calicoPorts({ encapsulation: 'VXLAN' })],
  ['Calico IP-in-IP', calicoPorts({ encapsulation: 'IPIP' })],
];

/** A rule from an address range, as `group <- cidr protocol type-code`. */
function pathMtuSignature(rule: Rule): string {
  return signature(rule.group, rule.cidr ?? '?', rule.ipProtocol, rule.fromPort, rule.toPort);
}

/** ICMP destination unreachable, fragmentation needed: type 3, code 4. */
const isFragmentationNeeded = (rule: Rule) => rule.ipProtocol === 'icmp' && rule.fromPort === 3 && rule.toPort === 4;

function warningsOf(groups: ClusterSecurityGroups): string[] {
  return groups.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
}

describe('security group rules held against the port tables', () => {
  test.each(PLUGIN_TABLES)('%s: exactly the Kubernetes and plugin ports are open between nodes', (_name, table) => {
    const { json, groups } = synth({ pluginPorts: table });
    const all = rulesOf(json, 'aws_vpc_security_group_ingress_rule');
    const ingress = all.filter((r) => r.cidr === undefined);
    const expected = expectedNodeRules(table);
    // Besides node-to-node traffic, only path MTU discovery's ICMP comes in, from anywhere.
    expect(all.filter((r) => r.cidr !== undefined).map(pathMtuSignature).sort()).toEqual(['control-plane <- 0.0.0.0/0 icmp 3-4', 'worker <- 0.0.0.0/0 icmp 3-4']);

    const actual = new Map(ingress.map((r) => [signature(r.group, r.peer ?? r.cidr ?? '?', r.ipProtocol, r.fromPort, r.toPort), r.description]));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(ingress).toHaveLength(expected.size);
    for (const [key, description] of expected) {
      expect(actual.get(key)).toBe(description);
    }
    for (const rule of ingress) {
      // Between nodes the source is always a group, never an address range.
      expect(rule.peer).toBeDefined();
      expect(rule.raw).not.toHaveProperty('cidr_ipv4');
      expect(rule.raw).not.toHaveProperty('cidr_ipv6');
      expect(rule.raw).not.toHaveProperty('prefix_list_id');
      expect(rule.group).toBeDefined();
    }
    expect(warningsOf(groups)).toEqual([]);
  });

  test('Weave Net, spelled out: TCP 6783 and UDP 6783-6784 between every pair of groups', () => {
    const ingress = rulesOf(synth({ pluginPorts: weavePorts() }).json, 'aws_vpc_security_group_ingress_rule');
    const weave = ingress.filter((r) => r.description.startsWith('Weave')).map((r) => signature(r.group, r.peer!, r.ipProtocol, r.fromPort, r.toPort));
    expect(weave.sort()).toEqual([
      'control-plane <- control-plane tcp 6783-6783',
      'control-plane <- control-plane udp 6783-6784',
      'control-plane <- worker tcp 6783-6783',
      'control-plane <- worker udp 6783-6784',
      'worker <- control-plane tcp 6783-6783',
      'worker <- control-plane udp 6783-6784',
      'worker <- worker tcp 6783-6783',
      'worker <- worker udp 6783-6784',
    ]);
    // 9 Kubernetes rules (API 2, etcd 1, kubelet 4, scheduler 1, controller-manager 1) + 8 Weave
    // rules + path MTU discovery's ICMP on each group.
    expect(ingress).toHaveLength(19);
  });

  test('protocols without ports go by number; ICMP carries type and code', () => {
    const esp = rulesOf(synth({ pluginPorts: weavePorts({ encryption: true }) }).json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.description.includes('ESP'));
    expect(esp).toHaveLength(4);
    for (const rule of esp) {
      expect(rule.ipProtocol).toBe('50');
      expect(rule.raw).not.toHaveProperty('from_port');
      expect(rule.raw).not.toHaveProperty('to_port');
    }
    const ipip = rulesOf(synth({ pluginPorts: calicoPorts({ encapsulation: 'IPIP' }) }).json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.description === 'Calico IP-in-IP');
    expect(ipip.map((r) => r.ipProtocol)).toEqual(['4', '4', '4', '4']);
    const icmp = rulesOf(synth({ pluginPorts: ciliumPorts() }).json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.ipProtocol === 'icmp' && r.peer !== undefined);
    expect(icmp).toHaveLength(4);
    expect(icmp.every((r) => r.fromPort === 8 && r.toPort === 0)).toBe(true);
  });

  test('the groups carry no inline rules, and each has one egress rule to anywhere', () => {
    const { json } = synth({ pluginPorts: flannelPorts() });
    const groups = Object.values<Json>(json.resource.aws_security_group);
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      expect(group).not.toHaveProperty('ingress');
      expect(group).not.toHaveProperty('egress');
      expect(group.vpc_id).toBe('vpc-0123456789abcdef0');
      expect(group.tags['kubernetes.io/cluster/demo']).toBe('owned');
    }
    const egress = rulesOf(json, 'aws_vpc_security_group_egress_rule');
    expect(egress.map((r) => [r.group, r.ipProtocol, r.cidr, r.fromPort, r.toPort])).toEqual([
      ['control-plane', '-1', '0.0.0.0/0', undefined, undefined],
      ['worker', '-1', '0.0.0.0/0', undefined, undefined],
    ]);
  });
});

describe('access from outside the cluster', () => {
  /** Rules that let clients in from address ranges: everything from a CIDR but path MTU discovery. */
  const fromCidrs = (json: Json) => rulesOf(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr !== undefined && !isFragmentationNeeded(r));

  test('by default the world may send the nodes ICMP fragmentation needed and nothing else', () => {
    const { json, groups } = synth({ pluginPorts: weavePorts() });
    expect(fromCidrs(json)).toEqual([]);
    const fromRanges = rulesOf(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr !== undefined);
    expect(fromRanges.map((r) => [r.group, r.cidr, r.ipProtocol, r.fromPort, r.toPort, r.description])).toEqual([
      ['control-plane', '0.0.0.0/0', 'icmp', 3, 4, 'ICMP fragmentation needed from anywhere: path MTU discovery'],
      ['worker', '0.0.0.0/0', 'icmp', 3, 4, 'ICMP fragmentation needed from anywhere: path MTU discovery'],
    ]);
    expect(rulesOf(json, 'aws_vpc_security_group_ingress_rule').some((r) => r.fromPort === 22 || r.fromPort === 30000)).toBe(false);
    expect(warningsOf(groups)).toEqual([]);
  });

  test('with the VPC range given, both groups also admit fragmentation needed from it; no warning', () => {
    const { json, groups } = synth({ vpcCidr: '10.0.0.0/16', apiAccessCidrs: ['203.0.113.0/24'] });
    const fromRanges = rulesOf(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr !== undefined);
    expect(fromRanges.filter(isFragmentationNeeded).map(pathMtuSignature).sort()).toEqual([
      'control-plane <- 0.0.0.0/0 icmp 3-4',
      'control-plane <- 10.0.0.0/16 icmp 3-4',
      'worker <- 0.0.0.0/0 icmp 3-4',
      'worker <- 10.0.0.0/16 icmp 3-4',
    ]);
    // Nothing else from anywhere: the API only from its listed range.
    expect(fromRanges.filter((r) => !isFragmentationNeeded(r)).map(pathMtuSignature)).toEqual(['control-plane <- 203.0.113.0/24 tcp 6443-6443']);
    expect(fromRanges.filter((r) => r.cidr === '0.0.0.0/0').every(isFragmentationNeeded)).toBe(true);
    expect(warningsOf(groups)).toEqual([]);
    // The readiness wait waits for the client rules only.
    expect(groups.externalAccessRules).toHaveLength(1);
  });

  test('apiAccessCidrs open 6443 on the control plane only', () => {
    const { json, groups } = synth({ apiAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'] });
    expect(fromCidrs(json).map((r) => [r.group, r.cidr, r.ipProtocol, r.fromPort, r.toPort]).sort()).toEqual([
      ['control-plane', '198.51.100.7/32', 'tcp', 6443, 6443],
      ['control-plane', '203.0.113.0/24', 'tcp', 6443, 6443],
    ]);
    expect(warningsOf(groups)).toEqual([]);
  });

  test('an explicit 0.0.0.0/0 works but leaves a warning naming the property', () => {
    const { json, groups } = synth({ apiAccessCidrs: ['0.0.0.0/0'] });
    expect(fromCidrs(json).map((r) => [r.group, r.cidr, r.fromPort])).toEqual([['control-plane', '0.0.0.0/0', 6443]]);
    const warnings = warningsOf(groups);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('apiAccessCidrs[0]');
    expect(warnings[0]).toContain('0.0.0.0/0');
  });

  test('sshAccessCidrs open 22 on both groups; nodePortAccessCidrs open the NodePort range on workers', () => {
    const { json } = synth({ sshAccessCidrs: ['192.0.2.0/24'], nodePortAccessCidrs: ['10.20.0.0/16'] });
    expect(fromCidrs(json).map((r) => [r.group, r.cidr, r.ipProtocol, r.fromPort, r.toPort, r.description]).sort()).toEqual([
      ['control-plane', '192.0.2.0/24', 'tcp', 22, 22, 'SSH from sshAccessCidrs'],
      ['worker', '10.20.0.0/16', 'tcp', 30000, 32767, 'NodePort services from nodePortAccessCidrs'],
      ['worker', '192.0.2.0/24', 'tcp', 22, 22, 'SSH from sshAccessCidrs'],
    ]);
  });

  test('bad CIDRs are all reported at once, naming property, value and fix', () => {
    let error: unknown;
    try {
      synth({ apiAccessCidrs: ['203.0.113.5', '10.0.0.1/8'], sshAccessCidrs: ['::/0'], nodePortAccessCidrs: ['192.0.2.0/24', '192.0.2.0/24'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterConfigError);
    const problems = (error as ClusterConfigError).problems;
    expect(problems.map((p) => p.property)).toEqual(['apiAccessCidrs[0]', 'apiAccessCidrs[1]', 'sshAccessCidrs[0]', 'nodePortAccessCidrs[1]']);
    expect(problems[0].fix).toContain('203.0.113.5/32');
    expect(problems[1].fix).toContain('10.0.0.0/8');
    expect(problems[2].value).toBe('"::/0"');
    expect(problems[3].message).toContain('more than once');
    expect((error as Error).message).toContain('4 problems');
  });
});

describe('composition', () => {
  test('construct ids are readable and derived from role, protocol and ports', () => {
    const { json } = synth({ pluginPorts: weavePorts({ encryption: true }), apiAccessCidrs: ['203.0.113.0/24'] });
    const keys = Object.keys(json.resource.aws_vpc_security_group_ingress_rule);
    for (const id of [
      'ingress-control-plane-from-worker-tcp-6443',
      'ingress-control-plane-from-control-plane-tcp-2379-2380',
      'ingress-worker-from-worker-udp-6783-6784',
      'ingress-worker-from-control-plane-esp',
      'ingress-control-plane-from-203-0-113-0-24-tcp-6443',
      'ingress-worker-from-anywhere-icmp-3-4',
    ]) {
      expect(keys.some((k) => k.startsWith(`sg_${id}_`))).toBe(true);
    }
    expect(Object.keys(json.resource.aws_vpc_security_group_egress_rule).map((k) => k.replace(/_[0-9A-F]{8}$/, ''))).toEqual(['sg_egress-control-plane-all', 'sg_egress-worker-all']);
  });

  test('addRule opens more traffic between groups, once per role pair', () => {
    const extra: PortRule = { description: 'metrics-server', protocol: 'tcp', fromPort: 4443, toPort: 4443, to: ['worker'], from: ['control-plane', 'worker'] };
    const { json, groups } = synth({}, (g) => {
      g.addRule(extra);
      g.addRule(extra);
      // Already open through KUBERNETES_PORTS: adds nothing.
      g.addRule({ description: 'kubelet again', protocol: 'tcp', fromPort: 10250, toPort: 10250, to: ['worker'], from: ['worker'] });
    });
    const added = rulesOf(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.fromPort === 4443);
    expect(added.map((r) => [r.group, r.peer, r.description])).toEqual([
      ['worker', 'control-plane', 'metrics-server'],
      ['worker', 'worker', 'metrics-server'],
    ]);
    expect(rulesOf(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.fromPort === 10250).map((r) => r.description)).toEqual(Array(4).fill('kubelet API'));
    expect(groups.rules.filter((r) => r.direction === 'ingress' && r.peerRole !== undefined)).toHaveLength(11);
  });

  test('addRule refuses a bad rule with every problem named', () => {
    const bad = { description: "it's bad", protocol: 'tcp', fromPort: 70000, toPort: 1, to: [], from: ['worker'] } as unknown as PortRule;
    expect(() => synth({}, (g) => g.addRule(bad))).toThrow(ClusterConfigError);
    try {
      synth({}, (g) => g.addRule(bad));
    } catch (e) {
      expect((e as ClusterConfigError).problems.map((p) => p.property)).toEqual([
        'addRule(rule).description',
        'addRule(rule).fromPort',
        'addRule(rule).toPort',
        'addRule(rule).to',
      ]);
    }
  });

  test('two clusters in one stack do not clash', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const a = new ClusterSecurityGroups(stack, 'blue', { clusterName: 'blue', vpcId: 'vpc-0123456789abcdef0', pluginPorts: flannelPorts() });
    const b = new ClusterSecurityGroups(stack, 'green', { clusterName: 'green', vpcId: 'vpc-0123456789abcdef0', pluginPorts: flannelPorts() });
    const json = JSON.parse(Testing.synth(stack, true));
    expect(Object.values<Json>(json.resource.aws_security_group).map((g) => g.name).sort()).toEqual(['blue-control-plane', 'blue-worker', 'green-control-plane', 'green-worker']);
    expect(Object.keys(json.resource.aws_vpc_security_group_ingress_rule)).toHaveLength(2 * (9 + 4 + 2));
    expect(a.workerSecurityGroupId).not.toBe(b.workerSecurityGroupId);
  });

  test('the groups go into the VPC of a ClusterNetwork', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const network = new ClusterNetwork(stack, 'net', { clusterName: 'demo', plan: AddressPlan.create() });
    new ClusterSecurityGroups(stack, 'sg', { clusterName: 'demo', vpcId: network.vpcId, pluginPorts: weavePorts() });
    const json = JSON.parse(Testing.synth(stack, true));
    const vpcKey = Object.keys(json.resource.aws_vpc)[0];
    expect(Object.values<Json>(json.resource.aws_security_group).map((g) => g.vpc_id)).toEqual([`\${aws_vpc.${vpcKey}.id}`, `\${aws_vpc.${vpcKey}.id}`]);
  });

  test('access CIDRs known only at deploy time pass through to AWS', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const office = new TerraformVariable(stack, 'office_cidr', { type: 'string' });
    new ClusterSecurityGroups(stack, 'sg', { clusterName: 'demo', vpcId: 'vpc-0123456789abcdef0', apiAccessCidrs: [office.stringValue] });
    const json = JSON.parse(Testing.synth(stack, true));
    const api = rulesOf(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr !== undefined && !isFragmentationNeeded(r));
    expect(api.map((r) => [r.group, r.cidr, r.fromPort])).toEqual([['control-plane', '${var.office_cidr}', 6443]]);
    expect(api[0].key).toMatch(/^sg_ingress-control-plane-from-api-access-cidrs-0-tcp-6443_/);
  });

  test('synthesis is deterministic', () => {
    const build = () => JSON.stringify(synth({ pluginPorts: ciliumPorts({ wireguard: true }), apiAccessCidrs: ['203.0.113.0/24'] }).json);
    expect(build()).toBe(build());
  });

  test('a bad cluster name is refused', () => {
    expect(() => synth({ clusterName: 'Demo_Cluster' })).toThrow(/clusterName = "Demo_Cluster"/);
  });
});
