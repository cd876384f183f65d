import { calicoPorts, ciliumPorts, weavePorts } from '../lib/cni/ports';
import { KUBERNETES_PORTS, PortRule } from '../lib/network/ports';
import { checkPortRule, describeRule, ipProtocolOf, nodeRulesFor, planSecurityGroupRules, SecurityGroupRuleInput } from '../lib/network/security-group-rules';
import { ClusterConfigError, ProblemList } from '../lib/plan/problems';

const kubernetes = { property: 'KUBERNETES_PORTS', rules: KUBERNETES_PORTS };

function problemsOf(rule: PortRule): string[] {
  const problems = new ProblemList();
  checkPortRule(problems, rule, 'rule');
  return problems.problems.map((p) => `${p.property}: ${p.message}`);
}

function planErrors(input: SecurityGroupRuleInput): ClusterConfigError {
  try {
    planSecurityGroupRules(input);
  } catch (e) {
    return e as ClusterConfigError;
  }
  throw new Error('expected a ClusterConfigError');
}

describe('planSecurityGroupRules', () => {
  test('the Kubernetes table alone: 9 node rules, fragmentation needed from anywhere and one egress rule per group', () => {
    const { rules, warnings } = planSecurityGroupRules({ portTables: [kubernetes] });
    expect(rules.map(describeRule)).toEqual([
      'control-plane <- control-plane tcp/6443',
      'control-plane <- worker tcp/6443',
      'control-plane <- control-plane tcp/2379-2380',
      'control-plane <- control-plane tcp/10250',
      'control-plane <- worker tcp/10250',
      'worker <- control-plane tcp/10250',
      'worker <- worker tcp/10250',
      'control-plane <- control-plane tcp/10259',
      'control-plane <- control-plane tcp/10257',
      'control-plane <- 0.0.0.0/0 icmp type 3 code 4',
      'worker <- 0.0.0.0/0 icmp type 3 code 4',
      'control-plane -> 0.0.0.0/0 all',
      'worker -> 0.0.0.0/0 all',
    ]);
    expect(warnings).toEqual([]);
  });

  test('fragmentation needed (ICMP type 3 code 4) comes in from anywhere and the VPC, on both groups; nothing else from the world', () => {
    const { rules, warnings } = planSecurityGroupRules({ portTables: [kubernetes, { property: 'pluginPorts', rules: weavePorts() }], vpcCidr: '10.0.0.0/16' });
    const fromRanges = rules.filter((r) => r.direction === 'ingress' && r.cidr !== undefined);
    expect(fromRanges.map((r) => [r.id, r.group, r.cidr, r.ipProtocol, r.fromPort, r.toPort])).toEqual([
      ['ingress-control-plane-from-anywhere-icmp-3-4', 'control-plane', '0.0.0.0/0', 'icmp', 3, 4],
      ['ingress-control-plane-from-vpc-icmp-3-4', 'control-plane', '10.0.0.0/16', 'icmp', 3, 4],
      ['ingress-worker-from-anywhere-icmp-3-4', 'worker', '0.0.0.0/0', 'icmp', 3, 4],
      ['ingress-worker-from-vpc-icmp-3-4', 'worker', '10.0.0.0/16', 'icmp', 3, 4],
    ]);
    expect(fromRanges.every((r) => r.description.includes('path MTU discovery'))).toBe(true);
    // Admitting it is no warning: the access lists alone warn about the whole internet.
    expect(warnings).toEqual([]);
  });

  test('a bad VPC range is reported with the other problems', () => {
    const error = planErrors({ portTables: [], vpcCidr: '10.0.0.1/16', apiAccessCidrs: ['nope'] });
    expect(error.problems.map((p) => [p.property, p.value])).toEqual([['vpcCidr', '"10.0.0.1/16"'], ['apiAccessCidrs[0]', '"nope"']]);
  });

  test('ids are unique, readable and stable', () => {
    const input = { portTables: [kubernetes, { property: 'pluginPorts', rules: calicoPorts({ encapsulation: 'IPIP' }) }], sshAccessCidrs: ['192.0.2.0/24'] };
    const ids = planSecurityGroupRules(input).rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('ingress-worker-from-control-plane-ipip');
    expect(ids).toContain('ingress-worker-from-192-0-2-0-24-tcp-22');
    expect(ids.every((id) => /^[a-z0-9-]+$/.test(id))).toBe(true);
    expect(planSecurityGroupRules(input).rules.map((r) => r.id)).toEqual(ids);
  });

  test('a row repeated across tables becomes one rule, keeping the first description', () => {
    const again = { property: 'pluginPorts', rules: [{ ...KUBERNETES_PORTS[2], description: 'kubelet, again' }] };
    const rules = planSecurityGroupRules({ portTables: [kubernetes, again] }).rules.filter((r) => r.fromPort === 10250);
    expect(rules).toHaveLength(4);
    expect(new Set(rules.map((r) => r.description))).toEqual(new Set(['kubelet API']));
  });

  test('deploy-time CIDRs pass through unparsed with index-based ids', () => {
    const token = '${TfToken[TOKEN.1]}';
    const { rules } = planSecurityGroupRules({ portTables: [], apiAccessCidrs: [token], isUnresolved: (v) => v.includes('TfToken') });
    expect(rules.filter((r) => r.cidr === token).map((r) => r.id)).toEqual(['ingress-control-plane-from-api-access-cidrs-0-tcp-6443']);
  });

  test('0.0.0.0/0 anywhere is a warning, not an error', () => {
    const { warnings } = planSecurityGroupRules({ portTables: [], sshAccessCidrs: ['0.0.0.0/0'], nodePortAccessCidrs: ['0.0.0.0/0'] });
    expect(warnings.map((w) => w.property)).toEqual(['sshAccessCidrs[0]', 'nodePortAccessCidrs[0]']);
  });

  test('bad table rows and bad CIDRs come back together', () => {
    const error = planErrors({
      portTables: [{ property: 'pluginPorts', rules: [{ description: 'x', protocol: 'esp', fromPort: 1, toPort: 1, to: ['worker'], from: ['worker'] }] }],
      apiAccessCidrs: ['not-a-cidr'],
    });
    expect(error.problems.map((p) => p.property)).toEqual(['pluginPorts[0].fromPort', 'apiAccessCidrs[0]']);
    expect(error.problems[1].fix).toContain('203.0.113.0/24');
  });
});

