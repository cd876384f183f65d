import { TerraformStack } from 'cdktf';
import { Cni, KubeadmCluster, KubeadmClusterProps } from '../lib';
import { isClusterResourceType, removedBlocks } from '../lib/kubernetes/abandoned-resources';
import { synthStack } from './support/synth';

// A cluster whose API is gone: the stack keeps none of its Kubernetes and Helm resources and forgets
// exactly the ones a normal synth has, by their addresses in state.

const base: KubeadmClusterProps = { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] };

function clusterResourceAddresses(json: any): string[] {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => isClusterResourceType(type))
    .flatMap(([type, resources]) => Object.keys(resources as object).map((id) => `${type}.${id}`))
    .sort();
}

function both(build: (stack: TerraformStack, abandon: boolean) => void) {
  const normal = synthStack((stack) => build(stack, false));
  const abandoned = synthStack((stack) => build(stack, true));
  return { normal, abandoned };
}

describe('abandon', () => {
  test.each([
    ['weave with encryption', Cni.weave({ encryption: true })],
    ['flannel', Cni.flannel()],
    ['cilium (helm)', Cni.cilium()],
    ['calico (helm)', Cni.calico()],
  ])('%s: removed blocks cover exactly the Kubernetes and Helm resources of the normal synth', (name, cni) => {
    const { normal, abandoned } = both((stack, abandon) => new KubeadmCluster(stack, 'cluster', { ...base, cni, abandon }));
    const expected = clusterResourceAddresses(normal.json);
    expect(expected.length).toBeGreaterThan(5);
    // The plugin's own release, where it has one, besides the cloud controller manager's, the EBS
    // driver's, the kubelet certificate approver's and metrics-server's.
    expect(expected.filter((a) => a.startsWith('helm_release.')).length).toBe(name.includes('helm') ? 5 : 4);
    expect(clusterResourceAddresses(abandoned.json)).toEqual([]);
    expect(abandoned.json.removed).toEqual(expected.map((from) => ({ from, lifecycle: { destroy: false } })));
    expect(normal.json.removed).toBeUndefined();
    // Nothing left refers to a forgotten resource.
    const rest = JSON.stringify({ ...abandoned.json, removed: undefined });
    for (const address of expected) {
      expect(rest).not.toContain(address);
    }
  });

  test('every other resource stays as it is, and the providers stay configured for the forgotten resources', () => {
    const { normal, abandoned } = both((stack, abandon) => new KubeadmCluster(stack, 'cluster', { ...base, abandon }));
    const others = (json: any) => Object.fromEntries(Object.entries(json.resource).filter(([type]) => !isClusterResourceType(type)));
    expect(others(abandoned.json)).toEqual(others(normal.json));
    expect(abandoned.json.provider.kubernetes).toEqual(normal.json.provider.kubernetes);
    expect(abandoned.json.provider.helm).toEqual(normal.json.provider.helm);
  });

  test('two clusters in one stack: both abandoned clusters are forgotten, the other one is kept', () => {
    const { normal, abandoned } = both((stack, abandon) => {
      new KubeadmCluster(stack, 'blue', { ...base, clusterName: 'blue', abandon });
      new KubeadmCluster(stack, 'green', { ...base, clusterName: 'green', vpcCidr: '10.1.0.0/16', abandon });
      new KubeadmCluster(stack, 'red', { ...base, clusterName: 'red', vpcCidr: '10.2.0.0/16' });
    });
    const all = clusterResourceAddresses(normal.json);
    const gone = all.filter((a) => /\.(blue|green)_/.test(a));
    expect(gone.length).toBeGreaterThan(10);
    expect(abandoned.json.removed.map((b: any) => b.from)).toEqual(gone);
    expect(clusterResourceAddresses(abandoned.json)).toEqual(all.filter((a) => a.includes('.red_')));
  });

  test('removed blocks are unique and sorted', () => {
    expect(removedBlocks(['b.x', 'a.y', 'b.x'])).toEqual([
      { from: 'a.y', lifecycle: { destroy: false } },
      { from: 'b.x', lifecycle: { destroy: false } },
    ]);
  });

  test('the cluster tells which addresses it abandoned', () => {
    let cluster: KubeadmCluster | undefined;
    const synth = synthStack((stack) => (cluster = new KubeadmCluster(stack, 'cluster', { ...base, abandon: true })));
    expect(cluster!.abandonedResources).toEqual(synth.json.removed.map((b: any) => b.from));
  });
});
