import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { KubeadmCluster } from '../lib';
import { problemsThrownBy } from './support/problems';
import { synthStack } from './support/synth';

// Adding software to the cluster is one call: the cluster's providers and its readiness come with it.

describe('KubeadmCluster workloads', () => {
  const synth = synthStack((stack) => {
    const cluster = new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
    cluster.addHelmChart('cert-manager', {
      chart: 'cert-manager',
      repository: 'https://charts.jetstack.io',
      version: 'v1.19.1',
      namespace: 'cert-manager',
      values: { crds: { enabled: true } },
    });
    cluster.addKubernetesResource('team', NamespaceV1, { metadata: { name: 'team-a' } });
  });
  const [readinessKey] = synth.resources('terraform_data').find(([id]) => id.includes('readiness'))!;

  test('a chart is a release through the cluster helm provider, after the API is ready, with its values as YAML', () => {
    const [, release] = synth.resources('helm_release').find(([, r]) => r.name === 'cert-manager')!;
    expect(release).toMatchObject({
      provider: 'helm.demo',
      chart: 'cert-manager',
      repository: 'https://charts.jetstack.io',
      version: 'v1.19.1',
      namespace: 'cert-manager',
      create_namespace: true,
      values: ['crds:\n  enabled: true\n'],
      timeout: 600,
    });
    expect(release.depends_on).toEqual([`terraform_data.${readinessKey}`]);
  });

  test('a typed resource goes through the cluster kubernetes provider, after the API is ready', () => {
    const [, namespace] = synth.resources('kubernetes_namespace_v1').find(([, n]) => n.metadata.name === 'team-a')!;
    expect(namespace.provider).toBe('kubernetes.demo');
    expect(namespace.depends_on).toEqual([`terraform_data.${readinessKey}`]);
  });

  test('a chart that is not pinned or named wrongly is refused, every problem at once', () => {
    const problems = problemsThrownBy(() =>
      synthStack((stack) => {
        const cluster = new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
        cluster.addHelmChart('x', { chart: 'x', repository: 'charts.example.com', version: '^1.2', namespace: 'Team A', timeoutSeconds: 5 });
      }),
    );
    expect(problems.map((p) => p.property)).toEqual(['repository', 'version', 'namespace', 'timeoutSeconds']);
  });
});
