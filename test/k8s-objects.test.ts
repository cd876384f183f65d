import { checkAgainstDocumented, compareObjects, hasUpstreamManifests, K8sObject, k8sObjectsOf, loadUpstream, toK8sObject, validateK8sObject } from './support/k8s-objects';

// The test helpers that hold the plugins against upstream must themselves be able to say no.

const daemonSet = (container: object): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'x', namespace: 'kube-system' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container] } } },
});

const withManifests = hasUpstreamManifests('the upstream manifest tests', ['weave-net-v2.8.1.yaml', 'kube-flannel-v0.28.9.yaml']) ? describe : describe.skip;

withManifests('upstream manifests', () => {
  test('load as the objects they hold, List items flattened', () => {
    expect(loadUpstream('weave-net-v2.8.1.yaml').map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'DaemonSet']);
    expect(loadUpstream('kube-flannel-v0.28.9.yaml').map((o) => o.kind)).toEqual(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'DaemonSet']);
  });

  test('validate against the Kubernetes schemas', () => {
    for (const object of [...loadUpstream('weave-net-v2.8.1.yaml'), ...loadUpstream('kube-flannel-v0.28.9.yaml')]) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
  });
});

describe('schema validation', () => {
  test('rejects a wrongly typed field and a missing required one', () => {
    expect(() => validateK8sObject(daemonSet({ name: 'c', image: 'i' }))).not.toThrow();
    expect(() => validateK8sObject(daemonSet({ name: 'c', ports: [{ containerPort: '80' }] }))).toThrow(/containerPort must be integer/);
    expect(() => validateK8sObject(daemonSet({ image: 'i' }))).toThrow(/must have required property name/);
  });

  test('refuses kinds it has no schema for', () => {
    expect(() => validateK8sObject({ apiVersion: 'v1', kind: 'Bogus', metadata: { name: 'x' } })).toThrow(/no schema/);
  });
});

describe('converter', () => {
  test('maps repeated blocks to plural fields, drops Terraform-only attributes, and parses numeric probe ports', () => {
    const object = toK8sObject('kubernetes_daemon_set_v1', {
      provider: 'kubernetes.cluster',
      depends_on: ['data.http.x'],
      wait_for_rollout: true,
      metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'x' } },
      spec: {
        strategy: { type: 'RollingUpdate' },
        template: {
          spec: {
            host_pid: false,
            container: [{
              name: 'c',
              port: [{ name: 'http', container_port: 80 }],
              readiness_probe: { http_get: { port: '8080' } },
              liveness_probe: { http_get: { port: 'http' } },
              volume_mount: [{ name: 'v', mount_path: '/v' }],
            }],
          },
        },
      },
    });
    expect(object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'x' } },
      spec: {
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          spec: {
            hostPID: false,
            containers: [{
              name: 'c',
              ports: [{ name: 'http', containerPort: 80 }],
              readinessProbe: { httpGet: { port: 8080 } },
              livenessProbe: { httpGet: { port: 'http' } },
              volumeMounts: [{ name: 'v', mountPath: '/v' }],
            }],
          },
        },
      },
    });
  });

  test('throws on an attribute or resource type it does not know', () => {
    expect(() => toK8sObject('kubernetes_daemon_set_v1', { metadata: { name: 'x' }, spec: { template: { spec: { container: [{ name: 'c', bogus_field: 1 }] } } } })).toThrow(/does not know the attribute .*container\[0\]\.bogus_field/);
    expect(() => toK8sObject('kubernetes_manifest', { manifest: {} })).toThrow(/does not know the resource type kubernetes_manifest/);
    expect(() => toK8sObject('kubernetes_config_map_v1', { metadata: { name: 'x' }, binary_data: {} })).toThrow(/does not know the attribute/);
  });

  test('secret data (plain text in the provider) becomes stringData', () => {
    const objects = k8sObjectsOf({ resource: { kubernetes_secret_v1: { s: { metadata: { name: 's' }, data: { k: 'v' } } }, random_password: { p: {} } } });
    expect(objects).toEqual([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } }]);
  });
});

describe('comparison', () => {
  const base = daemonSet({ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] });

  test('finds nothing between an object and itself, and treats null as absent', () => {
    expect(compareObjects([base], [base])).toEqual([]);
    const withNull = structuredClone(base);
    withNull.spec.template.spec.containers[0].args = null;
    expect(compareObjects([withNull], [base])).toEqual([]);
  });

  test('reports missing and extra objects, a changed value, an added entry and a reordered list', () => {
    const ours = structuredClone(base);
    ours.spec.template.spec.containers[0].env = [{ name: 'Y', value: '2' }, { name: 'X', value: '3' }, { name: 'Z', value: '4' }];
    const extra: K8sObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'ns' } };
    const missing: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } };
    const differences = compareObjects([ours, extra], [base, missing]);
    expect(differences.map((d) => `${d.object} ${d.path}`)).toEqual([
      'DaemonSet kube-system/x spec.template.spec.containers[a].env#order',
      'DaemonSet kube-system/x spec.template.spec.containers[a].env[X].value',
      'DaemonSet kube-system/x spec.template.spec.containers[a].env[Z]',
      'Namespace /ns ',
      'ServiceAccount ns/sa ',
    ]);
  });

  test('a documented difference explains exactly its path, and an unused one is reported', () => {
    const ours = structuredClone(base);
    ours.spec.template.spec.containers[0].image = 'other';
    const differences = compareObjects([ours], [base]);
    const documented = [
      { object: 'DaemonSet kube-system/x', path: 'spec.template.spec.containers[a].image', reason: 'test' },
      { object: 'DaemonSet kube-system/x', path: 'spec.template.spec.containers[a].args', reason: 'stale' },
    ];
    expect(checkAgainstDocumented(differences, documented)).toEqual({ unexplained: [], unused: [documented[1]] });
    expect(checkAgainstDocumented(differences, []).unexplained).toHaveLength(1);
  });
});
