import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { EXAMPLES } from '../examples/synth';
import { KUBEADM_CONFIG_PATH } from '../lib/bootstrap/bootstrap-program';
import {
  discoveryKubeconfig,
  initDocuments,
  joinConfiguration,
  JOIN_TOKEN_CONFIG_PLACEHOLDER,
  KeyAlgorithm,
  KubeadmConfigProps,
  PROVIDER_ID_CONFIG_PLACEHOLDER,
  DISCOVERY_KUBECONFIG_PATH,
  renderDiscoveryKubeconfig,
  renderKubeadmConfig,
} from '../lib/bootstrap/kubeadm-config';
import { KubernetesVersion, SUPPORTED_KUBERNETES_MINORS } from '../lib/bootstrap/kubernetes-version';
import { PACKAGES_BY_MINOR } from '../lib/bootstrap/node-packages';
import { AddressPlan } from '../lib/plan';
import { synthesisedExample } from './support/example-synth';
import { TerraformFiller } from './support/terraform-fill';
import { executable, toolCache as cacheFolder } from './support/tool-cache';

// kubeadm's own validation (`kubeadm config validate --config FILE`, strict decoding: an unknown
// field is an error, in the kubelet and kube-proxy documents too) of every kubeadm document the
// library renders: init, control-plane join and worker join, at every supported minor with that
// minor's kubeadm, and as every example's nodes receive them in their user-data. What a node fills
// in at boot (the join token, its provider ID) is filled with sample values first, and the
// discovery kubeconfig a join names is written where it says, since kubeadm checks that it exists.
//
// The kubeadm binaries are built by .ci/tools (`eval "$(.ci/tools)"` exports KUBEADM_BIN_1_<minor>);
// without them, found neither there nor in the tool cache, the tests are skipped, and fail in CI.

const run = promisify(execFile);
const root = join(__dirname, '..');

/** The kubeadm versions .ci/tools builds, by minor, from .ci/tools.versions. */
function pinnedKubeadmVersions(): Map<number, string> {
  const text = readFileSync(join(root, '.ci/tools.versions'), 'utf8');
  const list = /^KUBEADM_VERSIONS=\(([^)]*)\)/m.exec(text)?.[1] ?? '';
  return new Map(list.split(/\s+/).filter(Boolean).map((v) => [Number(v.split('.')[1]), v]));
}

const pinned = pinnedKubeadmVersions();
const toolCache = cacheFolder();

/** The kubeadm of a minor: KUBEADM_BIN_1_<minor>, else where .ci/tools puts it; undefined if neither. */
function kubeadmOf(minor: number): string | undefined {
  const candidates = [process.env[`KUBEADM_BIN_1_${minor}`], pinned.has(minor) ? join(toolCache, 'kubernetes', pinned.get(minor)!, 'kubeadm') : undefined];
  return candidates.find(executable);
}

const missing = SUPPORTED_KUBERNETES_MINORS.filter((minor) => kubeadmOf(minor) === undefined);
function kubeadmAvailable(): boolean {
  if (missing.length === 0) {
    return true;
  }
  const why =
    `no kubeadm for Kubernetes ${missing.map((m) => `1.${m}`).join(', ')}: neither KUBEADM_BIN_1_<minor> nor ${toolCache}/kubernetes/<version>/kubeadm ` +
    'is an executable; run `eval "$(.ci/tools)"` (it builds them from the Go module proxy, see README)';
  if (process.env.CI) {
    throw new Error(`kubeadm missing in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED kubeadm config validate tests: ${why}`);
  return false;
}
const available = kubeadmAvailable();
const describeIf = available ? describe : describe.skip;

// Sample values for what a node fills in at boot: a token of kubeadm's format and an EC2 provider ID.
const SAMPLE_JOIN_TOKEN = 'abcdef.0123456789abcdef';
const SAMPLE_PROVIDER_ID = 'aws:///eu-west-1a/i-0123456789abcdef0';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
});
afterAll(() => {
  if (scratch) {
    rmSync(scratch, { recursive: true, force: true });
  }
});

let files = 0;
/**
 * Fills the boot-time placeholders, writes the discovery kubeconfig the document names (when it
 * names one) to a scratch file and points the document at it, then runs `kubeadm config validate`.
 * Resolves to kubeadm's output; rejects with it when kubeadm refuses the document.
 */
