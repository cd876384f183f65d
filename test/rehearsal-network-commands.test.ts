import { buildNetworkSteps, datapathBlock, Namespaces } from '../lib/rehearsal/network-commands';
import { readNetworkDescriptions } from '../lib/rehearsal/network-description';
import { planTopology, Topology } from '../lib/rehearsal/topology';
import { FixturePlugin, fixtureJson } from './support/network-stack';

const names = new Namespaces('kr00abc0-');

function topologyOf(plugin: FixturePlugin, datapath?: { encapsulation: 'routed'; controlPorts: number[] }): Topology {
  const [description] = readNetworkDescriptions(fixtureJson([{ plugin, ...(datapath ? { datapath } : {}) }]));
  return planTopology(description);
}

const lines = (topology: Topology) => buildNetworkSteps(topology, names).map((s) => s.argv.join(' '));

describe('buildNetworkSteps', () => {
  const weave = topologyOf('weave-net');

  test('every command runs inside one of the run\'s namespaces, never in the caller\'s', () => {
    const own = new Set(names.all(weave));
    for (const topology of [weave, topologyOf('calico-ipip'), topologyOf('flannel', { encapsulation: 'routed', controlPorts: [] })]) {
      for (const step of buildNetworkSteps(topology, names)) {
        const namespace = step.argv[1] === '-n' ? step.argv[2] : step.argv.slice(1, 3).join(' ') === 'netns exec' ? step.argv[3] : undefined;
        expect(own.has(namespace!)).toBe(true);
        // A link created in a namespace has its peer placed straight into another of the run's own.
        const peerNs = step.argv.indexOf('netns', 4);
        if (step.argv.includes('veth')) {
          expect(own.has(step.argv[peerNs + 1])).toBe(true);
        }
      }
    }
  });

  test('plugs each node into the VPC bridge at its IP, with the VPC range on-link', () => {
    const steps = lines(weave);
    expect(steps).toContain('ip -n kr00abc0-vpc link add n1 type veth peer name eth0 netns kr00abc0-n1');
    expect(steps).toContain('ip -n kr00abc0-n1 addr add 10.0.0.4/18 dev eth0');
    expect(steps).toContain('ip -n kr00abc0-n1 route replace 10.0.0.0/16 dev eth0');
    expect(steps).toContain('ip -n kr00abc0-n1p1 route add default via 10.32.1.1');
    expect(steps).toContain('ip -n kr00abc0-n1 addr add 10.32.1.1/24 dev cni0');
  });

  test('vxlan: one device on the plugin\'s port, and per peer a neighbour, an FDB entry and a route', () => {
    const steps = lines(weave);
    expect(steps).toContain('ip -n kr00abc0-n0 link add vxlan0 type vxlan id 1 dstport 6784 local 10.0.128.10 dev eth0 nolearning');
    expect(steps).toContain('bridge -n kr00abc0-n0 fdb append 02:6b:72:00:00:02 dev vxlan0 dst 10.0.64.4');
    expect(steps).toContain('ip -n kr00abc0-n0 neigh replace 10.32.2.0 lladdr 02:6b:72:00:00:02 dev vxlan0 nud permanent');
    expect(steps).toContain('ip -n kr00abc0-n0 route replace 10.32.2.0/24 via 10.32.2.0 dev vxlan0 onlink');
    expect(lines(topologyOf('calico-vxlan')).filter((l) => l.includes('dstport 4789'))).toHaveLength(3);
    expect(lines(topologyOf('cilium')).filter((l) => l.includes('dstport 8472'))).toHaveLength(3);
  });

  test('ipip: a TUN device the peers\' pod ranges route into; routed: routes via the peer nodes', () => {
    const ipip = lines(topologyOf('calico-ipip'));
    expect(ipip).toContain('ip -n kr00abc0-n0 tuntap add mode tun name ipip0');
    expect(ipip).toContain('ip -n kr00abc0-n0 route replace 192.168.1.0/24 dev ipip0');
    const routed = lines(topologyOf('flannel', { encapsulation: 'routed', controlPorts: [] }));
    expect(routed).toContain('ip -n kr00abc0-n0 route replace 10.244.1.0/24 via 10.0.0.4 dev eth0');
    expect(routed.some((l) => l.includes('vxlan') || l.includes('tuntap'))).toBe(false);
  });
});

describe('datapathBlock', () => {
  test('blocks the datapath\'s own traffic', () => {
    expect(datapathBlock(topologyOf('weave-net')).match).toBe('udp dport 6784');
    expect(datapathBlock(topologyOf('calico-ipip')).match).toBe('ip protocol 4');
    expect(datapathBlock(topologyOf('flannel', { encapsulation: 'routed', controlPorts: [] })).match).toBe('ip saddr 10.244.0.0/16');
  });
});
