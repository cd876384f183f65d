import { TerraformVariable } from 'cdktf';
import { parse } from 'yaml';
import { CILIUM_CHART_VERSION, Cilium, CiliumIpam, Cni, ciliumPorts } from '../lib/cni';
import { ClusterConfigError } from '../lib/plan/problems';
import { HELM_PROVIDER, READINESS_WAIT, resourcesOf, synthesisePlugin } from './support/cni-stack';
import { Json } from './support/k8s-objects';
import { AddressPlanProps } from '../lib/plan/address-plan';

function release(plugin: Cilium, planProps: AddressPlanProps = { podCidr: '10.200.0.0/16', nodeCidrMaskSize: 25 }) {
  const { json } = synthesisePlugin(plugin, planProps);
  const releases = Object.values(json.resource.helm_release ?? {}) as Json[];
  expect(releases).toHaveLength(1);
  const [body] = releases;
  expect(body.values).toHaveLength(1);
  return { json, body, values: parse(body.values[0]) as Json };
}

describe('Cilium', () => {
  test('is a plugin with its own pod range, datapath and port table', () => {
    const plugin = Cni.cilium();
    expect(plugin.name).toBe('cilium');
    expect(plugin.defaultPodCidr).toBe('10.244.0.0/16');
    expect(plugin.datapath).toEqual({ encapsulation: 'vxlan', port: 8472, controlPorts: [4240] });
    expect(plugin.ports).toEqual(ciliumPorts());
    expect(plugin.ports.some((r) => r.fromPort === 51871)).toBe(false);
  });

  test('installs the pinned cilium chart from the Cilium repository, on the cluster helm provider after the readiness wait', () => {
    const { json, body } = release(Cni.cilium());
    expect(resourcesOf(json).map(([type]) => type)).toEqual(['helm_release']);
    expect(body).toMatchObject({
      provider: HELM_PROVIDER,
      name: 'cilium',
      repository: 'https://helm.cilium.io/',
      chart: 'cilium',
      version: '1.19.8',
      namespace: 'kube-system',
    });
    expect(CILIUM_CHART_VERSION).toBe('1.19.8');
    expect(body.depends_on).toContain(READINESS_WAIT);
  });

  test('cluster-pool IPAM (the default) carries the pod range and per-node mask from the plan', () => {
    const { values } = release(Cni.cilium());
    expect(values.ipam).toEqual({
      mode: 'cluster-pool',
      operator: { clusterPoolIPv4PodCIDRList: ['10.200.0.0/16'], clusterPoolIPv4MaskSize: 25 },
    });
    expect(values).toMatchObject({ routingMode: 'tunnel', tunnelProtocol: 'vxlan', k8sServiceHost: '10.0.0.10', k8sServicePort: 6443 });
    expect(values.encryption).toBeUndefined();
  });

  test('kubernetes IPAM leaves node ranges to kube-controller-manager', () => {
    const { values } = release(Cni.cilium({ ipam: CiliumIpam.kubernetes() }));
    expect(values.ipam).toEqual({ mode: 'kubernetes' });
  });

  test('WireGuard turns on encryption and opens UDP 51871', () => {
    const plugin = Cni.cilium({ wireguard: true });
    const { values } = release(plugin);
    expect(values.encryption).toEqual({ enabled: true, type: 'wireguard' });
    expect(plugin.ports).toEqual(ciliumPorts({ wireguard: true }));
    expect(plugin.ports).toContainEqual(expect.objectContaining({ protocol: 'udp', fromPort: 51871, toPort: 51871 }));
  });

  test('runs one operator on a one-node cluster and two otherwise', () => {
    expect(release(Cni.cilium(), { workerCount: 0 }).values.operator).toEqual({ replicas: 1 });
    expect(release(Cni.cilium(), { workerCount: 2 }).values.operator).toEqual({ replicas: 2 });
  });

  test('an API endpoint known only at apply time reaches the values as Terraform interpolations', () => {
    const { json } = synthesisePlugin(Cni.cilium(), {}, (stack) => ({
      apiServerHost: new TerraformVariable(stack, 'api_host', { type: 'string' }).stringValue,
      apiServerPort: new TerraformVariable(stack, 'api_port', { type: 'number' }).numberValue,
    }));
    const [body] = Object.values(json.resource.helm_release) as Json[];
    const values = parse(body.values[0]);
    expect(values.k8sServiceHost).toBe('${var.api_host}');
    expect(values.k8sServicePort).toBe('${var.api_port}');
  });

  test('a custom version is used as given; synthesis is deterministic', () => {
    expect(release(Cni.cilium({ version: '1.18.14' })).body.version).toBe('1.18.14');
    expect(release(Cni.cilium()).json).toEqual(release(Cni.cilium()).json);
  });

  test.each(['1.19', '^1.19.0', 'v1.19.8', 'latest'])('refuses chart version %p', (version) => {
    expect(() => Cni.cilium({ version })).toThrow(ClusterConfigError);
    expect(() => Cni.cilium({ version })).toThrow(/cilium.version = .*pin an exact version such as 1.19.8/);
  });
});