describe('nodeRulesFor', () => {
  test('one rule per (to, from) pair, each referencing the source role', () => {
    const [tcp] = weavePorts();
    const rules = nodeRulesFor(tcp);
    expect(rules.map((r) => [r.group, r.peerRole, r.cidr])).toEqual([
      ['control-plane', 'control-plane', undefined],
      ['control-plane', 'worker', undefined],
      ['worker', 'control-plane', undefined],
      ['worker', 'worker', undefined],
    ]);
  });

  test('ports only for tcp, udp and icmp', () => {
    const icmp = nodeRulesFor(ciliumPorts().find((r) => r.protocol === 'icmp')!)[0];
    expect([icmp.ipProtocol, icmp.fromPort, icmp.toPort]).toEqual(['icmp', 8, 0]);
    const esp = nodeRulesFor(weavePorts({ encryption: true }).find((r) => r.protocol === 'esp')!)[0];
    expect(esp).not.toHaveProperty('fromPort');
    expect(esp.ipProtocol).toBe('50');
  });

  test('protocol numbers', () => {
    expect(['tcp', 'udp', 'icmp', 'esp', 'ipip'].map((p) => ipProtocolOf(p as PortRule['protocol']))).toEqual(['tcp', 'udp', 'icmp', '50', '4']);
  });
});

describe('checkPortRule', () => {
  const ok: PortRule = { description: 'Something (TCP)', protocol: 'tcp', fromPort: 1, toPort: 2, to: ['worker'], from: ['worker'] };

  test('accepts every row of the shipped tables', () => {
    for (const rule of [...KUBERNETES_PORTS, ...weavePorts({ encryption: true }), ...ciliumPorts({ wireguard: true }), ...calicoPorts({ encapsulation: 'IPIP' })]) {
      expect(problemsOf(rule)).toEqual([]);
    }
  });

  test.each<[string, Partial<PortRule>, string]>([
    ['empty description', { description: ' ' }, 'rule.description: is empty'],
    ['apostrophe in description', { description: "kubelet's" }, 'rule.description: AWS accepts'],
    ['unknown protocol', { protocol: 'gre' as PortRule['protocol'] }, 'rule.protocol'],
    ['tcp without ports', { fromPort: undefined }, 'rule.fromPort: a tcp rule needs a port'],
    ['reversed range', { fromPort: 9, toPort: 3 }, 'rule.toPort: is below fromPort 9'],
    ['port out of range', { toPort: 65536 }, 'rule.toPort'],
    ['icmp without code', { protocol: 'icmp', fromPort: 8, toPort: undefined }, 'rule.toPort: an icmp rule'],
    ['ports on ipip', { protocol: 'ipip' }, 'rule.fromPort: ipip has no ports'],
    ['no receiving role', { to: [] }, 'rule.to'],
    ['unknown source role', { from: ['etcd' as 'worker'] }, 'rule.from'],
  ])('%s', (_name, change, expected) => {
    const problems = problemsOf({ ...ok, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });
});
