import { Cni, Flannel, FlannelImages, flannelPorts } from '../lib/cni';
import { ClusterConfigError } from '../lib/plan/problems';
import { KUBERNETES_PROVIDER, READINESS_WAIT, resourcesOf, synthesisePlugin } from './support/cni-stack';
import { checkAgainstDocumented, compareObjects, DocumentedDifference, Json, hasUpstreamManifests, k8sObjectsOf, loadUpstream, validateK8sObject } from './support/k8s-objects';

// Held against upstream's manifest when it can be read (it lives outside the repository).
const upstreamTest = hasUpstreamManifests('comparisons with the Flannel manifest', ['kube-flannel-v0.28.9.yaml']) ? test : test.skip;
const UPSTREAM = upstreamTest === test ? loadUpstream('kube-flannel-v0.28.9.yaml') : [];
const CONFIG_MAP = 'ConfigMap kube-flannel/kube-flannel-cfg';
const DAEMON_SET = 'DaemonSet kube-flannel/kube-flannel-ds';

function synthesise(plugin: Flannel, podCidr?: string) {
  const { json } = synthesisePlugin(plugin, podCidr ? { podCidr } : {});
  return { json, objects: k8sObjectsOf(json) };
}

function expectMatchesUpstream(json: Json, documented: DocumentedDifference[]): void {
  const { unexplained, unused } = checkAgainstDocumented(compareObjects(k8sObjectsOf(json), UPSTREAM), documented);
  expect(unexplained).toEqual([]);
  expect(unused).toEqual([]);
}

function configMapData(json: Json): Record<string, string> {
  const [configMap] = Object.values(json.resource.kubernetes_config_map_v1) as Json[];
  return configMap.data;
}

