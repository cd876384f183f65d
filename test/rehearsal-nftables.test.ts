import { datapathBlock } from '../lib/rehearsal/network-commands';
import { readNetworkDescriptions } from '../lib/rehearsal/network-description';
import { compileNodeFirewall, protocolMatch, replaceTable } from '../lib/rehearsal/nftables';
import { readSecurityGroupRules, rulesOfGroups } from '../lib/rehearsal/security-group-rules';
import { planTopology } from '../lib/rehearsal/topology';
import { fixtureJson } from './support/network-stack';

const stack = fixtureJson([{ plugin: 'weave-net', cidrRules: [{ protocol: 'tcp', fromPort: 6443, toPort: 6443, cidr: '10.0.0.0/16' }] }]);
const [description] = readNetworkDescriptions(stack);
const rules = rulesOfGroups(readSecurityGroupRules(stack).rules, Object.values(description.securityGroups));
const topology = planTopology(description);
const [controlPlane, worker] = topology.nodes;

function compile(node = worker, extra: Partial<Parameters<typeof compileNodeFirewall>[0]> = {}): string {
  return compileNodeFirewall({ table: 'kr00abc0', node, nodes: topology.nodes, rules, service: topology.service, ...extra });
}

describe('compileNodeFirewall', () => {
  test('turns group references into sets of the member nodes\' IPs', () => {
    const text = compile();
    expect(text).toMatch(/set group_\d \{\n\t\ttype ipv4_addr\n\t\telements = \{ 10\.0\.128\.10 \}\n\t\}/);
    expect(text).toMatch(/set group_\d \{\n\t\ttype ipv4_addr\n\t\telements = \{ 10\.0\.0\.4, 10\.0\.64\.4 \}\n\t\}/);
  });

  test('allows only what the node\'s group allows, after established traffic, and drops the rest', () => {
    const text = compile();
    const ingress = text.slice(text.indexOf('chain sg_ingress'), text.indexOf('chain sg_egress'));
    expect(ingress).toMatch(/^chain sg_ingress \{\n\t\tct state established,related accept\n/);
    expect(ingress).toMatch(/ip saddr @group_\d udp dport 6783-6784 accept comment "aws_vpc_security_group_ingress_rule\.[\w-]+_ingress-\d+_[0-9A-F]+: Weave Net sleeve and fast datapath"/);
    expect(ingress).toContain('tcp dport 10250 accept');
    // The API server's group rule belongs to the control-plane group, not to workers.
    expect(ingress).not.toMatch(/@group_\d tcp dport 6443/);
    expect(ingress).toContain('ip saddr 10.0.0.0/16 tcp dport 6443 accept');
    expect(ingress.trimEnd()).toMatch(/counter drop comment "no rule of aws_security_group\.[\w-]+_worker_[0-9A-F]+ allows it"\n\t}$/);
    expect(compile(controlPlane)).toContain('ip saddr 10.0.0.0/16 tcp dport 6443 accept');
  });

  test('an allow-all egress rule becomes a bare accept', () => {
    const text = compile();
    expect(text.slice(text.indexOf('chain sg_egress'))).toMatch(/established,related accept\n\t\taccept comment "aws_vpc_security_group_egress_rule\.[\w-]+_egress-worker_[0-9A-F]+: all traffic out"/);
  });

  test('filters only the VPC interface, in input, forward and output', () => {
    const text = compile();
    expect(text).toContain('type filter hook input priority filter; policy accept;\n\t\tiifname "eth0" jump sg_ingress');
    expect(text).toContain('iifname "eth0" jump sg_ingress\n\t\toifname "eth0" jump sg_egress');
    expect(text).toContain('type filter hook output priority filter; policy accept;\n\t\toifname "eth0" jump sg_egress');
  });

  test('DNATs the Service to its endpoints like kube-proxy, from pods and from the node', () => {
    const text = compile();
    expect(text).toContain('ip daddr 10.96.0.11 tcp dport 80 numgen random mod 2 vmap { 0 : jump kube_sep_0, 1 : jump kube_sep_1 }');
    expect(text).toContain('meta l4proto tcp dnat to 10.32.2.2:8080 comment "worker-1/pod-0"');
    expect(text).toContain('type nat hook prerouting priority dstnat; policy accept;\n\t\tjump kube_services');
    expect(text).toContain('type nat hook output priority -100; policy accept;\n\t\tjump kube_services');
  });

  test('the negative control drops the datapath ahead of every rule', () => {
    const text = compile(worker, { block: datapathBlock(topology) });
    expect(text).toContain('chain sg_ingress {\n\t\tudp dport 6784 counter drop comment "negative control: udp/6784 dropped"\n\t\tct state established,related accept');
    expect(replaceTable('kr00abc0', text)).toMatch(/^table ip kr00abc0\ndelete table ip kr00abc0\ntable ip kr00abc0 \{/);
  });

  test('peers no node can have become comments, not rules', () => {
    const text = compileNodeFirewall({
      table: 't',
      node: worker,
      nodes: topology.nodes,
      rules: [{ direction: 'ingress', groupId: worker.groupId, protocol: 6, fromPort: 22, toPort: 22, peer: { kind: 'other', text: 'prefix_list_id pl-1' }, origin: 'x.y' }],
    });
    expect(text).toContain('# x.y: its peer (prefix_list_id pl-1) is no node\'s address; no rule');
    expect(text).not.toContain('kube_services');
  });
});

describe('protocolMatch', () => {
  test.each([
    [{ protocol: 'all' as const }, ''],
    [{ protocol: 6, fromPort: 179, toPort: 179 }, 'tcp dport 179'],
    [{ protocol: 17 }, 'ip protocol udp'],
    [{ protocol: 1, fromPort: 8, toPort: 0 }, 'ip protocol icmp icmp type 8 icmp code 0'],
    [{ protocol: 1 }, 'ip protocol icmp'],
    [{ protocol: 4 }, 'ip protocol 4'],
    [{ protocol: 50 }, 'ip protocol 50'],
  ])('%j -> %s', (rule, match) => {
    expect(protocolMatch(rule)).toBe(match);
  });
});
