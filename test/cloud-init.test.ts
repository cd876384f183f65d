import { parse } from 'yaml';
import { controlPlaneUserData, ControlPlaneUserDataProps, firstControlPlaneUserData, joiningControlPlaneUserData, NodeSecretsLocation, workerUserData } from '../lib/bootstrap/cloud-init';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { AddressPlan } from '../lib/plan';
import { problemsThrownBy } from './support/problems';
import { certificatePem } from './support/realistic-pki';
import { cloudInitSchemaAll, hasTool, shellcheck } from './support/validators';

// The user-data renderers on their own: what each node kind gets, with Terraform tokens standing in
// for the values Terraform fills in (the synthesised examples are checked in node-user-data.test.ts).

const plan = AddressPlan.create({ zoneCount: 3, controlPlaneCount: 3, workerCount: 20 });
const secrets: NodeSecretsLocation = {
  region: '${TfToken[TOKEN.1]}',
  parameterPath: '/kubeadm/prod',
  joinTokenParameter: '/kubeadm/prod/join-token',
  kmsKeyId: 'alias/kubeadm/prod',
  channelDocuments: { joinToken: 'prod-join-token-rotation', issuerKeys: 'prod-issuer-keys' },
};
const props: ControlPlaneUserDataProps = {
  kubernetesVersion: KubernetesVersion.of('1.36.4'),
  plan,
  apiServerHost: '${TfToken[TOKEN.2]}',
  clusterName: 'prod',
  secrets,
};
const caCertificate = Buffer.from(certificatePem('ecdsa')).toString('base64');
const worker = workerUserData({ ...props, caCertificate, autoScalingGroupName: 'prod-workers' });
const rendered: Array<[string, string]> = [
  ['first control plane', firstControlPlaneUserData(props)],
  ['second control plane', joiningControlPlaneUserData(props, 1)],
  ['worker', worker],
];

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
  permissions: string;
  owner?: string;
}

const fill = (text: string) => text.split('${TfToken[TOKEN.1]}').join('eu-west-1').split('${TfToken[TOKEN.2]}').join('api.example.com');
const config = (text: string) => parse(fill(text)) as { write_files: WriteFile[]; runcmd: string[][] };
const fileAt = (text: string, path: string) => config(text).write_files.find((f) => f.path === path);

// The three documents go through cloud-init's validator in one run, started by the first test that asks.
let schemaResults: ReturnType<typeof cloudInitSchemaAll> | undefined;
const schemaOf = async (document: string) => (await (schemaResults ??= cloudInitSchemaAll(rendered.map(([, t]) => fill(t))))).get(document)!;

describe.each(rendered)('user-data of the %s', (_, text) => {
  test('cloud-init schema accepts it', async () => {
    if (!hasTool('cloud-init', 'cloud-init')) {
      return;
    }
    expect((await schemaOf(fill(text))).output).toMatch(/^Valid cloud-config/m);
  });

  test('starts the bootstrap unit, which systemd retries with backoff', () => {
    expect(config(text).runcmd).toEqual([
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', '--no-block', 'kubeadm-bootstrap.service'],
    ]);
    const unit = fileAt(text, '/etc/systemd/system/kubeadm-bootstrap.service')!.content;
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartSteps=\d+$/m);
    expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
    expect(unit).toMatch(/^StandardOutput=journal\+console$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
  });

  test('carries names, never secrets: parameter names and the region go into the program', () => {
    const program = fileAt(text, '/usr/local/sbin/kubeadm-bootstrap')!.content;
    expect(program).toContain("readonly PARAMETER_PATH='/kubeadm/prod'");
    expect(program).toContain("readonly JOIN_TOKEN_PARAMETER='/kubeadm/prod/join-token'");
    expect(program).toContain("readonly REGION='eu-west-1'");
    expect(text).not.toMatch(/PRIVATE KEY|[a-z0-9]{6}\.[a-z0-9]{16}/);
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(fill(program))).toBe('');
    }
  });

  test('containerd configuration written whole: version 3, systemd cgroups, the pause image kubeadm expects', () => {
    const toml = fileAt(text, '/etc/kubeadm-bootstrap/containerd.toml')!.content;
    expect(toml).toMatch(/^version = 3$/m);
    expect(toml).toContain("[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = true");
    expect(toml).toContain("sandbox = 'registry.k8s.io/pause:3.10.2'");
    expect(fileAt(text, '/etc/crictl.yaml')!.content).toBe('runtime-endpoint: unix:///var/run/containerd/containerd.sock\n');
  });

  test('host preparation files persist modules and sysctls', () => {
    expect(fileAt(text, '/etc/modules-load.d/kubernetes.conf')!.content).toBe('overlay\nbr_netfilter\n');
    expect(fileAt(text, '/etc/sysctl.d/99-kubernetes.conf')!.content).toContain('net.ipv4.ip_forward = 1');
  });
});

