import { EXAMPLES } from '../examples/synth';
import { synthesisedExample } from './support/example-synth';
import { evaluateAttributeValue, HclValue } from './support/hcl-eval';
import { K8sObject, toK8sObject } from './support/k8s-objects';
import { ApiResponse, controlPlaneBinaries, KUBE_APISERVER_VERSION, LocalApiServer } from './support/kube-apiserver';
import { TerraformFiller } from './support/terraform-fill';

// Every Kubernetes object the examples create, sent to a real kube-apiserver at the clusters'
// Kubernetes minor with `?dryRun=All&fieldValidation=Strict`: the API server decodes it strictly
// (an unknown or duplicated field is an error, which kubernetes-models' schemas let pass),
// defaults it, validates it and runs admission, and stores nothing. Each cluster gets an API server
// of its own with that cluster's service range, its namespaces created for real first.
//
// The objects are the typed `kubernetes_*` resources (the cluster's own and whatever
// ClusterWorkloads.addKubernetesResource adds), read back by the strict converter of k8s-objects,
// their references filled as Terraform would fill them at apply time. Helm releases are not
// covered: Helm renders the chart from its repository at apply time, so there is no object to send
// offline; they are listed with that reason.

const binaries = controlPlaneBinaries('the API server dry-run of the examples\' objects');
const describeIf = binaries ? describe : describe.skip;

/** The order Terraform's dependencies give: what is referred to before what refers to it. */
const KIND_ORDER = ['Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'ClusterRole', 'Role', 'ClusterRoleBinding', 'RoleBinding', 'Service', 'DaemonSet', 'Deployment', 'Job'];

interface Resource {
  /** Terraform address, `type.name`. */
  readonly address: string;
  readonly object: K8sObject;
}

interface Cluster {
  readonly example: string;
  readonly name: string;
  readonly serviceCidr: string;
  readonly kubernetesVersion: string;
  readonly resources: readonly Resource[];
}

/** An example's clusters (one per kubernetes provider alias) and the objects each is sent. */
function clustersOf(example: string): Cluster[] {
  const stack = synthesisedExample(example);
  const byProvider = new Map<string, Resource[]>();
  for (const [type, resources] of Object.entries(stack.json.resource as Record<string, Record<string, { provider?: string }>>)) {
    if (!type.startsWith('kubernetes_')) {
      continue;
    }
    for (const [name, resource] of Object.entries(resources)) {
      const alias = /^kubernetes\.(.+)$/.exec(resource.provider ?? '')?.[1];
      if (alias === undefined) {
        throw new Error(`${type}.${name} names no kubernetes provider alias (${resource.provider})`);
      }
      byProvider.set(alias, [...(byProvider.get(alias) ?? []), { address: `${type}.${name}`, object: toK8sObject(type, resource) }]);
    }
  }
  const descriptions = Object.entries(stack.json.output as Record<string, { value: { clusterName: string; plan: { serviceCidr: string } } }>)
    .filter(([key]) => key.endsWith('_network_description'))
    .map(([, output]) => output.value);
  return [...byProvider].map(([name, resources]) => {
    const description = descriptions.find((d) => d.clusterName === name);
    // kubeadm's ClusterConfiguration, as the control plane's user-data holds it.
    const version = new RegExp(`clusterName: '${name}'(?:\\\\+n|\\s)*kubernetesVersion: '(v[0-9.]+)'`).exec(stack.text)?.[1];
    if (description === undefined || version === undefined) {
      throw new Error(`${example}: cannot find the service range and Kubernetes version of cluster ${name}`);
    }
    return { example, name, serviceCidr: description.plan.serviceCidr, kubernetesVersion: version, resources };
  });
}

function helmReleasesOf(example: string): string[] {
  return synthesisedExample(example).resources('helm_release').map(([, r]) => `${r.chart} ${r.version}`);
}

/** Where an object of its kind is created, from the API server's discovery. */
async function collectionPath(server: LocalApiServer, object: K8sObject, cache: Map<string, Array<{ kind: string; name: string; namespaced: boolean }>>): Promise<string> {
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  let resources = cache.get(base);
  if (resources === undefined) {
    const { status, body } = await server.request('GET', base);
    if (status !== 200) {
      throw new Error(`discovery of ${base}: ${status}`);
    }
    resources = body.resources as Array<{ kind: string; name: string; namespaced: boolean }>;
    cache.set(base, resources);
  }
  const resource = resources.find((r) => r.kind === object.kind && !r.name.includes('/'));
  if (resource === undefined) {
    throw new Error(`the API server serves no ${object.kind} in ${object.apiVersion}`);
  }
  return resource.namespaced ? `${base}/namespaces/${object.metadata.namespace ?? 'default'}/${resource.name}` : `${base}/${resource.name}`;
}

/**
 * Fills every `${...}` of an object as Terraform would at apply time: names of other Kubernetes
 * objects from their configuration, a Service's cluster IP from the API server's answer for it,
 * and cloud attributes with realistic stand-ins.
 */
function fillReferences(value: unknown, resolved: Map<string, Resource>, answers: Map<string, ApiResponse>, filler: TerraformFiller): unknown {
  if (typeof value === 'string') {
    return value.includes('${') ? evaluateAttributeValue(value, (reference) => referenceValue(reference, resolved, answers, filler)) : value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => fillReferences(v, resolved, answers, filler));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillReferences(v, resolved, answers, filler)]));
  }
  return value;
}

