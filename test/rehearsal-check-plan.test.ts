import { planChecks, listeners, PHASES } from '../lib/rehearsal/check-plan';
import { formatResults, judgeCheck, summarise } from '../lib/rehearsal/check-results';
import { readNetworkDescriptions } from '../lib/rehearsal/network-description';
import { readSecurityGroupRules } from '../lib/rehearsal/security-group-rules';
import { planTopology } from '../lib/rehearsal/topology';
import { ClusterFixtureProps, fixtureJson } from './support/network-stack';

function setup(props: ClusterFixtureProps) {
  const stack = fixtureJson([props]);
  const topology = planTopology(readNetworkDescriptions(stack)[0]);
  return { topology, checks: planChecks(topology), context: { rules: readSecurityGroupRules(stack).rules, nodes: topology.nodes, pluginName: 'weave-net', blocked: 'udp/6784 dropped' } };
}

describe('planChecks', () => {
  const { topology, checks } = setup({ plugin: 'weave-net' });

  test('every pod reaches a pod on every other node and its neighbour, by ICMP and TCP', () => {
    const pods = checks.filter((c) => c.phase === 'pod network');
    // 6 pods x 2 other nodes + 3 same-node pairs, each by icmp and tcp.
    expect(pods).toHaveLength((6 * 2 + 3) * 2);
    for (const node of topology.nodes) {
      for (const pod of node.pods) {
        const targets = new Set(pods.filter((c) => c.from.pod === pod && c.to.node !== node).map((c) => c.to.node.name));
        expect(targets.size).toBe(topology.nodes.length - 1);
      }
    }
    const tcp = pods.find((c) => c.probe === 'tcp')!;
    expect(tcp.expectPeer).toBe(tcp.from.ip);
    expect(tcp.underlay).toEqual([
      expect.objectContaining({ protocol: 17, port: 6784, sourceIp: '10.0.128.10', destinationIp: '10.0.0.4' }),
      expect.objectContaining({ protocol: 17, port: 6784, sourceIp: '10.0.0.4', destinationIp: '10.0.128.10' }),
    ]);
  });

  test('control ports and Kubernetes ports between nodes, the Service from other nodes, and the negative control', () => {
    expect(checks.filter((c) => c.phase === 'control ports').map((c) => c.to.port)).toEqual(Array(6).fill(6783));
    const kube = checks.filter((c) => c.phase === 'kubernetes ports');
    expect(kube.filter((c) => c.to.port === 6443).map((c) => c.from.node.role)).toEqual(['worker', 'worker']);
    expect(kube.filter((c) => c.to.port === 10250)).toHaveLength(6);
    const service = checks.filter((c) => c.phase === 'service');
    expect(service.map((c) => [c.from.label, c.to.label])).toEqual([
      ['pod 10.32.0.2 on control-plane-0', 'service 10.96.0.11:80'],
      ['pod 10.32.1.2 on worker-0', 'service 10.96.0.11:80'],
    ]);
    expect(service[0].expectServers).toEqual(['10.32.2.2', '10.32.2.3']);
    const negative = checks.filter((c) => c.phase === 'negative control');
    expect(negative.every((c) => c.expect === 'no-reply' && c.attempts === 1)).toBe(true);
    expect(negative).toHaveLength(4);
    expect([...new Set(checks.map((c) => c.phase))]).toEqual([...PHASES]);
  });

  test('listeners: pods serve the echo port, nodes their roles\' Kubernetes ports and the control ports', () => {
    expect(listeners(topology)).toEqual({ pod: [8080], node: { 'control-plane-0': [2379, 6443, 6783, 10250, 10257, 10259], 'worker-0': [6783, 10250], 'worker-1': [6783, 10250] } });
  });
});

describe('judgeCheck', () => {
  test('a reply with the sender\'s own address passes; a translated one fails', () => {
    const { checks, context } = setup({ plugin: 'weave-net' });
    const tcp = checks.find((c) => c.probe === 'tcp' && c.phase === 'pod network')!;
    expect(judgeCheck(tcp, { replied: true, peer: tcp.from.ip, ms: 3 }, context).outcome).toBe('ok');
    expect(judgeCheck(tcp, { replied: true, peer: '10.0.128.10', ms: 3 }, context).message).toBe(
      `${tcp.from.label} -> ${tcp.to.label}: the receiver saw the connection come from 10.0.128.10, not ${tcp.from.ip}: the address was translated on the way (pods must see each other's own IPs)`,
    );
  });

  test('no reply with a rule missing names the port', () => {
    const { checks, context } = setup({ plugin: 'weave-net', omit: { protocol: 'udp', port: 6784 } });
    const check = checks.find((c) => c.from.node.name === 'worker-0' && c.to.node.name === 'worker-1' && c.probe === 'icmp')!;
    const result = judgeCheck(check, { replied: false, error: 'timeout', ms: 3000 }, context);
    expect(result.outcome).toBe('failed');
    expect(result.message).toBe('pod 10.32.1.2 on worker-0 -> pod 10.32.2.2 on worker-1: no reply (timeout); the security groups allow no udp/6784 (Weave Net fast datapath) from worker to worker');
    expect(formatResults([result])).toContain('Missing security group rules:\n  - the security groups allow no udp/6784 (Weave Net fast datapath) from worker to worker');
  });

  test('a reply the rules do not allow (connection tracking the other way) still fails', () => {
    const { checks, context } = setup({ plugin: 'calico-ipip', omit: { protocol: 'ipip' } });
    const check = checks.find((c) => c.phase === 'pod network' && c.underlay.length > 0)!;
    const result = judgeCheck(check, { replied: true, peer: check.from.ip, ms: 2 }, { ...context, pluginName: 'calico' });
    expect(result.outcome).toBe('failed');
    expect(result.message).toMatch(/replied, but the security groups allow no ipip \(IP protocol 4, Calico IP-in-IP\) from control-plane to worker.*only because traffic the other way opened the connection tracking/);
  });

  test('the negative control passes when blocked and fails when traffic still flows', () => {
    const { checks, context } = setup({ plugin: 'weave-net' });
    const negative = checks.find((c) => c.phase === 'negative control')!;
    expect(judgeCheck(negative, { replied: false, ms: 1000 }, context)).toEqual(expect.objectContaining({ outcome: 'ok', result: 'blocked as expected' }));
    expect(judgeCheck(negative, { replied: true, ms: 1 }, context).message).toMatch(/replied although udp\/6784 dropped; the rehearsal would not notice a missing udp\/6784 \(Weave Net fast datapath\) rule/);
  });

  test('the summary is worded so no test runner takes it for its own', () => {
    const { checks, context } = setup({ plugin: 'weave-net' });
    const line = summarise([judgeCheck(checks[1], { replied: true, peer: checks[1].from.ip, ms: 1 }, context)]);
    expect(line).toBe('1 checks: 1 ok, 0 failed, 0 skipped');
    expect(line).not.toMatch(/\d+ passed, \d+ failed/);
  });
});