describe('what each node kind does', () => {
  test('the first control-plane node runs kubeadm init with its documents, and publishes the first token', () => {
    const text = rendered[0][1];
    const kubeadm = fileAt(text, '/etc/kubeadm-bootstrap/kubeadm.yaml')!;
    expect([kubeadm.owner, kubeadm.permissions]).toEqual(['root:root', '0600']);
    expect(kubeadm.content.match(/^kind: '(\w+)'$/gm)).toEqual(["kind: 'InitConfiguration'", "kind: 'ClusterConfiguration'", "kind: 'KubeletConfiguration'", "kind: 'KubeProxyConfiguration'"]);
    const program = fileAt(text, '/usr/local/sbin/kubeadm-bootstrap')!.content;
    expect(program).toContain("readonly ACTION='init'");
    expect(program).toContain("readonly JOIN_TOKEN_PROGRAM='/usr/local/sbin/kubeadm-join-token'");
  });

  test('other control-plane nodes join at their own address with the token put into a template', () => {
    for (const index of [1, 2]) {
      const text = controlPlaneUserData(props, index);
      const template = parse(fileAt(text, '/etc/kubeadm-bootstrap/kubeadm.yaml.template')!.content);
      expect(template.controlPlane.localAPIEndpoint.advertiseAddress).toBe(plan.controlPlaneNodes[index].privateIp);
      expect(template.discovery.tlsBootstrapToken).toBe('@join-token@');
      expect(parse(fileAt(text, '/etc/kubeadm-bootstrap/discovery.conf')!.content).clusters[0].cluster['certificate-authority']).toBe('/etc/kubernetes/pki/ca.crt');
      expect(fileAt(text, '/usr/local/sbin/kubeadm-bootstrap')!.content).toContain("readonly ACTION='join-control-plane'");
    }
  });

  test('a worker pins the CA it carries and knows its group', () => {
    const ca = fileAt(worker, '/etc/kubeadm-bootstrap/ca.crt')!;
    expect([ca.encoding, ca.permissions, ca.content]).toEqual(['b64', '0644', caCertificate]);
    const discovery = parse(fileAt(worker, '/etc/kubeadm-bootstrap/discovery.conf')!.content);
    expect(discovery.clusters[0].cluster).toEqual({ server: 'https://api.example.com:6443', 'certificate-authority': '/etc/kubeadm-bootstrap/ca.crt' });
    const program = fileAt(worker, '/usr/local/sbin/kubeadm-bootstrap')!.content;
    expect(program).toContain("readonly ACTION='join'");
    expect(program).toContain("readonly AUTO_SCALING_GROUP='prod-workers'");
    // A worker carries no control-plane phase, nor their settings.
    expect(program).not.toContain('JOIN_TOKEN_PROGRAM');
    expect(program).not.toContain('run_init');
  });
});

describe('bad input', () => {
  test('every problem at once, named', () => {
    const problems = problemsThrownBy(() =>
      workerUserData({
        ...props,
        apiServerHost: 'https://x:1',
        caCertificate: '-----BEGIN CERTIFICATE-----',
        autoScalingGroupName: 'bad name',
        launchLifecycleHook: 'node ready',
        joinTimeoutMinutes: 1,
        secrets: { ...secrets, parameterPath: 'kubeadm prod', kmsKeyId: '' },
      }),
    );
    expect(problems.map((p) => p.property)).toEqual(['apiServerHost', 'joinTimeoutMinutes', 'secrets.parameterPath', 'secrets.kmsKeyId', 'caCertificate', 'autoScalingGroupName', 'launchLifecycleHook']);
  });

  test('a joining control-plane node needs an index of the plan other than 0', () => {
    expect(problemsThrownBy(() => joiningControlPlaneUserData(props, 3)).map((p) => p.property)).toEqual(['index']);
  });
});
