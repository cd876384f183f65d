import { readNetworkDescriptions } from '../lib/rehearsal/network-description';
import { explainFlow, judgeFlow, UnderlayFlow } from '../lib/rehearsal/rule-evaluation';
import { readSecurityGroupRules } from '../lib/rehearsal/security-group-rules';
import { planTopology } from '../lib/rehearsal/topology';
import { ClusterFixtureProps, fixtureJson } from './support/network-stack';

function setup(props: ClusterFixtureProps) {
  const stack = fixtureJson([props]);
  const topology = planTopology(readNetworkDescriptions(stack)[0]);
  return { rules: readSecurityGroupRules(stack).rules, topology, nodes: topology.nodes };
}

const vxlan = (from: { ip: string }, to: { ip: string }, port: number) => ({ protocol: 17, port, sourceIp: from.ip, destinationIp: to.ip });

describe('judgeFlow / explainFlow', () => {
  test('a complete stack allows the datapath between every pair of nodes', () => {
    const { rules, nodes } = setup({ plugin: 'weave-net' });
    for (const sender of nodes) {
      for (const receiver of nodes.filter((n) => n !== sender)) {
        const flow: UnderlayFlow = { ...vxlan(sender, receiver, 6784), sender, receiver };
        expect(judgeFlow(rules, nodes, flow)).toEqual({ ingress: expect.objectContaining({ protocol: 17 }), egress: expect.objectContaining({ protocol: 'all' }) });
        expect(explainFlow(rules, nodes, flow, 'weave-net')).toBeUndefined();
      }
    }
  });

  test('a missing ingress rule is named with its port, purpose and roles', () => {
    const { rules, nodes } = setup({ plugin: 'weave-net', omit: { protocol: 'udp', port: 6784 } });
    const [, w0, w1] = nodes;
    expect(explainFlow(rules, nodes, { ...vxlan(w0, w1, 6784), sender: w0, receiver: w1 }, 'weave-net')).toBe(
      'the security groups allow no udp/6784 (Weave Net fast datapath) from worker to worker',
    );
  });

  test('a missing egress rule is named as such', () => {
    const { rules, nodes } = setup({ plugin: 'flannel', egress: false });
    const [cp, w0] = nodes;
    expect(explainFlow(rules, nodes, { ...vxlan(cp, w0, 8472), sender: cp, receiver: w0 }, 'flannel')).toBe(
      "the security groups allow no egress udp/8472 (Flannel VXLAN) from control-plane to worker (Terraform removes AWS's default allow-all egress rule)",
    );
  });

  test('IP-in-IP is judged by protocol number; CIDR rules match node addresses inside them', () => {
    const { rules, nodes } = setup({ plugin: 'calico-ipip', omit: { protocol: 'ipip' }, cidrRules: [{ protocol: 'ipip', cidr: '10.0.0.0/18' }] });
    const [cp, w0, w1] = nodes;
    // worker-0 (10.0.0.4) is inside 10.0.0.0/18, worker-1 (10.0.64.4) and the control plane are not.
    expect(explainFlow(rules, nodes, { protocol: 4, sourceIp: w0.ip, destinationIp: w1.ip, sender: w0, receiver: w1 }, 'calico')).toBeUndefined();
    expect(explainFlow(rules, nodes, { protocol: 4, sourceIp: w1.ip, destinationIp: cp.ip, sender: w1, receiver: cp }, 'calico')).toBe(
      'the security groups allow no ipip (IP protocol 4, Calico IP-in-IP) from worker to control-plane',
    );
  });

  test('routed pod traffic is not matched by group references, and the message says why', () => {
    const { rules, nodes } = setup({ plugin: 'flannel', datapath: { encapsulation: 'routed', controlPorts: [] } });
    const [cp, w0] = nodes;
    const flow: UnderlayFlow = { protocol: 6, port: 8080, sender: cp, sourceIp: cp.pods[0].ip, receiver: w0, destinationIp: w0.pods[0].ip };
    expect(explainFlow(rules, nodes, flow)).toMatch(/^the security groups allow no tcp\/8080 from pods \(10\.244\.0\.2\) on control-plane to worker \(routed pod traffic carries pod addresses/);
    const allowed = setup({ plugin: 'flannel', datapath: { encapsulation: 'routed', controlPorts: [] }, cidrRules: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidr: '10.244.0.0/16' }] });
    expect(explainFlow(allowed.rules, allowed.nodes, { ...flow, sender: allowed.nodes[0], receiver: allowed.nodes[1] })).toBeUndefined();
  });
});
