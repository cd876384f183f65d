import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { Cni, WeaveIptablesBackend, WeaveImage, WeaveNet, weavePorts } from '../lib/cni';
import { ClusterConfigError } from '../lib/plan/problems';
import { READINESS_WAIT, KUBERNETES_PROVIDER, resourcesOf, synthesisePlugin } from './support/cni-stack';
import { checkAgainstDocumented, compareObjects, DocumentedDifference, Json, hasUpstreamManifests, k8sObjectsOf, loadUpstream, validateK8sObject } from './support/k8s-objects';

// Held against upstream's manifest when it can be read (it lives outside the repository).
const upstreamTest = hasUpstreamManifests('comparisons with the Weave Net manifest', ['weave-net-v2.8.1.yaml']) ? test : test.skip;
const UPSTREAM = upstreamTest === test ? loadUpstream('weave-net-v2.8.1.yaml') : [];
const DAEMON_SET = 'DaemonSet kube-system/weave-net';
const POD_CIDR = '10.200.0.0/16';

/** Differences from the upstream manifest every installation makes, and why. */
const ALWAYS: DocumentedDifference[] = [
  {
    object: DAEMON_SET,
    path: 'spec.template.spec.containers[weave].env[IPALLOC_RANGE]',
    reason: "Weave's range must be the cluster's pod range (kubeadm podSubnet, kube-proxy clusterCIDR); the manifest leaves Weave's own default",
  },
  {
    object: DAEMON_SET,
    path: 'spec.template.spec.containers[weave].env[WEAVE_MTU]',
    reason: "AWS carries 9001-byte frames; Weave's built-in 1376 is sized for a 1460-byte underlay",
  },
  {
    object: DAEMON_SET,
    path: 'spec.template.spec.containers[weave].env[CHECKPOINT_DISABLE]',
    reason: "Weaveworks' version-check service is gone with the company; the router should not call its domain (the ReWeave manifest sets this too)",
  },
];

/** With the default (maintained fork) images, the image fields differ too. */
const REWEAVE_IMAGES: DocumentedDifference[] = [
  'spec.template.spec.initContainers[weave-init].image',
  'spec.template.spec.containers[weave].image',
  'spec.template.spec.containers[weave-npc].image',
].map((path) => ({ object: DAEMON_SET, path, reason: 'the default images are the maintained ReWeave fork of the same release line' }));

function weaveObjects(plugin: WeaveNet, podCidr = POD_CIDR) {
  const { json } = synthesisePlugin(plugin, { podCidr });
  return { json, objects: k8sObjectsOf(json) };
}

function expectMatchesUpstream(json: Json, documented: DocumentedDifference[]): void {
  const { unexplained, unused } = checkAgainstDocumented(compareObjects(k8sObjectsOf(json), UPSTREAM), documented);
  expect(unexplained).toEqual([]);
  expect(unused).toEqual([]);
}

function envOf(json: Json, container: string): Json[] {
  const [daemonSet] = Object.values(json.resource.kubernetes_daemon_set_v1) as Json[];
  return daemonSet.spec.template.spec.container.find((c: Json) => c.name === container).env;
}

