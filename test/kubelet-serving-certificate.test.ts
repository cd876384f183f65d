import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { renderUnit } from '../lib/bootstrap/systemd';
import {
  KUBELET_SERVING_PROGRAM_PATH,
  KUBELET_SERVING_SERVICE,
  KUBELET_SERVING_TIMER,
  kubeletServingProgram,
  kubeletServingUnits,
} from '../lib/operations/kubelet-serving-certificate-program';
import { synthesisedCluster } from './support/cluster-synth';
import { NodeSandbox } from './support/node-sandbox';
import { SynthesisedStack } from './support/synth';
import { TerraformFiller } from './support/terraform-fill';
import { hasTool, shellcheck } from './support/validators';

// The control-plane kubelet's serving certificate, issued on the node with the cluster CA: the
// program runs against real openssl and a test CA in a sandbox, with curl (instance metadata and
// the kubelet's healthz), systemctl, hostname and pgrep stood in for.

const NODE = 'ip-10-0-0-10';
const DNS = 'ip-10-0-0-10.eu-west-1.compute.internal';
const IP = '10.0.0.10';

const openssl = (args: string[], cwd?: string) => execFileSync('openssl', args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });

class ControlPlaneNode {
  public readonly s = new NodeSandbox();
  public readonly program: string;

  constructor() {
    const s = this.s;
    const pki = s.path('/etc/kubernetes/pki');
    s.writeFile('/etc/kubernetes/pki/.keep', '');
    // The cluster CA: ECDSA P-256, like the one the stack makes.
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=kubernetes'], pki);
    s.writeFile('/etc/kubernetes/kubelet.conf', 'apiVersion: v1\nkind: Config\n');
    s.writeFile('/var/lib/kubelet/kubeadm-flags.env', 'KUBELET_KUBEADM_ARGS="--node-ip=10.0.0.10 --cloud-provider=external"\n');
    s.writeFile('/var/lib/kubelet/config.yaml', 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n');
    // What the kubelet writes for itself: a self-signed pair.
    this.selfSigned();
    s.writeFile('/state/ip', IP);
    s.standIn('hostname', `echo ${NODE}`);
    s.standIn('pgrep', '[ -f "$STATE/kubeadm-running" ]');
    s.standIn('systemctl', 'echo "$*" >> "$STATE/systemctl"');
    s.standIn('curl', `
url=\${@: -1}
case "$url" in
  */latest/api/token) echo token ;;
  */latest/meta-data/local-ipv4) cat "$ROOT/state/ip" ;;
  */latest/meta-data/local-hostname) echo "ip-$(tr . - < "$ROOT/state/ip").eu-west-1.compute.internal" ;;
  */healthz) [ ! -f "$STATE/unhealthy" ] && echo ok || exit 22 ;;
  *) echo "curl stand-in: unexpected $*" >&2; exit 2 ;;
esac`);
    this.program = kubeletServingProgram({
      paths: {
        caCert: s.path('/etc/kubernetes/pki/ca.crt'),
        caKey: s.path('/etc/kubernetes/pki/ca.key'),
        kubeletKubeconfig: s.path('/etc/kubernetes/kubelet.conf'),
        kubeletFlags: s.path('/var/lib/kubelet/kubeadm-flags.env'),
        kubeletConfig: s.path('/var/lib/kubelet/config.yaml'),
        pkiDir: s.path('/var/lib/kubelet/pki'),
        lockFile: s.path('/run/lock/kubeadm-certificate-renewal.lock'),
      },
      imdsUrl: 'http://imds.test',
      healthzUrl: 'http://127.0.0.1:10248/healthz',
    });
  }

  public selfSigned(): void {
    this.s.writeFile('/var/lib/kubelet/pki/.keep', '');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'kubelet.key', '-out', 'kubelet.crt', '-days', '365', '-subj', `/CN=${NODE}@1700000000`], this.s.path('/var/lib/kubelet/pki'));
  }

  /** A pair the cluster CA signed for the node, valid for `days`. */
  public caSigned(days: number): void {
    const dir = this.s.path('/var/lib/kubelet/pki');
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'kubelet.key', '-out', 'kubelet.csr', '-subj', `/O=system:nodes/CN=system:node:${NODE}`], dir);
    this.s.writeFile('/var/lib/kubelet/pki/ext', `subjectAltName=DNS:${NODE},IP:${IP},DNS:${DNS}\nextendedKeyUsage=serverAuth\n`);
    openssl(['x509', '-req', '-in', 'kubelet.csr', '-CA', this.s.path('/etc/kubernetes/pki/ca.crt'), '-CAkey', this.s.path('/etc/kubernetes/pki/ca.key'), '-set_serial', '7', '-days', String(days), '-extfile', 'ext', '-out', 'kubelet.crt'], dir);
  }

  public run() {
    return this.s.run(this.program);
  }

  public certificateText(): string {
    return openssl(['x509', '-noout', '-text', '-in', this.s.path('/var/lib/kubelet/pki/kubelet.crt')]);
  }

  public verifies(): boolean {
    try {
      openssl(['verify', '-CAfile', this.s.path('/etc/kubernetes/pki/ca.crt'), this.s.path('/var/lib/kubelet/pki/kubelet.crt')]);
      return true;
    } catch {
      return false;
    }
  }
}

