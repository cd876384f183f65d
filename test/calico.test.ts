import { parse } from 'yaml';
import { CALICO_CHART_VERSION, Calico, CalicoEncapsulationMode, calicoPorts, Cni } from '../lib/cni';
import { AddressPlanProps } from '../lib/plan/address-plan';
import { ClusterConfigError } from '../lib/plan/problems';
import { HELM_PROVIDER, READINESS_WAIT, resourcesOf, synthesisePlugin } from './support/cni-stack';
import { Json } from './support/k8s-objects';

function release(plugin: Calico, planProps: AddressPlanProps = { podCidr: '10.200.0.0/16' }) {
  const { json } = synthesisePlugin(plugin, planProps);
  const releases = Object.values(json.resource.helm_release ?? {}) as Json[];
  expect(releases).toHaveLength(1);
  const [body] = releases;
  expect(body.values).toHaveLength(1);
  return { json, body, values: parse(body.values[0]) as Json };
}

function thrown(action: () => unknown): ClusterConfigError {
  try {
    action();
  } catch (e) {
    if (e instanceof ClusterConfigError) {
      return e;
    }
    throw e;
  }
  throw new Error('expected a ClusterConfigError');
}

describe('Calico', () => {
  test('is a plugin with its own pod range, datapath and port table (VXLAN by default)', () => {
    const plugin = Cni.calico();
    expect(plugin.name).toBe('calico');
    expect(plugin.defaultPodCidr).toBe('192.168.0.0/16');
    expect(plugin.datapath).toEqual({ encapsulation: 'vxlan', port: 4789, controlPorts: [179] });
    expect(plugin.ports).toEqual(calicoPorts({ encapsulation: 'VXLAN' }));
    expect(plugin.ports.some((r) => r.protocol === 'ipip')).toBe(false);
  });

  test('IP-in-IP: IP protocol 4 instead of UDP 4789', () => {
    const plugin = Cni.calico({ encapsulation: CalicoEncapsulationMode.IPIP });
    expect(plugin.datapath).toEqual({ encapsulation: 'ipip', controlPorts: [179] });
    expect(plugin.ports).toEqual(calicoPorts({ encapsulation: 'IPIP' }));
    expect(plugin.ports).toContainEqual(expect.objectContaining({ protocol: 'ipip' }));
    expect(plugin.ports.some((r) => r.fromPort === 4789)).toBe(false);
    expect(release(plugin).values.installation.calicoNetwork.ipPools[0].encapsulation).toBe('IPIP');
  });

  test('installs the pinned tigera-operator chart into its own namespace, on the cluster helm provider after the readiness wait', () => {
    const { json, body } = release(Cni.calico());
    expect(resourcesOf(json).map(([type]) => type)).toEqual(['helm_release']);
    expect(body).toMatchObject({
      provider: HELM_PROVIDER,
      name: 'calico',
      repository: 'https://docs.tigera.io/calico/charts',
      chart: 'tigera-operator',
      version: 'v3.31.7',
      namespace: 'tigera-operator',
      create_namespace: true,
    });
    expect(CALICO_CHART_VERSION).toBe('v3.31.7');
    expect(body.depends_on).toContain(READINESS_WAIT);
  });

  test('the Installation values carry the pod range, block size and encapsulation', () => {
    const { values } = release(Cni.calico({ blockSize: 24 }));
    expect(values).toEqual({
      installation: {
        kubernetesProvider: '',
        calicoNetwork: {
          ipPools: [{ cidr: '10.200.0.0/16', blockSize: 24, encapsulation: 'VXLAN', natOutgoing: 'Enabled', nodeSelector: 'all()' }],
        },
      },
    });
  });

  test('the default block size is 26', () => {
    expect(release(Cni.calico()).values.installation.calicoNetwork.ipPools[0].blockSize).toBe(26);
  });

  test('a custom version is used as given; synthesis is deterministic', () => {
    expect(release(Cni.calico({ version: 'v3.30.5' })).body.version).toBe('v3.30.5');
    expect(release(Cni.calico()).json).toEqual(release(Cni.calico()).json);
  });

  describe('option validation', () => {
    test.each([19, 33, 26.5])('refuses block size %p', (blockSize) => {
      const error = thrown(() => Cni.calico({ blockSize }));
      expect(error.problems).toEqual([expect.objectContaining({ property: 'calico.blockSize', value: String(blockSize) })]);
      expect(error.message).toMatch(/from 20 to 32/);
    });

    test.each(['3.31.7', 'v3.31', 'latest'])('refuses chart version %p', (version) => {
      expect(thrown(() => Cni.calico({ version })).message).toMatch(/calico.version = .*pin an exact version such as v3.31.7/);
    });

    test('refuses a block larger than the pod range at install', () => {
      const error = thrown(() => synthesisePlugin(Cni.calico({ blockSize: 20 }), { podCidr: '10.200.0.0/22', nodeCidrMaskSize: 24 }));
      expect(error.message).toMatch(/calico.blockSize = 20: a \/20 block is larger than the pod range 10.200.0.0\/22.*at least 22/);
    });

    test('refuses a pod range with fewer blocks than planned nodes', () => {
      // A /24 in /26 blocks holds 4 blocks; the plan has 1 control-plane node and 5 workers.
      const error = thrown(() => synthesisePlugin(Cni.calico(), { podCidr: '10.200.0.0/24', nodeCidrMaskSize: 27, workerCount: 5 }));
      expect(error.message).toMatch(/holds 4 blocks of \/26, fewer than the 6 planned nodes.*at least 27/);
    });
  });
});
