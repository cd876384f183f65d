import { readNetworkDescriptions } from '../lib/rehearsal/network-description';
import { readSecurityGroupRules, rulesOfGroups } from '../lib/rehearsal/security-group-rules';
import { fixtureJson } from './support/network-stack';

describe('readSecurityGroupRules', () => {
  test('reads the per-rule resources of a synthesised stack, with group and CIDR peers', () => {
    const stack = fixtureJson([{ plugin: 'weave-net' }]);
    const [description] = readNetworkDescriptions(stack);
    const { rules, warnings } = readSecurityGroupRules(stack);
    expect(warnings).toEqual([]);
    const cp = description.securityGroups['control-plane'];
    const worker = description.securityGroups.worker;
    expect(rulesOfGroups(rules, [cp, worker])).toHaveLength(rules.length);
    expect(rules).toContainEqual(
      expect.objectContaining({ direction: 'ingress', groupId: worker, protocol: 17, fromPort: 6783, toPort: 6784, peer: { kind: 'group', groupId: cp }, description: 'Weave Net sleeve and fast datapath' }),
    );
    expect(rules).toContainEqual(expect.objectContaining({ direction: 'ingress', groupId: cp, protocol: 6, fromPort: 22, toPort: 22, peer: { kind: 'cidr', cidr: '203.0.113.0/24' } }));
    expect(rules).toContainEqual(expect.objectContaining({ direction: 'egress', groupId: worker, protocol: 'all', peer: { kind: 'cidr', cidr: '0.0.0.0/0' } }));
    expect(rules.find((r) => r.origin.startsWith('aws_vpc_security_group_ingress_rule.'))).toBeDefined();
  });

  test("reads KubeadmCluster's path MTU discovery rules as ICMP type 3 code 4 from CIDRs", () => {
    const stack = fixtureJson([{ plugin: 'flannel', cidrRules: [{ protocol: 'icmp', fromPort: 3, toPort: 4, cidr: '0.0.0.0/0' }, { protocol: 'icmp', fromPort: 3, toPort: 4, cidr: '10.0.0.0/16' }] }]);
    const { rules, warnings } = readSecurityGroupRules(stack);
    expect(warnings).toEqual([]);
    const icmp = rules.filter((r) => r.protocol === 1 && r.peer.kind === 'cidr');
    expect(icmp.map((r) => [r.fromPort, r.toPort, r.peer.kind === 'cidr' ? r.peer.cidr : ''])).toEqual([
      [3, 4, '0.0.0.0/0'],
      [3, 4, '0.0.0.0/0'],
      [3, 4, '10.0.0.0/16'],
      [3, 4, '10.0.0.0/16'],
    ]);
  });

  test('reads protocol numbers (IP-in-IP as "4")', () => {
    const { rules } = readSecurityGroupRules(fixtureJson([{ plugin: 'calico-ipip' }]));
    expect(rules.filter((r) => r.protocol === 4)).toHaveLength(4);
    expect(rules.find((r) => r.protocol === 4)).not.toHaveProperty('fromPort');
  });

  test('reads inline ingress/egress blocks and aws_security_group_rule, with self and lists', () => {
    const { rules, warnings } = readSecurityGroupRules({
      resource: {
        aws_security_group: {
          nodes: {
            ingress: [{ protocol: '-1', from_port: 0, to_port: 0, self: true }, { protocol: 'tcp', from_port: 443, to_port: 443, cidr_blocks: ['10.0.0.0/16', '192.168.1.0/24'], ipv6_cidr_blocks: ['::/0'] }],
            egress: [{ protocol: '-1', from_port: 0, to_port: 0, cidr_blocks: ['0.0.0.0/0'] }],
          },
        },
        aws_security_group_rule: {
          esp: { type: 'ingress', security_group_id: '${aws_security_group.nodes.id}', protocol: '50', from_port: 0, to_port: 0, source_security_group_id: '${aws_security_group.nodes.id}' },
          icmp: { type: 'ingress', security_group_id: '${aws_security_group.nodes.id}', protocol: 'icmp', from_port: 8, to_port: -1, cidr_blocks: ['10.0.0.0/8'] },
          odd: { type: 'ingress', security_group_id: '${aws_security_group.nodes.id}', protocol: 'tcp', from_port: '${var.port}', to_port: 1, cidr_blocks: ['10.0.0.0/8'] },
        },
      },
    });
    expect(rules).toEqual([
      expect.objectContaining({ origin: 'aws_security_group_rule.esp', protocol: 50, peer: { kind: 'group', groupId: 'nodes' } }),
      expect.objectContaining({ origin: 'aws_security_group_rule.icmp', protocol: 1, fromPort: 8, peer: { kind: 'cidr', cidr: '10.0.0.0/8' } }),
      expect.objectContaining({ origin: 'aws_security_group.nodes ingress[0]', protocol: 'all', peer: { kind: 'group', groupId: 'nodes' } }),
      expect.objectContaining({ protocol: 6, fromPort: 443, peer: { kind: 'cidr', cidr: '10.0.0.0/16' } }),
      expect.objectContaining({ protocol: 6, fromPort: 443, peer: { kind: 'cidr', cidr: '192.168.1.0/24' } }),
      expect.objectContaining({ protocol: 6, fromPort: 443, peer: { kind: 'other', text: 'ipv6_cidr_blocks ::/0' } }),
      expect.objectContaining({ origin: 'aws_security_group.nodes egress[0]', direction: 'egress', protocol: 'all' }),
    ]);
    expect(rules[1]).not.toHaveProperty('toPort');
    expect(warnings).toEqual([expect.stringMatching(/^aws_security_group_rule.odd: ports .* are not numbers/)]);
  });

  test('treats a full port range as every port, and warns about rules of unknown groups', () => {
    const { rules, warnings } = readSecurityGroupRules({
      resource: {
        aws_vpc_security_group_ingress_rule: {
          all_udp: { security_group_id: '${aws_security_group.a.id}', ip_protocol: 'udp', from_port: 0, to_port: 65535, cidr_ipv4: '10.0.0.0/16' },
          foreign: { security_group_id: 'sg-0123', ip_protocol: 'tcp', from_port: 1, to_port: 1, cidr_ipv4: '10.0.0.0/16' },
          bastion: { security_group_id: '${aws_security_group.a.id}', ip_protocol: 'tcp', from_port: 22, to_port: 22, referenced_security_group_id: '${data.aws_security_group.bastion.id}' },
        },
      },
    });
    expect(rules[0]).toEqual(expect.objectContaining({ protocol: 17 }));
    expect(rules[0]).not.toHaveProperty('fromPort');
    expect(rules[1].peer).toEqual({ kind: 'other', text: 'security group ${data.aws_security_group.bastion.id}' });
    expect(warnings).toEqual([expect.stringContaining('aws_vpc_security_group_ingress_rule.foreign: its security group "sg-0123" is not an aws_security_group of this stack')]);
  });
});