const restarts = (node: ControlPlaneNode) => node.s.calls('systemctl').filter((c) => c.args.join(' ') === 'restart kubelet').length;

describe('the control-plane kubelet serving certificate program', () => {
  test('replaces the self-signed pair with one the cluster CA signed for the node name, private DNS name and IP, and restarts the kubelet once', () => {
    const node = new ControlPlaneNode();
    expect(node.verifies()).toBe(false);
    const run = node.run();
    expect([run.status, run.output]).toEqual([0, expect.stringContaining('the kubelet is healthy and serves the new certificate')]);
    expect(run.output).toContain('the serving certificate is not signed by the cluster CA (the kubelet made its own)');
    expect(node.verifies()).toBe(true);
    const text = node.certificateText();
    expect(text).toMatch(/Subject: O\s*=\s*system:nodes, CN\s*=\s*system:node:ip-10-0-0-10/);
    expect(text).toContain(`DNS:${NODE}, IP Address:${IP}, DNS:${DNS}`);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(text).toContain('CA:FALSE');
    expect(text).toContain('ASN1 OID: prime256v1');
    // The key is the certificate's, and only root reads it.
    const pki = node.s.path('/var/lib/kubelet/pki');
    expect(openssl(['x509', '-noout', '-pubkey', '-in', join(pki, 'kubelet.crt')])).toBe(openssl(['pkey', '-pubout', '-in', join(pki, 'kubelet.key')]));
    expect((require('node:fs').statSync(join(pki, 'kubelet.key')).mode & 0o777).toString(8)).toBe('600');
    expect(restarts(node)).toBe(1);
    // No work folder is left behind.
    expect(require('node:fs').readdirSync(pki).filter((f: string) => f.startsWith('.serving'))).toEqual([]);
  });

  test('issues one where the kubelet has none yet', () => {
    const node = new ControlPlaneNode();
    require('node:fs').rmSync(node.s.path('/var/lib/kubelet/pki'), { recursive: true });
    const run = node.run();
    expect([run.status, run.output]).toEqual([0, expect.stringContaining('no serving certificate yet')]);
    expect(node.verifies()).toBe(true);
    expect(restarts(node)).toBe(1);
  });

  test('a second run does nothing: no new certificate, no restart', () => {
    const node = new ControlPlaneNode();
    expect(node.run().status).toBe(0);
    const first = node.s.readFile('/var/lib/kubelet/pki/kubelet.crt');
    node.s.clearCalls();
    const again = node.run();
    expect([again.status, again.output]).toEqual([0, expect.stringContaining("the serving certificate is the cluster CA's for ip-10-0-0-10 (10.0.0.10) and not due; nothing to do")]);
    expect(node.s.readFile('/var/lib/kubelet/pki/kubelet.crt')).toBe(first);
    expect(restarts(node)).toBe(0);
  });

  test('renews a certificate of the cluster CA with fewer than 30 days left, and leaves one with more', () => {
    const due = new ControlPlaneNode();
    due.caSigned(10);
    const run = due.run();
    expect(run.output).toContain('the serving certificate expires within 30 days');
    expect(restarts(due)).toBe(1);
    expect(due.certificateText()).not.toContain('Serial Number: 7 (0x7)');
    const fine = new ControlPlaneNode();
    fine.caSigned(200);
    expect(fine.run().status).toBe(0);
    expect(restarts(fine)).toBe(0);
    expect(fine.certificateText()).toContain('Serial Number: 7 (0x7)');
  });

  test('issues again when the node has another address than its certificate names', () => {
    const node = new ControlPlaneNode();
    node.caSigned(200);
    node.s.writeFile('/state/ip', '10.0.0.11');
    const run = node.run();
    expect(run.output).toContain('the serving certificate does not name IP Address:10.0.0.11');
    expect(node.certificateText()).toContain('IP Address:10.0.0.11');
    expect(restarts(node)).toBe(1);
  });

  test('does nothing on a node that has not joined yet, while kubeadm runs, or when the kubelet bootstraps its own', () => {
    const unjoined = new ControlPlaneNode();
    require('node:fs').rmSync(unjoined.s.path('/etc/kubernetes/kubelet.conf'));
    expect(unjoined.run()).toMatchObject({ status: 0, output: expect.stringContaining('this node has not joined the control plane yet') });
    expect(unjoined.verifies()).toBe(false);

    const busy = new ControlPlaneNode();
    require('node:fs').writeFileSync(join(busy.s.state, 'kubeadm-running'), '');
    expect(busy.run()).toMatchObject({ status: 0, output: expect.stringContaining('kubeadm is running on this node') });
    expect(busy.verifies()).toBe(false);
    expect(restarts(busy)).toBe(0);

    const bootstrapping = new ControlPlaneNode();
    bootstrapping.s.writeFile('/var/lib/kubelet/config.yaml', 'kind: KubeletConfiguration\nserverTLSBootstrap: true\n');
    expect(bootstrapping.run()).toMatchObject({ status: 0, output: expect.stringContaining('asks the cluster for its serving certificate itself') });
    expect(restarts(bootstrapping)).toBe(0);
  });

  test('a kubelet that is not healthy after the restart fails the run, saying what to check', () => {
    const node = new ControlPlaneNode();
    require('node:fs').writeFileSync(join(node.s.state, 'unhealthy'), '');
    const run = node.run();
    expect(run.status).toBe(1);
    expect(run.output).toContain('ERROR: the kubelet is not healthy at http://127.0.0.1:10248/healthz after its restart; check journalctl -u kubelet');
  });

  test('instance metadata that does not answer fails the run after its retries, and nothing changes', () => {
    const node = new ControlPlaneNode();
    node.s.standIn('curl', 'exit 7');
    const run = node.run();
    expect(run.status).toBe(1);
    expect(run.output).toContain('ERROR: could not read the private address from instance metadata');
    expect(node.verifies()).toBe(false);
    expect(restarts(node)).toBe(0);
  });

  (hasTool('shellcheck', 'shellcheck') ? test : test.skip)('passes shellcheck', () => {
    expect(shellcheck(kubeletServingProgram())).toBe('');
  });

  test('an hourly timer and a bounded oneshot service', () => {
    const [service, timerUnit] = kubeletServingUnits().map(renderUnit);
    expect(service).toContain(`ExecStart=${KUBELET_SERVING_PROGRAM_PATH}`);
    expect(service).toContain('TimeoutStartSec=15min');
    expect(timerUnit).toContain('OnUnitActiveSec=1h');
  });
});

