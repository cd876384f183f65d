import { gzipSync } from 'node:zlib';
import { Fn, TerraformOutput, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { parse } from 'yaml';
import {
  controlPlaneUserData,
  ControlPlanePki,
  ControlPlaneUserDataProps,
  firstControlPlaneUserData,
  joiningControlPlaneUserData,
  USER_DATA_LIMIT_BYTES,
  workerUserData,
} from '../lib/bootstrap/cloud-init';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { AddressPlan } from '../lib/plan';
import { problemsThrownBy } from './support/problems';
import { cloudInitSchema, hasTool, shellcheck } from './support/validators';
import { KeyKind, realisticPki } from './support/realistic-pki';

// ---- Realistic inputs -----------------------------------------------------------------------------

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * Stands in for cdktf: every input is an opaque token at synth time, which Terraform later replaces
 * with the real value. `fill` does Terraform's part.
 */
class Tokens {
  private readonly values = new Map<string, string>();

  public token(value: string): string {
    const token = `\${TfToken[TOKEN.${this.values.size + 1}]}`;
    this.values.set(token, value);
    return token;
  }

  public fill(text: string): string {
    let filled = text;
    for (const [token, value] of this.values) {
      filled = filled.split(token).join(value);
    }
    return filled;
  }
}

const plan = AddressPlan.create({ zoneCount: 3, controlPlaneCount: 3, workerCount: 20 });
const BOOTSTRAP_TOKEN = 'k8sabc.0123456789abcdef';
// A long but real endpoint: an EC2 public DNS name.
const ENDPOINT = 'ec2-203-0-113-250.eu-central-1.compute.amazonaws.com';

interface Rendered {
  readonly kind: string;
  readonly withTokens: string;
  readonly filled: string;
}

function renderAll(keyKind: KeyKind, version = '1.36.4'): { rendered: Rendered[]; pki: Record<keyof ControlPlanePki, string> } {
  const tokens = new Tokens();
  const pki = realisticPki(keyKind);
  const pkiTokens = Object.fromEntries(Object.entries(pki).map(([k, v]) => [k, tokens.token(b64(v))])) as unknown as ControlPlanePki;
  const props: ControlPlaneUserDataProps = {
    kubernetesVersion: KubernetesVersion.of(version),
    plan,
    apiServerHost: tokens.token(ENDPOINT),
    bootstrapToken: tokens.token(BOOTSTRAP_TOKEN),
    clusterName: 'production-eu-central-1',
    pki: pkiTokens,
  };
  const raw: Array<[string, string]> = [
    ['first control plane (init)', controlPlaneUserData(props, 0)],
    ['second control plane (join)', controlPlaneUserData(props, 1)],
    ['third control plane (join)', controlPlaneUserData(props, 2)],
    ['worker (join)', workerUserData({ ...props, caCertificate: pkiTokens.caCertificate })],
  ];
  return { pki, rendered: raw.map(([kind, withTokens]) => ({ kind, withTokens, filled: tokens.fill(withTokens) })) };
}

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
  owner?: string;
  permissions: string;
}

function cloudConfig(userData: string): { write_files: WriteFile[]; runcmd: string[][] } {
  expect(userData.startsWith('#cloud-config\n')).toBe(true);
  return parse(userData);
}

function fileContent(file: WriteFile): string {
  return file.encoding === 'b64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
}

function filesOf(userData: string): Map<string, WriteFile> {
  return new Map(cloudConfig(userData).write_files.map((f) => [f.path, f]));
}

function scriptsOf(userData: string): string[] {
  return cloudConfig(userData).write_files.map(fileContent).filter((c) => c.startsWith('#!'));
}

const problemsOf = problemsThrownBy;

// ---- Tests ----------------------------------------------------------------------------------------