function referenceValue(reference: string, resolved: Map<string, Resource>, answers: Map<string, ApiResponse>, filler: TerraformFiller): HclValue {
  if (!reference.startsWith('kubernetes_')) {
    return filler.valueOf(reference);
  }
  const [, address, attribute] = /^([^.]+\.[^.]+)\.(.+)$/.exec(reference) ?? [];
  const target = resolved.get(address);
  if (target === undefined) {
    throw new Error(`${reference}: no such Kubernetes resource in this cluster`);
  }
  if (attribute === 'metadata[0].name') {
    return target.object.metadata.name;
  }
  if (attribute === 'spec[0].cluster_ip') {
    // A dry-run answer carries an address of the service range that is not reserved.
    const clusterIp = answers.get(address)?.body?.spec?.clusterIP;
    if (typeof clusterIp !== 'string') {
      throw new Error(`${reference}: the Service was not answered with a cluster IP before it was referred to`);
    }
    return clusterIp;
  }
  throw new Error(`${reference}: no value for this attribute`);
}

interface Refusal {
  readonly object: string;
  readonly status: number;
  readonly message: string;
}

interface ClusterResult {
  readonly counts: Record<string, number>;
  readonly refusals: Refusal[];
  readonly warnings: string[];
  /** The objects as sent, by Terraform address, for the negative controls. */
  readonly sent: Map<string, K8sObject>;
}

/** Creates the cluster's namespaces, then dry-runs every other object, in dependency order. */
async function sendCluster(server: LocalApiServer, cluster: Cluster): Promise<ClusterResult> {
  const filler = new TerraformFiller();
  const discovery = new Map<string, Array<{ kind: string; name: string; namespaced: boolean }>>();
  const resolved = new Map(cluster.resources.map((r) => [r.address, r]));
  const answers = new Map<string, ApiResponse>();
  const result: ClusterResult = { counts: {}, refusals: [], warnings: [], sent: new Map() };
  const rank = (r: Resource) => {
    const i = KIND_ORDER.indexOf(r.object.kind);
    if (i < 0) {
      throw new Error(`${r.address}: no place in KIND_ORDER for ${r.object.kind}`);
    }
    return i;
  };
  for (const resource of [...cluster.resources].sort((a, b) => rank(a) - rank(b) || a.address.localeCompare(b.address))) {
    const object = fillReferences(resource.object, resolved, answers, filler) as K8sObject;
    result.sent.set(resource.address, object);
    // A namespace is created for real, so that the objects in it can be dry-run.
    const query = object.kind === 'Namespace' ? '?fieldValidation=Strict' : '?dryRun=All&fieldValidation=Strict';
    const answer = await server.request('POST', `${await collectionPath(server, object, discovery)}${query}`, object);
    answers.set(resource.address, answer);
    const name = `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name} (${resource.address})`;
    result.warnings.push(...answer.warnings.map((w) => `${name}: ${w}`));
    if (answer.status === 201 || answer.status === 200) {
      result.counts[object.kind] = (result.counts[object.kind] ?? 0) + 1;
    } else {
      result.refusals.push({ object: name, status: answer.status, message: answer.body?.message ?? String(answer.body) });
    }
  }
  return result;
}

const countsLine = (counts: Record<string, number>) =>
  Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([kind, n]) => `${n} ${kind}`).join(', ');

const add = (into: Record<string, number>, counts: Record<string, number>) => {
  for (const [kind, n] of Object.entries(counts)) {
    into[kind] = (into[kind] ?? 0) + n;
  }
};