describe('Weave Net', () => {
  test('is a plugin with its own pod range, datapath and port table', () => {
    const plugin = Cni.weave();
    expect(plugin.name).toBe('weave-net');
    expect(plugin.defaultPodCidr).toBe('10.32.0.0/12');
    expect(plugin.datapath).toEqual({ encapsulation: 'vxlan', port: 6784, controlPorts: [6783] });
    expect(plugin.ports).toEqual(weavePorts());
    expect(plugin.ports.some((r) => r.protocol === 'esp')).toBe(false);
    expect(Cni.weave({ encryption: true }).ports).toEqual(weavePorts({ encryption: true }));
  });

  test('synthesises only typed resources, each on the cluster provider and after the readiness wait', () => {
    const { json } = weaveObjects(Cni.weave({ encryption: true }));
    const types = new Set(resourcesOf(json).map(([type]) => type));
    expect([...types].sort()).toEqual([
      'kubernetes_cluster_role_binding_v1',
      'kubernetes_cluster_role_v1',
      'kubernetes_daemon_set_v1',
      'kubernetes_role_binding_v1',
      'kubernetes_role_v1',
      'kubernetes_secret_v1',
      'kubernetes_service_account_v1',
      'random_password',
    ]);
    for (const [type, name, body] of resourcesOf(json)) {
      if (type.startsWith('kubernetes_')) {
        expect({ name, provider: body.provider }).toEqual({ name, provider: KUBERNETES_PROVIDER });
        expect(body.depends_on).toContain(READINESS_WAIT);
      }
    }
  });

  test('the DaemonSet waits for its service account, RBAC and password secret', () => {
    const { json } = weaveObjects(Cni.weave({ encryption: true }));
    const [daemonSet] = Object.values(json.resource.kubernetes_daemon_set_v1) as Json[];
    for (const type of ['kubernetes_service_account_v1', 'kubernetes_cluster_role_v1', 'kubernetes_cluster_role_binding_v1', 'kubernetes_role_v1', 'kubernetes_role_binding_v1', 'kubernetes_secret_v1']) {
      const [name] = Object.keys(json.resource[type]);
      expect(daemonSet.depends_on).toContain(`${type}.${name}`);
    }
  });

  upstreamTest('matches the upstream v2.8.1 manifest field for field, apart from the pod range and MTU', () => {
    const { json } = weaveObjects(Cni.weave({ image: WeaveImage.upstream() }));
    expectMatchesUpstream(json, ALWAYS);
    expect(envOf(json, 'weave')).toEqual(expect.arrayContaining([{ name: 'IPALLOC_RANGE', value: POD_CIDR }, { name: 'WEAVE_MTU', value: '8912' }]));
  });

  upstreamTest('defaults to the ReWeave images, otherwise the same objects', () => {
    const { json, objects } = weaveObjects(Cni.weave());
    expectMatchesUpstream(json, [...ALWAYS, ...REWEAVE_IMAGES]);
    const images = JSON.stringify(objects).match(/"image":"[^"]+"/g);
    expect(images).toEqual([
      '"image":"rajchaudhuri/weave-kube:2.9.0"',
      '"image":"rajchaudhuri/weave-npc:2.9.0"',
      '"image":"rajchaudhuri/weave-kube:2.9.0"',
    ]);
  });

  upstreamTest('encryption: a generated password in a Secret, read through secretKeyRef', () => {
    const { json } = weaveObjects(Cni.weave({ image: WeaveImage.upstream(), encryption: true }));
    expectMatchesUpstream(json, [
      ...ALWAYS,
      { object: DAEMON_SET, path: 'spec.template.spec.containers[weave].env[WEAVE_PASSWORD]', reason: 'encryption is an option upstream leaves off' },
      { object: 'Secret kube-system/weave-passwd', path: '', reason: 'holds the encryption password' },
    ]);

    const [[passwordName, password]] = Object.entries(json.resource.random_password) as Array<[string, Json]>;
    expect(password).toMatchObject({ length: 64, special: false });
    // Created once, unaliased, when the stack had none.
    expect(json.provider.random).toEqual([{}]);

    const [secret] = Object.values(json.resource.kubernetes_secret_v1) as Json[];
    expect(secret.metadata).toMatchObject({ name: 'weave-passwd', namespace: 'kube-system' });
    expect(secret.data).toEqual({ 'weave-passwd': `\${random_password.${passwordName}.result}` });
    expect(envOf(json, 'weave')).toContainEqual({ name: 'WEAVE_PASSWORD', value_from: { secret_key_ref: { name: 'weave-passwd', key: 'weave-passwd' } } });
  });

  test('encryption reuses a random provider the stack already has, whatever its id', () => {
    const { json } = synthesisePlugin(Cni.weave({ encryption: true }), {}, {}, (stack) => new RandomProvider(stack, 'users-random'));
    expect(json.provider.random).toHaveLength(1);
    const [password] = Object.values(json.resource.random_password) as Json[];
    expect([undefined, 'random']).toContain(password.provider);
  });

  upstreamTest('an iptables backend goes to both containers that write rules', () => {
    const { json } = weaveObjects(Cni.weave({ image: WeaveImage.upstream(), iptablesBackend: WeaveIptablesBackend.LEGACY }));
    expectMatchesUpstream(json, [
      ...ALWAYS,
      { object: DAEMON_SET, path: 'spec.template.spec.containers[weave].env[IPTABLES_BACKEND]', reason: 'chosen backend' },
      { object: DAEMON_SET, path: 'spec.template.spec.containers[weave-npc].env[IPTABLES_BACKEND]', reason: 'chosen backend' },
    ]);
    expect(envOf(json, 'weave')).toContainEqual({ name: 'IPTABLES_BACKEND', value: 'legacy' });
    expect(envOf(json, 'weave-npc')).toContainEqual({ name: 'IPTABLES_BACKEND', value: 'legacy' });
    expect(WeaveIptablesBackend.NFT.value).toBe('nft');
  });

  test('a custom MTU is written as given', () => {
    const { json } = weaveObjects(Cni.weave({ mtu: 1376 }));
    expect(envOf(json, 'weave')).toContainEqual({ name: 'WEAVE_MTU', value: '1376' });
  });

  test.each([
    ['defaults', Cni.weave()],
    ['every option', Cni.weave({ encryption: true, iptablesBackend: WeaveIptablesBackend.NFT, mtu: 1400, image: WeaveImage.custom('registry.example.com:5000/weave/kube:2.9.0', 'registry.example.com:5000/weave/npc@sha256:' + 'a'.repeat(64)) })],
  ])('every object validates against the Kubernetes schemas (%s)', (_, plugin) => {
    const { objects } = weaveObjects(plugin);
    expect(objects.length).toBeGreaterThanOrEqual(6);
    for (const object of objects) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
  });

  upstreamTest('the comparison notices a changed image, a lost mount and a changed RBAC verb', () => {
    const { json } = weaveObjects(Cni.weave({ image: WeaveImage.upstream() }));
    const [daemonSet] = Object.values(json.resource.kubernetes_daemon_set_v1) as Json[];
    const npc = daemonSet.spec.template.spec.container[1];
    npc.image = 'weaveworks/weave-npc:2.8.0';
    daemonSet.spec.template.spec.container[0].volume_mount.pop();
    const [clusterRole] = Object.values(json.resource.kubernetes_cluster_role_v1) as Json[];
    clusterRole.rule[3].verbs = ['patch'];
    const { unexplained } = checkAgainstDocumented(compareObjects(k8sObjectsOf(json), UPSTREAM), ALWAYS);
    expect(unexplained.map((d) => `${d.object} ${d.path}`).sort()).toEqual([
      'ClusterRole /weave-net rules[3].verbs[1]',
      `${DAEMON_SET} spec.template.spec.containers[weave-npc].image`,
      `${DAEMON_SET} spec.template.spec.containers[weave].volumeMounts[xtables-lock]`,
    ]);
  });

  upstreamTest('a documented difference that no longer happens is reported', () => {
    const { json } = weaveObjects(Cni.weave({ image: WeaveImage.upstream() }));
    const { unused } = checkAgainstDocumented(compareObjects(k8sObjectsOf(json), UPSTREAM), [...ALWAYS, ...REWEAVE_IMAGES]);
    expect(unused).toEqual(REWEAVE_IMAGES);
  });

  test('synthesis is deterministic', () => {
    const first = weaveObjects(Cni.weave({ encryption: true })).json;
    const second = weaveObjects(Cni.weave({ encryption: true })).json;
    expect(second).toEqual(first);
  });

  describe('option validation', () => {
    test.each([
      [9000, /from 576 to 8912/],
      [100, /from 576 to 8912/],
      [1500.5, /from 576 to 8912/],
      [1378, /divisible by 4.*Fix: use 1376/],
    ])('refuses MTU %p', (mtu, message) => {
      expect(() => Cni.weave({ mtu })).toThrow(ClusterConfigError);
      expect(() => Cni.weave({ mtu })).toThrow(message);
    });

    test('lists every bad option at once, with property, value and fix', () => {
      let error: ClusterConfigError | undefined;
      try {
        Cni.weave({ mtu: 10000, image: WeaveImage.custom('weaveworks/weave-kube', 'Not An Image') });
      } catch (e) {
        error = e as ClusterConfigError;
      }
      expect(error).toBeInstanceOf(ClusterConfigError);
      expect(error!.problems.map((p) => [p.property, p.value])).toEqual([
        ['weave.image.kube', '"weaveworks/weave-kube"'],
        ['weave.image.npc', '"Not An Image"'],
        ['weave.mtu', '10000'],
      ]);
      expect(error!.problems[0].message).toMatch(/no tag or digest/);
      expect(error!.problems.every((p) => p.fix.length > 0)).toBe(true);
    });
  });
});
