import { Calico, CalicoEncapsulationMode, Cilium, CiliumIpam, Cni, CniPlugin, Flannel, WeaveIptablesBackend, WeaveNet } from '../lib/cni';
import { HELM_PROVIDER, KUBERNETES_PROVIDER, READINESS_WAIT, resourcesOf, synthesisePlugin } from './support/cni-stack';

// What every plugin owes the cluster, whatever its options.

const PLUGINS: Array<[string, () => CniPlugin]> = [
  ['weave defaults', () => Cni.weave()],
  ['weave, every option', () => Cni.weave({ encryption: true, mtu: 1376, iptablesBackend: WeaveIptablesBackend.NFT })],
  ['flannel defaults', () => Cni.flannel()],
  ['flannel with nftables', () => Cni.flannel({ enableNftables: true })],
  ['cilium defaults', () => Cni.cilium()],
  ['cilium, kubernetes IPAM and WireGuard', () => Cni.cilium({ ipam: CiliumIpam.kubernetes(), wireguard: true })],
  ['calico defaults', () => Cni.calico()],
  ['calico with IP-in-IP', () => Cni.calico({ encapsulation: CalicoEncapsulationMode.IPIP, blockSize: 28 })],
];

describe('every network plugin', () => {
  test('the factories return the plugin classes', () => {
    expect(Cni.weave()).toBeInstanceOf(WeaveNet);
    expect(Cni.flannel()).toBeInstanceOf(Flannel);
    expect(Cni.cilium()).toBeInstanceOf(Cilium);
    expect(Cni.calico()).toBeInstanceOf(Calico);
  });

  test.each(PLUGINS)('%s: no kubernetes_manifest; every cluster resource on an aliased provider, after the readiness wait', (_, make) => {
    const { json } = synthesisePlugin(make());
    const resources = resourcesOf(json);
    expect(resources.length).toBeGreaterThan(0);
    for (const [type, name, body] of resources) {
      expect(type).not.toBe('kubernetes_manifest');
      if (type === 'random_password') {
        continue; // generated locally; needs no cluster
      }
      expect({ type, name, provider: body.provider }).toEqual({ type, name, provider: type === 'helm_release' ? HELM_PROVIDER : KUBERNETES_PROVIDER });
      expect(body.depends_on).toContain(READINESS_WAIT);
    }
  });

  test.each(PLUGINS)('%s: the datapath port is open in its own port table', (_, make) => {
    const plugin = make();
    const { datapath, ports } = plugin;
    const opens = (protocol: string, port: number) => ports.some((r) => r.protocol === protocol && r.fromPort! <= port && port <= r.toPort!);
    if (datapath.encapsulation === 'vxlan') {
      expect(opens('udp', datapath.port!)).toBe(true);
    } else {
      expect(ports).toContainEqual(expect.objectContaining({ protocol: datapath.encapsulation }));
    }
    for (const port of datapath.controlPorts) {
      expect(opens('tcp', port)).toBe(true);
    }
  });

  test.each(PLUGINS)('%s: installs into the scope under the given id', (_, make) => {
    const { stack } = synthesisePlugin(make());
    expect(stack.node.tryFindChild('cni')).toBeDefined();
  });
});