async function validate(minor: number, config: string, discovery?: { path: string; content: string }): Promise<string> {
  const kubeadm = kubeadmOf(minor)!;
  const n = files++;
  let text = config.replaceAll(JOIN_TOKEN_CONFIG_PLACEHOLDER, SAMPLE_JOIN_TOKEN).replaceAll(PROVIDER_ID_CONFIG_PLACEHOLDER, SAMPLE_PROVIDER_ID);
  expect(text).not.toMatch(/@[a-z-]+@/);
  if (discovery !== undefined) {
    const path = join(scratch, `discovery-${n}.conf`);
    writeFileSync(path, discovery.content);
    expect(text).toContain(discovery.path);
    text = text.replaceAll(discovery.path, path);
  }
  const file = join(scratch, `kubeadm-${n}.yaml`);
  writeFileSync(file, text);
  try {
    const { stdout, stderr } = await run(kubeadm, ['config', 'validate', '--config', file], { encoding: 'utf8' });
    return `${stdout}${stderr}`;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`kubeadm 1.${minor} refused:\n${text}\n--- kubeadm said:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
}

/** kubeadm says `ok` and warns of nothing. */
function expectClean(output: string): void {
  expect(output.trim().split('\n')).toEqual(['ok']);
}

// Several shapes of cluster, so that every optional part of the documents is validated.
const PLANS = {
  single: AddressPlan.create({ vpcCidr: '10.0.0.0/16', zoneCount: 2, controlPlaneCount: 1, workerCount: 3 }),
  ha: AddressPlan.create({
    vpcCidr: '172.20.0.0/16',
    zoneCount: 3,
    controlPlaneCount: 3,
    workerCount: 40,
    podCidr: '10.32.0.0/12',
    serviceCidr: '10.100.0.0/16',
    nodeCidrMaskSize: 22,
  }),
};
type Variant = Omit<KubeadmConfigProps, 'kubernetesVersion'>;
const VARIANTS: Record<string, Variant> = {
  'single control plane, defaults': { plan: PLANS.single, apiServerHost: 'api.example.com' },
  'HA, published issuer, RSA, serving certificates': {
    plan: PLANS.ha,
    apiServerHost: 'k8s-api-0123456789.elb.eu-west-1.amazonaws.com',
    apiServerPort: 443,
    clusterName: 'prod-eu',
    extraCertSans: ['kubernetes.example.org', '203.0.113.10'],
    keyAlgorithm: KeyAlgorithm.RSA_3072,
    serviceAccountIssuer: { issuerUrl: 'https://oidc.example.org/prod-eu', jwksUrl: 'https://oidc.example.org/prod-eu/openid/v1/jwks' },
    kubeletServingCertificates: true,
  },
  'no kube-proxy, in-tree cloud provider off': { plan: PLANS.ha, apiServerHost: '10.0.0.10', kubeProxy: false, externalCloudProvider: false },
};

/** The newest patch of each minor that .ci/tools builds kubeadm at, as the library's version. */
function versionOf(minor: number): KubernetesVersion {
  const v = pinned.get(minor) ?? `v1.${minor}.0`;
  return KubernetesVersion.of(v.slice(1));
}

const discoveryFor = (props: Variant, caPath: string) => ({ path: DISCOVERY_KUBECONFIG_PATH, content: renderDiscoveryKubeconfig(discoveryKubeconfig(props, caPath)) });

const rendered = SUPPORTED_KUBERNETES_MINORS.flatMap((minor) =>
  Object.entries(VARIANTS).flatMap(([name, variant]) => {
    const props: KubeadmConfigProps = { ...variant, kubernetesVersion: versionOf(minor) };
    return [
      [`1.${minor} ${name}: init`, minor, renderKubeadmConfig(initDocuments(props)), undefined],
      [
        `1.${minor} ${name}: control-plane join`,
        minor,
        renderKubeadmConfig([joinConfiguration(props, { controlPlaneAddress: variant.plan.controlPlaneNodes[variant.plan.controlPlaneNodes.length - 1].privateIp })]),
        discoveryFor(variant, '/etc/kubernetes/pki/ca.crt'),
      ],
      [`1.${minor} ${name}: worker join`, minor, renderKubeadmConfig([joinConfiguration(props)]), discoveryFor(variant, '/etc/kubeadm-bootstrap/ca.crt')],
    ] as const;
  }),
);

describeIf('kubeadm config validate: the documents at every supported minor', () => {
  test.each(rendered)('%s', async (_name, minor, config, discovery) => {
    expectClean(await validate(minor, config, discovery));
  });

  // So that a pass above means something: the same kubeadm refuses what strict decoding forbids.
  test.each(SUPPORTED_KUBERNETES_MINORS)('kubeadm 1.%i refuses an unknown kubelet field and a malformed token', async (minor) => {
    const [, , init] = rendered.find(([, m, , d]) => m === minor && d === undefined)!;
    await expect(validate(minor, init.replace('maxPods:', 'maxPodz:'))).rejects.toThrow(/strict decoding error: unknown field "maxPodz"/);
    const [, , join, discovery] = rendered.find(([name, m]) => m === minor && name.endsWith('worker join'))!;
    await expect(validate(minor, join.replaceAll(JOIN_TOKEN_CONFIG_PLACEHOLDER, 'not-a-token'), discovery)).rejects.toThrow(/token/i);
  });
});

// ---- Every example's nodes, as EC2 hands them their user-data.

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
}

function contentOf(file: WriteFile): string {
  return file.encoding === 'b64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
}

interface NodeDocuments {
  readonly name: string;
  readonly kind: 'init' | 'control-plane join' | 'worker join';
  readonly config: string;
  readonly discovery?: { path: string; content: string };
}

function nodeDocumentsOf(example: string): NodeDocuments[] {
  const synth = synthesisedExample(example);
  const filler = new TerraformFiller();
  const nodes = [
    ...synth.resources('aws_instance').map(([id, r]) => [id, r.user_data_base64 as string] as const),
    ...synth.resources('aws_launch_template').map(([id, r]) => [id, r.user_data as string] as const),
  ];
  return nodes.map(([id, attribute]) => {
    const writes = (parse(filler.decodeUserData(attribute).text) as { write_files: WriteFile[] }).write_files;
    const file = (path: string) => writes.find((w) => w.path === path);
    const init = file(KUBEADM_CONFIG_PATH);
    const join = file(`${KUBEADM_CONFIG_PATH}.template`);
    const discovery = file(DISCOVERY_KUBECONFIG_PATH);
    if (init !== undefined) {
      return { name: `${example} ${id}`, kind: 'init', config: contentOf(init) };
    }
    if (join === undefined || discovery === undefined) {
      throw new Error(`${example} ${id}: user-data writes neither ${KUBEADM_CONFIG_PATH} nor its .template with ${DISCOVERY_KUBECONFIG_PATH}`);
    }
    const config = contentOf(join);
    const controlPlane = parseAllDocuments(config).some((d) => (d.toJS() as { controlPlane?: unknown }).controlPlane !== undefined);
    return {
      name: `${example} ${id}`,
      kind: controlPlane ? 'control-plane join' : 'worker join',
      config,
      discovery: { path: DISCOVERY_KUBECONFIG_PATH, content: contentOf(discovery) },
    };
  });
}

/** The minor of the example's cluster, from its init document's kubernetesVersion. */
function minorOf(documents: readonly NodeDocuments[]): number {
  const init = documents.find((d) => d.kind === 'init');
  const cluster = parseAllDocuments(init!.config)
    .map((d) => d.toJS() as { kind: string; kubernetesVersion?: string })
    .find((d) => d.kind === 'ClusterConfiguration');
  return Number(/^v1\.(\d+)\./.exec(cluster!.kubernetesVersion!)![1]);
}

const examples = available
  ? Object.keys(EXAMPLES).flatMap((example) => {
      const documents = nodeDocumentsOf(example);
      const minor = minorOf(documents);
      return documents.map((d) => [`${d.name} (${d.kind}, 1.${minor})`, minor, d] as const);
    })
  : [];

describeIf('kubeadm config validate: every example node', () => {
  test.each(examples)('%s', async (_name, minor, documents) => {
    expectClean(await validate(minor, documents.config, documents.discovery));
  });

  test('every example has an init, and joins of each kind among them', () => {
    const kinds = new Set(examples.map(([, , d]) => d.kind));
    expect([...kinds].sort()).toEqual(['control-plane join', 'init', 'worker join']);
    expect(examples.filter(([, , d]) => d.kind === 'init').length).toBeGreaterThanOrEqual(Object.keys(EXAMPLES).length);
  });
});

describeIf('kubeadm config images list: the images each minor pins are the ones its kubeadm runs', () => {
  test.each(SUPPORTED_KUBERNETES_MINORS.map((minor) => [minor]))('1.%i: the sandbox (pause) image and the etcd image', async (minor) => {
    const kubeadm = kubeadmOf(minor)!;
    const { stdout: version } = await run(kubeadm, ['version', '-o', 'short']);
    const { stdout } = await run(kubeadm, ['config', 'images', 'list', '--kubernetes-version', version.trim()]);
    const images = stdout.trim().split('\n');
    // containerd's sandbox image must be kubeadm's, or kubeadm's preflight warns and the kubelet
    // runs pods on another pause than the one kubeadm pulled; the etcd tools come from the image etcd runs.
    expect(images).toContain(PACKAGES_BY_MINOR[minor].pauseImage);
    expect(images).toContain(PACKAGES_BY_MINOR[minor].etcdImage);
  });
});