describe.each(renderAll('ecdsa').rendered)('user-data of the $kind', ({ withTokens, filled }) => {
  test('cloud-init schema accepts it once Terraform filled in real values', () => {
    if (!hasTool('cloud-init', 'cloud-init')) {
      return;
    }
    const result = cloudInitSchema(filled);
    expect(result.output).toMatch(/^Valid cloud-config/m);
    expect(result.valid).toBe(true);
  });

  test('every script it carries is shellcheck-clean', () => {
    const scripts = scriptsOf(filled);
    expect(scripts).toHaveLength(1);
    // runcmd only starts the carried script, as an argument list (no shell snippet to check).
    expect(cloudConfig(filled).runcmd).toEqual([['/usr/local/sbin/kubeadm-bootstrap']]);
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    for (const script of scripts) {
      expect(shellcheck(script)).toBe('');
    }
  });

  test(`fits EC2's ${USER_DATA_LIMIT_BYTES}-byte user-data limit with ECDSA P-256 PKI`, () => {
    expect(Buffer.byteLength(filled, 'utf8')).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });

  test('is safe in Terraform: tokens on single lines, no template syntax, quotes or backslashes of its own', () => {
    const outsideTokens = withTokens.replace(/\$\{TfToken\[TOKEN\.\d+\]\}/g, '');
    expect(outsideTokens).not.toMatch(/\$\{|%\{|"|\\/);
    for (const line of withTokens.split('\n').filter((l) => l.includes('${TfToken'))) {
      expect(line).toMatch(/^\s*(- )?([\w-]+: )?'[^']*'$/);
    }
  });

  test('host preparation files: modules and sysctls persist', () => {
    const files = filesOf(filled);
    expect(fileContent(files.get('/etc/modules-load.d/kubernetes.conf')!).split('\n')).toEqual(['overlay', 'br_netfilter', '']);
    expect(fileContent(files.get('/etc/sysctl.d/99-kubernetes.conf')!)).toMatch(/net\.bridge\.bridge-nf-call-iptables = 1\nnet\.bridge\.bridge-nf-call-ip6tables = 1\nnet\.ipv4\.ip_forward = 1/);
  });

  test('secrets are root-only', () => {
    for (const file of cloudConfig(filled).write_files) {
      const secret = /\.key$|kubeadm\.yaml$|discovery\.conf$|kubeadm-bootstrap$/.test(file.path);
      if (secret) {
        expect([file.path, file.owner, file.permissions]).toEqual([file.path, 'root:root', file.path.endsWith('kubeadm-bootstrap') ? '0700' : '0600']);
      }
    }
  });

  test('the kubeadm configuration on the node holds the real token, and never skips CA verification', () => {
    const config = fileContent(filesOf(filled).get('/etc/kubeadm-bootstrap/kubeadm.yaml')!);
    expect(config).toContain(BOOTSTRAP_TOKEN);
    expect(config).not.toMatch(/unsafeSkipCAVerification/i);
    expect(filled).not.toMatch(/unsafeSkipCAVerification|insecure-skip-tls-verify/i);
  });
});

describe('what each node kind does', () => {
  const { rendered, pki } = renderAll('ecdsa');
  const [first, second, third, worker] = rendered.map((r) => r.filled);

  test('the first control-plane node gets the shared PKI, byte for byte, and runs kubeadm init', () => {
    const files = filesOf(first);
    const expected: Record<string, string> = {
      'ca.crt': pki.caCertificate,
      'ca.key': pki.caKey,
      'front-proxy-ca.crt': pki.frontProxyCaCertificate,
      'front-proxy-ca.key': pki.frontProxyCaKey,
      'etcd/ca.crt': pki.etcdCaCertificate,
      'etcd/ca.key': pki.etcdCaKey,
      'sa.key': pki.serviceAccountKey,
      'sa.pub': pki.serviceAccountPublicKey,
    };
    for (const [name, content] of Object.entries(expected)) {
      const file = files.get(`/etc/kubeadm-bootstrap/pki/${name}`)!;
      expect(file.encoding).toBe('b64');
      expect(fileContent(file)).toBe(content);
      expect(file.permissions).toBe(name.endsWith('.key') ? '0600' : '0644');
    }
    const kinds = fileContent(files.get('/etc/kubeadm-bootstrap/kubeadm.yaml')!).match(/^kind: '(\w+)'$/gm);
    expect(kinds).toEqual(["kind: 'InitConfiguration'", "kind: 'ClusterConfiguration'", "kind: 'KubeletConfiguration'", "kind: 'KubeProxyConfiguration'"]);
    expect(files.has('/etc/kubeadm-bootstrap/discovery.conf')).toBe(false);
    const script = scriptsOf(first)[0];
    expect(script).toContain("readonly ACTION='init'");
    expect(script).toMatch(/kubeadm init --config "\$KUBEADM_CONFIG" --skip-token-print/);
  });

  test('the other control-plane nodes join as control plane at their own IPs, with the same PKI', () => {
    for (const [userData, index] of [[second, 1], [third, 2]] as const) {
      const files = filesOf(userData);
      const join = parse(fileContent(files.get('/etc/kubeadm-bootstrap/kubeadm.yaml')!));
      const address = plan.controlPlaneNodes[index].privateIp;
      expect(join.kind).toBe('JoinConfiguration');
      expect(join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: address, bindPort: 6443 } });
      expect(join.controlPlane.certificateKey).toBeUndefined();
      expect(fileContent(files.get('/etc/kubeadm-bootstrap/pki/ca.key')!)).toBe(pki.caKey);
      expect(fileContent(files.get('/etc/kubeadm-bootstrap/pki/sa.key')!)).toBe(pki.serviceAccountKey);
      const discovery = parse(fileContent(files.get('/etc/kubeadm-bootstrap/discovery.conf')!));
      expect(discovery.clusters[0].cluster).toEqual({ server: `https://${ENDPOINT}:6443`, 'certificate-authority': '/etc/kubeadm-bootstrap/pki/ca.crt' });
      expect(scriptsOf(userData)[0]).toContain("readonly ACTION='join'");
    }
  });

  test('a worker gets only the CA certificate, pins it, and joins with the token', () => {
    const files = filesOf(worker);
    expect([...files.keys()].filter((p) => /pki|\.key$/.test(p))).toEqual([]);
    expect(fileContent(files.get('/etc/kubeadm-bootstrap/ca.crt')!)).toBe(pki.caCertificate);
    const discovery = parse(fileContent(files.get('/etc/kubeadm-bootstrap/discovery.conf')!));
    expect(discovery.clusters[0].cluster).toEqual({ server: `https://${ENDPOINT}:6443`, 'certificate-authority': '/etc/kubeadm-bootstrap/ca.crt' });
    const join = parse(fileContent(files.get('/etc/kubeadm-bootstrap/kubeadm.yaml')!));
    expect(join.discovery).toEqual({ file: { kubeConfigPath: '/etc/kubeadm-bootstrap/discovery.conf' }, tlsBootstrapToken: BOOTSTRAP_TOKEN });
    expect(join.controlPlane).toBeUndefined();
  });

  test('joins retry until the API answers, resetting in between, within a bound', () => {
    const script = scriptsOf(worker)[0];
    expect(script).toContain("readonly JOIN_TIMEOUT_SECONDS='2400'");
    expect(script).toMatch(/while true; do[\s\S]*kubeadm join --config[\s\S]*SECONDS" -ge "\$deadline"[\s\S]*reset_node\n\s*sleep/);
    expect(script).toMatch(/reset_node\(\) \{\n\s*kubeadm reset -f/);
    const short = workerUserData({ kubernetesVersion: KubernetesVersion.of(), apiServerHost: ENDPOINT, bootstrapToken: BOOTSTRAP_TOKEN, caCertificate: b64(pki.caCertificate), joinTimeoutMinutes: 10 });
    expect(scriptsOf(short)[0]).toContain("readonly JOIN_TIMEOUT_SECONDS='600'");
  });

  test('every node prepares the host, pins the packages and logs to a file', () => {
    for (const userData of [first, second, worker]) {
      const script = scriptsOf(userData)[0];
      expect(script.split('\n').slice(0, 3)).toEqual(['#!/usr/bin/env bash', expect.any(String), 'set -euo pipefail']);
      expect(script).toContain('swapoff -a');
      expect(script).toMatch(/modprobe overlay\n\s*modprobe br_netfilter\n\s*sysctl --system/);
      expect(script).toContain("readonly PACKAGE_VERSION='1.36.4-*'");
      expect(script).toContain("readonly APT_REPOSITORY='https://pkgs.k8s.io/core:/stable:/v1.36/deb'");
      expect(script).toContain('"kubelet=$PACKAGE_VERSION" "kubeadm=$PACKAGE_VERSION" "kubectl=$PACKAGE_VERSION"');
      expect(script).toContain('apt-mark hold kubelet kubeadm kubectl');
      expect(script).toContain("sed -i 's/SystemdCgroup = false/SystemdCgroup = true/'");
      expect(script).toContain("readonly LOG_FILE='/var/log/kubeadm-bootstrap.log'");
      expect(script).toContain('exec > >(tee -a "$LOG_FILE") 2>&1');
    }
  });
});

describe('containerd by Kubernetes version', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['1.35.3', 'ubuntu', /pkg=containerd\n/],
    ['1.36.4', 'docker', /download\.docker\.com\/linux\/ubuntu\/gpg[\s\S]*pkg=containerd\.io/],
  ];
  test.each(cases)('Kubernetes %s installs containerd from %s', (version, source, install) => {
    const { rendered } = renderAll('ecdsa', version);
    const script = scriptsOf(rendered[3].filled)[0];
    expect(script).toContain(`readonly CONTAINERD_SOURCE='${source}'`);
    expect(script).toMatch(install);
    expect(script).toContain(`readonly KUBERNETES_VERSION='v${version}'`);
  });
});

describe('size with RSA-2048 PKI', () => {
  const { rendered } = renderAll('rsa');

  test('control-plane user-data is over the limit uncompressed, so it needs base64gzip', () => {
    const sizes = rendered.map((r) => Buffer.byteLength(r.filled, 'utf8'));
    expect(sizes[0]).toBeGreaterThan(USER_DATA_LIMIT_BYTES);
    // The worker carries only the CA certificate and fits either way.
    expect(sizes[3]).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });

  test.each(rendered.map((r) => [r.kind, r.filled]))('%s fits once gzipped (Terraform base64gzip; cloud-init unpacks it)', (_kind, filled) => {
    expect(gzipSync(Buffer.from(filled, 'utf8'), { level: 9 }).length).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });
});

describe('with real cdktf tokens', () => {
  test('Fn.base64encode accepts the user-data and the synthesised expression references the inputs', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'stack');
    const input = (name: string) => new TerraformVariable(stack, name, { type: 'string' }).stringValue;
    const userData = workerUserData({
      kubernetesVersion: KubernetesVersion.of(),
      apiServerHost: input('host'),
      bootstrapToken: input('token'),
      caCertificate: Fn.base64encode(input('ca_pem')),
    });
    new TerraformOutput(stack, 'plain', { value: userData });
    new TerraformOutput(stack, 'encoded', { value: Fn.base64encode(userData) });
    const outputs = JSON.parse(Testing.synth(stack)).output;
    for (const value of [outputs.plain.value, outputs.encoded.value] as string[]) {
      expect(value).toContain('var.host');
      expect(value).toContain('var.token');
      expect(value).toContain('base64encode(var.ca_pem)');
      // Only references to the inputs are Terraform expressions; nothing of the library's own text.
      const interpolations = value.match(/\$\{(?!base64encode\(")[^}]*\}/g) ?? [];
      expect(interpolations.every((i) => /var\.(host|token|ca_pem)/.test(i))).toBe(true);
    }
  });
});

describe('user-data validation', () => {
  const props: ControlPlaneUserDataProps = {
    kubernetesVersion: KubernetesVersion.of(),
    plan,
    apiServerHost: ENDPOINT,
    bootstrapToken: BOOTSTRAP_TOKEN,
    pki: Object.fromEntries(Object.entries(realisticPki('ecdsa')).map(([k, v]) => [k, b64(v)])) as unknown as ControlPlanePki,
  };

  test('literal inputs render the same documents as tokens do, deterministically', () => {
    expect(firstControlPlaneUserData(props)).toBe(firstControlPlaneUserData(props));
    expect(controlPlaneUserData(props, 1)).toBe(joiningControlPlaneUserData(props, 1));
  });

  test('PEM text where base64 is expected is named, without echoing the key', () => {
    const problems = problemsOf(() => firstControlPlaneUserData({ ...props, pki: { ...props.pki, caKey: realisticPki('ecdsa').caKey } }));
    expect(problems.map((p) => p.property)).toEqual(['pki.caKey']);
    expect(problems[0].fix).toMatch(/Fn\.base64encode/);
    expect(problems[0].value).not.toContain('PRIVATE KEY-----\nM');
  });

  test('a control-plane index outside the plan', () => {
    expect(problemsOf(() => joiningControlPlaneUserData(props, 3)).map((p) => p.property)).toEqual(['index']);
    expect(problemsOf(() => joiningControlPlaneUserData(props, 0)).map((p) => p.property)).toEqual(['index']);
    const single = { ...props, plan: AddressPlan.create() };
    expect(problemsOf(() => controlPlaneUserData(single, 1))[0].message).toMatch(/numbered 1 to 0/);
  });

  test('a join timeout too short to outwait the control plane', () => {
    const problems = problemsOf(() => workerUserData({ ...props, caCertificate: props.pki.caCertificate, joinTimeoutMinutes: 1 }));
    expect(problems.map((p) => p.property)).toEqual(['joinTimeoutMinutes']);
  });

  test('worker inputs are checked together', () => {
    const problems = problemsOf(() => workerUserData({ kubernetesVersion: KubernetesVersion.of(), apiServerHost: '', bootstrapToken: 'x', caCertificate: 'not base64!' }));
    expect(problems.map((p) => p.property)).toEqual(['apiServerHost', 'bootstrapToken', 'caCertificate']);
  });
});