describe('Flannel', () => {
  test('is a plugin with its own pod range, datapath and port table', () => {
    const plugin = Cni.flannel();
    expect(plugin.name).toBe('flannel');
    expect(plugin.defaultPodCidr).toBe('10.244.0.0/16');
    expect(plugin.datapath).toEqual({ encapsulation: 'vxlan', port: 8472, controlPorts: [] });
    expect(plugin.ports).toEqual(flannelPorts());
  });

  test('synthesises only typed resources, each on the cluster provider and after the readiness wait', () => {
    const { json } = synthesise(Cni.flannel());
    expect(resourcesOf(json).map(([type]) => type).sort()).toEqual([
      'kubernetes_cluster_role_binding_v1',
      'kubernetes_cluster_role_v1',
      'kubernetes_config_map_v1',
      'kubernetes_daemon_set_v1',
      'kubernetes_namespace_v1',
      'kubernetes_service_account_v1',
    ]);
    for (const [, name, body] of resourcesOf(json)) {
      expect({ name, provider: body.provider }).toEqual({ name, provider: KUBERNETES_PROVIDER });
      expect(body.depends_on).toContain(READINESS_WAIT);
    }
  });

  test('namespaced objects wait for the namespace, and the DaemonSet for everything it names', () => {
    const { json } = synthesise(Cni.flannel());
    const address = (type: string) => `${type}.${Object.keys(json.resource[type])[0]}`;
    const first = (type: string) => Object.values(json.resource[type])[0] as Json;
    const namespace = address('kubernetes_namespace_v1');
    expect(first('kubernetes_service_account_v1').depends_on).toContain(namespace);
    expect(first('kubernetes_config_map_v1').depends_on).toContain(namespace);
    expect(first('kubernetes_daemon_set_v1').depends_on).toEqual(expect.arrayContaining([
      namespace,
      address('kubernetes_service_account_v1'),
      address('kubernetes_config_map_v1'),
      address('kubernetes_cluster_role_v1'),
      address('kubernetes_cluster_role_binding_v1'),
    ]));
  });

  upstreamTest('matches the upstream v0.28.9 manifest field for field with the default pod range', () => {
    const { json } = synthesise(Cni.flannel());
    expectMatchesUpstream(json, []);
  });

  upstreamTest('the JSON documents in the ConfigMap are byte-identical to upstream', () => {
    const { json } = synthesise(Cni.flannel());
    const upstream = UPSTREAM.find((o) => o.kind === 'ConfigMap')!;
    expect(configMapData(json)).toEqual(upstream.data);
  });

  upstreamTest('the pod range from the plan is the only difference in another range', () => {
    const { json } = synthesise(Cni.flannel(), '10.200.0.0/16');
    expectMatchesUpstream(json, [
      { object: CONFIG_MAP, path: 'data["net-conf.json"].Network', reason: "flannel's network must be the cluster's pod range (kubeadm podSubnet), which the plan sets" },
    ]);
    expect(JSON.parse(configMapData(json)['net-conf.json'])).toEqual({ Network: '10.200.0.0/16', EnableNFTables: false, Backend: { Type: 'vxlan' } });
  });

  upstreamTest('options: nftables and custom images', () => {
    const images = FlannelImages.custom('registry.example.com/flannel:v0.28.9', 'registry.example.com/flannel-cni-plugin:v1.9.1-flannel3');
    const { json } = synthesise(Cni.flannel({ enableNftables: true, images }));
    expectMatchesUpstream(json, [
      { object: CONFIG_MAP, path: 'data["net-conf.json"].EnableNFTables', reason: 'option' },
      { object: DAEMON_SET, path: 'spec.template.spec.initContainers[install-cni-plugin].image', reason: 'option' },
      { object: DAEMON_SET, path: 'spec.template.spec.initContainers[install-cni].image', reason: 'option' },
      { object: DAEMON_SET, path: 'spec.template.spec.containers[kube-flannel].image', reason: 'option' },
    ]);
  });

  test.each([
    ['defaults', Cni.flannel()],
    ['every option', Cni.flannel({ enableNftables: true, images: FlannelImages.custom('example.com/f:1', 'example.com/p:1') })],
  ])('every object validates against the Kubernetes schemas (%s)', (_, plugin) => {
    const { objects } = synthesise(plugin);
    expect(objects).toHaveLength(6);
    for (const object of objects) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
  });

  upstreamTest('the comparison notices changed args, a lost capability, a changed label and a changed backend', () => {
    const { json } = synthesise(Cni.flannel());
    const [daemonSet] = Object.values(json.resource.kubernetes_daemon_set_v1) as Json[];
    const flanneld = daemonSet.spec.template.spec.container[0];
    flanneld.args = ['--ip-masq', '--kube-subnet-mgr'];
    flanneld.security_context.capabilities.add = ['NET_ADMIN'];
    const [namespace] = Object.values(json.resource.kubernetes_namespace_v1) as Json[];
    namespace.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline';
    const [configMap] = Object.values(json.resource.kubernetes_config_map_v1) as Json[];
    configMap.data['net-conf.json'] = configMap.data['net-conf.json'].replace('vxlan', 'host-gw');
    const differences = compareObjects(k8sObjectsOf(json), UPSTREAM);
    expect(differences.map((d) => `${d.object} ${d.path}`).sort()).toEqual([
      `${CONFIG_MAP} data["net-conf.json"].Backend.Type`,
      `${DAEMON_SET} spec.template.spec.containers[kube-flannel].args[2]`,
      `${DAEMON_SET} spec.template.spec.containers[kube-flannel].securityContext.capabilities.add[1]`,
      'Namespace /kube-flannel metadata.labels["pod-security.kubernetes.io/enforce"]',
    ]);
  });

  test('synthesis is deterministic', () => {
    expect(synthesise(Cni.flannel()).json).toEqual(synthesise(Cni.flannel()).json);
  });

  test('refuses image references without a tag, listing both', () => {
    let error: ClusterConfigError | undefined;
    try {
      Cni.flannel({ images: FlannelImages.custom('ghcr.io/flannel-io/flannel', 'UPPER/case:v1') });
    } catch (e) {
      error = e as ClusterConfigError;
    }
    expect(error).toBeInstanceOf(ClusterConfigError);
    expect(error!.problems.map((p) => p.property)).toEqual(['flannel.images.flannel', 'flannel.images.cniPlugin']);
    expect(error!.message).toMatch(/no tag or digest/);
    expect(error!.message).toMatch(/is not a container image reference/);
  });
});