describeIf(`every example's Kubernetes objects, dry-run on kube-apiserver ${KUBE_APISERVER_VERSION}`, () => {
  const total: Record<string, number> = {};
  const report: string[] = [];
  const serverMinor = KUBE_APISERVER_VERSION.split('.').slice(0, 2).join('.');

  afterAll(() => {
    const sum = Object.values(total).reduce((a, b) => a + b, 0);
    const helm = Object.keys(EXAMPLES).map((example) => `${example}: ${helmReleasesOf(example).join(', ') || 'none'}`);
    // eslint-disable-next-line no-console
    console.log([
      ...report,
      `total: ${sum} objects accepted: ${countsLine(total)}`,
      'Helm releases, not dry-run (Helm renders each chart from its repository at apply time):',
      ...helm.map((line) => `  ${line}`),
    ].join('\n'));
  });

  describe.each(Object.keys(EXAMPLES))('%s', (example) => {
    const clusters = clustersOf(example);

    test.each(clusters.map((c) => [c.name, c] as const))('cluster %s: every object is accepted', async (_, cluster) => {
      const minor = cluster.kubernetesVersion.split('.').slice(0, 2).join('.');
      const note = minor === serverMinor ? '' : ` (the cluster runs ${cluster.kubernetesVersion}; held against ${KUBE_APISERVER_VERSION} only)`;
      const server = await LocalApiServer.start({ binaries: binaries!, serviceCidr: cluster.serviceCidr });
      try {
        const result = await sendCluster(server, cluster);
        add(total, result.counts);
        report.push(`${example}/${cluster.name} (${cluster.kubernetesVersion}, services ${cluster.serviceCidr})${note}: ${countsLine(result.counts)}`);
        expect(result.refusals).toEqual([]);
        expect(result.warnings).toEqual([]);
        expect(Object.values(result.counts).reduce((a, b) => a + b, 0)).toBe(cluster.resources.length);
      } finally {
        await server.stop();
      }
    }, 240_000);
  });
});

test('without kube-apiserver, CI fails with the reason', () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { CI: 'true', KUBE_APISERVER_BIN: '/nonexistent/kube-apiserver', CDKTF_KUBEADM_TOOLS: '/nonexistent', ETCD_BIN_DIR: '/nonexistent' });
    expect(() => controlPlaneBinaries('the check')).toThrow(new RegExp(`the check cannot run in CI: no kube-apiserver ${KUBE_APISERVER_VERSION.replace(/\./g, '\\.')}: .*; ETCD_BIN_DIR does not point at etcd`));
  } finally {
    process.env = saved;
  }
});

describeIf('the dry-run can refuse', () => {
  let server: LocalApiServer;
  let sent: Map<string, K8sObject>;
  const cluster = clustersOf('default')[0];
  const find = (kind: string) => {
    const entry = [...sent].find(([, o]) => o.kind === kind);
    if (entry === undefined) {
      throw new Error(`the default example sends no ${kind}`);
    }
    return structuredClone(entry[1]);
  };
  const discovery = new Map<string, Array<{ kind: string; name: string; namespaced: boolean }>>();
  const dryRun = async (object: K8sObject) => server.request('POST', `${await collectionPath(server, object, discovery)}?dryRun=All&fieldValidation=Strict`, object);

  beforeAll(async () => {
    server = await LocalApiServer.start({ binaries: binaries!, serviceCidr: cluster.serviceCidr });
    const result = await sendCluster(server, cluster);
    expect(result.refusals).toEqual([]);
    sent = result.sent;
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
  });

  test('an unknown field, with the strict field validation error', async () => {
    const deployment = find('Deployment');
    expect((await dryRun(deployment)).status).toBe(201);
    deployment.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    const answer = await dryRun(deployment);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/);
  });

  test('an invalid port', async () => {
    const service = find('Service');
    expect((await dryRun(service)).status).toBe(201);
    service.spec.ports[0].port = 70000;
    const answer = await dryRun(service);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toMatch(/spec\.ports\[0\]\.port: Invalid value: 70000/);
  });

  test('a cluster IP outside the service range the server was given', async () => {
    const service = find('Service');
    service.spec.clusterIP = '192.0.2.10';
    const answer = await dryRun(service);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain(`the provided IP (192.0.2.10) is not in the valid range. The range of valid IPs is ${cluster.serviceCidr}`);
  });

  test('an object in a namespace that does not exist, and stores nothing it accepts', async () => {
    const account = find('ServiceAccount');
    expect((await dryRun({ ...account, metadata: { ...account.metadata, namespace: 'no-such-namespace' } })).status).toBe(404);
    expect((await dryRun(account)).status).toBe(201);
    expect((await server.request('GET', `/api/v1/namespaces/${account.metadata.namespace}/serviceaccounts/${account.metadata.name}`)).status).toBe(404);
  });
});
