import { Cidr, parseIp } from '../lib/plan/cidr';
import { readNetworkDescriptions } from '../lib/rehearsal/network-description';
import { planTopology } from '../lib/rehearsal/topology';
import { fixtureJson } from './support/network-stack';

const descriptions = readNetworkDescriptions(
  fixtureJson([
    { plugin: 'weave-net', clusterName: 'weave' },
    { plugin: 'flannel', clusterName: 'ha', plan: { vpcCidr: '10.1.0.0/16', controlPlaneCount: 3, workerCount: 5, zoneCount: 3 } },
  ]),
);
const weave = descriptions.find((d) => d.clusterName === 'weave')!;
const ha = descriptions.find((d) => d.clusterName === 'ha')!;

describe('planTopology', () => {
  test('control-plane nodes at the plan\'s IPs, workers in private subnets clear of AWS\'s reserved addresses', () => {
    const topology = planTopology(weave);
    expect(topology.nodes.map((n) => [n.name, n.role, n.ip, n.subnetName])).toEqual([
      ['control-plane-0', 'control-plane', '10.0.128.10', 'public-0'],
      ['worker-0', 'worker', '10.0.0.4', 'private-0'],
      ['worker-1', 'worker', '10.0.64.4', 'private-1'],
    ]);
    for (const node of topology.nodes) {
      const subnet = Cidr.parse(node.subnetCidr);
      const offset = parseIp(node.ip)! - subnet.network;
      expect(offset).toBeGreaterThanOrEqual(4);
      expect(offset).toBeLessThan(subnet.size - 1);
      expect(node.groupId).toBe(weave.securityGroups[node.role]);
    }
  });

  test('node i gets the i-th pod range; the bridge its first host, pods the next ones', () => {
    const topology = planTopology(weave);
    expect(topology.nodes.map((n) => [n.podCidr, n.tunnelIp, n.gatewayIp, n.pods.map((p) => p.ip)])).toEqual([
      ['10.32.0.0/24', '10.32.0.0', '10.32.0.1', ['10.32.0.2', '10.32.0.3']],
      ['10.32.1.0/24', '10.32.1.0', '10.32.1.1', ['10.32.1.2', '10.32.1.3']],
      ['10.32.2.0/24', '10.32.2.0', '10.32.2.1', ['10.32.2.2', '10.32.2.3']],
    ]);
    expect(new Set(topology.nodes.map((n) => n.tunnelMac)).size).toBe(3);
  });

  test('the Service sits at the 11th address of the service range, with one node\'s pods as endpoints', () => {
    const { service } = planTopology(weave);
    expect(service).toEqual(expect.objectContaining({ ip: '10.96.0.11', port: 80, targetPort: 8080 }));
    expect(service.endpoints.map((e) => e.name)).toEqual(['worker-1/pod-0', 'worker-1/pod-1']);
    expect([weave.plan.kubernetesServiceIp, weave.plan.clusterDnsIp]).not.toContain(service.ip);
  });

  test('nodes per role are capped by the plan, and all node IPs are distinct', () => {
    expect(planTopology(ha).nodes.map((n) => n.name)).toEqual(['control-plane-0', 'control-plane-1', 'worker-0', 'worker-1']);
    const big = planTopology(ha, { nodesPerRole: 4, podsPerNode: 3 });
    expect(big.nodes.map((n) => n.name)).toEqual(['control-plane-0', 'control-plane-1', 'control-plane-2', 'worker-0', 'worker-1', 'worker-2', 'worker-3']);
    expect(new Set(big.nodes.map((n) => n.ip)).size).toBe(7);
    expect(big.nodes[3].subnetName).toBe('private-0');
    expect(big.nodes[6].subnetName).toBe('private-0');
    expect(big.nodes[6].ip).toBe('10.1.0.5');
    expect(big.nodes[0].pods).toHaveLength(3);
    expect(() => planTopology(ha, { nodesPerRole: 0 })).toThrow('nodes per role is 0; use 1 to 8');
  });
});