// ---------------------------------------------------------------------------------------------
// In the stack: the SSM channel installs it on control-plane nodes, new and already running.

const filler = new TerraformFiller();
const documentsOf = (synth: SynthesisedStack) => new Map(synth.resources('aws_ssm_document').map(([, d]) => [d.name as string, d]));
function installationOf(synth: SynthesisedStack, name: string): string {
  const content = JSON.parse(filler.evaluate(documentsOf(synth).get(name)!.content));
  const line = content.mainSteps[0].inputs.runCommand.find((l: string) => l.includes('base64 -d'));
  return Buffer.from(/printf '%s' '(.*)' \| base64 -d/.exec(line)![1], 'base64').toString('utf8');
}

describe('KubeadmCluster with metrics-server: control-plane kubelets', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });

  test('an installation targets the control-plane nodes by their role tag, on registration and every 30 minutes', () => {
    const [, association] = synth.resources('aws_ssm_association').find(([, a]) => a.association_name === 'demo-kubelet-serving-certificate')!;
    expect(association.targets).toEqual([{ key: 'tag:cdktf-kubeadm-cluster/demo', values: ['control-plane'] }]);
    expect(association.schedule_expression).toBe('rate(30 minutes)');
  });

  test('it installs the program and units, enables the timer and starts one check', () => {
    const program = installationOf(synth, 'demo-kubelet-serving-certificate');
    const files = new Map([...program.matchAll(/^install_file '([^']+)' '(0[0-7]{3})' '([^']+)'$/gm)].map((m) => [m[1], [m[2], Buffer.from(m[3], 'base64').toString('utf8')]]));
    expect(files.get(KUBELET_SERVING_PROGRAM_PATH)).toEqual(['0755', kubeletServingProgram()]);
    expect([...files.keys()]).toEqual(expect.arrayContaining([`/etc/systemd/system/${KUBELET_SERVING_SERVICE}`, `/etc/systemd/system/${KUBELET_SERVING_TIMER}`]));
    expect(program).toContain(`systemctl enable --now ${KUBELET_SERVING_TIMER}`);
    expect(program).toContain(`systemctl start --no-block ${KUBELET_SERVING_SERVICE}`);
  });

  test('control-plane kubelets do not ask the in-cluster approver (their Nodes have public addresses); workers do', () => {
    const templates = synth.resources('aws_launch_template');
    const controlPlane = templates.filter(([id]) => id.includes('_control-plane_'));
    const workers = templates.filter(([id]) => !id.includes('_control-plane_'));
    expect([controlPlane.length > 0, workers.length > 0]).toEqual([true, true]);
    for (const [, template] of controlPlane) {
      expect(JSON.stringify(template)).not.toContain('rotate-server-certificates');
    }
    for (const [, template] of workers) {
      expect(JSON.stringify(template)).toContain('rotate-server-certificates');
    }
  });

  test('absent without metrics-server', () => {
    const off = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], metricsServer: false });
    expect(off.resources('aws_ssm_association').map(([, a]) => a.association_name)).not.toContain('demo-kubelet-serving-certificate');
  });
});
