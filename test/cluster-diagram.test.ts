import { ClusterNetworkSource, Cni, KubeadmCluster, NatGateways } from '../lib';
import { synthStack } from './support/synth';

function diagramOf(props: Partial<ConstructorParameters<typeof KubeadmCluster>[2]> = {}): string {
  let diagram = '';
  synthStack((stack) => {
    diagram = new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], ...props }).diagram();
  });
  return diagram;
}

describe('cluster diagram', () => {
  test('shows zones, subnets, the control-plane IP and the ranges', () => {
    const diagram = diagramOf();
    expect(diagram.startsWith('flowchart LR\n')).toBe(true);
    for (const needle of ['VPC 10.0.0.0/16', 'public 10.0.128.0/18', 'control plane 0: 10.0.128.10', 'private 10.0.0.0/18<br/>worker pool workers', 'pods 10.32.0.0/12', 'services 10.96.0.0/12']) {
      expect(diagram).toContain(needle);
    }
  });

  test('labels each group-to-group edge with exactly the traffic it admits', () => {
    const weave = diagramOf();
    expect(weave).toContain('wk -- "tcp/10250, tcp/6783, udp/6783-6784" --> wk');
    expect(weave).toContain('internet -- "tcp/6443, icmp type 3 code 4" --> cp');
    // Path MTU discovery's ICMP is all the world may send the workers, from anywhere and the VPC.
    expect(weave).toContain('internet -- "icmp type 3 code 4" --> wk');
    expect(weave).toContain('vpc -- "icmp type 3 code 4" --> cp');
    expect(weave).toContain('vpc -- "icmp type 3 code 4" --> wk');
    const flannel = diagramOf({ cni: Cni.flannel() });
    expect(flannel).toContain('wk -- "tcp/10250, udp/8472" --> wk');
    expect(flannel).not.toContain('6783');
  });

  test('is stable for the same input', () => {
    expect(diagramOf()).toBe(diagramOf());
  });
});

describe('cluster diagram without NAT', () => {
  test('places the workers in the public subnets', () => {
    const diagram = diagramOf({ network: ClusterNetworkSource.newVpc({ natGateways: NatGateways.none() }) });
    expect(diagram).toContain('public 10.0.192.0/18<br/>worker pool workers');
    expect(diagram).not.toContain('private 10.0.0.0/18<br/>worker pool');
  });
});

describe('cluster diagram of the routed pod network', () => {
  test('shows the VPC routes to the pods instead of a tunnel, and the pod range the groups admit', () => {
    const routed = diagramOf({ cni: Cni.vpcRoutes() });
    expect(routed).toContain('vpc -- "route tables: one route per node\'s /24, no tunnel" --> pods');
    expect(routed).toContain('pods -- "all" --> cp');
    expect(routed).toContain('pods -- "all" --> wk');
    expect(diagramOf()).not.toContain('no tunnel');
  });
});
