import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedTool, executable, toolCache } from './tool-cache';

// A real kube-apiserver over a real etcd on the loopback address, for tests that hold objects
// against the API server's own decoding, defaulting, validation and admission. Both run in a
// temporary folder on free ports; the certificates are made with openssl. The API server takes the
// flags kubeadm gives it where they shape what it accepts (privileged containers allowed, Node and
// RBAC authorization, the default admission plugins plus NodeRestriction) and the service range
// of the cluster under test. The test client's certificate is in system:masters.

const root = join(__dirname, '../..');

/** The kube-apiserver version .ci/tools builds (.ci/tools.versions). */
export const KUBE_APISERVER_VERSION = /^KUBE_APISERVER_VERSION=(\S+)/m.exec(readFileSync(join(root, '.ci/tools.versions'), 'utf8'))![1];

export interface ControlPlaneBinaries {
  readonly kubeApiserver: string;
  readonly etcd: string;
}

/**
 * kube-apiserver (KUBE_APISERVER_BIN, else where .ci/tools puts it) and etcd (ETCD_BIN_DIR). When
 * one is missing: in CI this throws with the reason; locally it warns that `what` is skipped.
 */
export function controlPlaneBinaries(what: string): ControlPlaneBinaries | undefined {
  const cache = toolCache();
  const kubeApiserver = cachedTool('KUBE_APISERVER_BIN', 'kubernetes', KUBE_APISERVER_VERSION, 'kube-apiserver');
  const etcd = process.env.ETCD_BIN_DIR ? join(process.env.ETCD_BIN_DIR, 'etcd') : undefined;
  const why: string[] = [];
  if (kubeApiserver === undefined) {
    why.push(`no kube-apiserver ${KUBE_APISERVER_VERSION}: neither KUBE_APISERVER_BIN nor ${cache}/kubernetes/${KUBE_APISERVER_VERSION}/kube-apiserver is an executable; run \`eval "$(.ci/tools)"\``);
  }
  if (!executable(etcd)) {
    why.push('ETCD_BIN_DIR does not point at etcd; run `export ETCD_BIN_DIR=$(.ci/fetch-etcd /tmp/etcd)` (.ci/run does)');
  }
  if (why.length === 0) {
    return { kubeApiserver: kubeApiserver!, etcd: etcd! };
  }
  if (process.env.CI) {
    throw new Error(`${what} cannot run in CI: ${why.join('; ')}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED ${what}: ${why.join('; ')}`);
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A child process whose output is kept for error messages, stopped with SIGTERM. */
class Child {
  private output = '';
  private readonly process: ChildProcess;

  constructor(command: string, args: readonly string[]) {
    this.process = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (d) => (this.output += d));
    this.process.stderr!.on('data', (d) => (this.output += d));
  }

  get exited(): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null;
  }

  /** The last lines it printed. */
  tail(lines = 30): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exit = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  }
}

/** Polls `ready` every 200 ms until it says yes, the child exits, or `seconds` pass. */
async function waitUntil(name: string, child: Child, seconds: number, ready: () => Promise<string | true>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exited) {
      throw new Error(`${name} exited before it was ready:\n${child.tail()}`);
    }
    try {
      const answer = await ready();
      if (answer === true) {
        return;
      }
      last = answer;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready within ${seconds} s (last answer: ${last}):\n${child.tail()}`);
}

/** A single-member etcd serving plain HTTP on the loopback address, its data in `dir`. */
export class LocalEtcd {
  public static async start(etcd: string, dir: string): Promise<LocalEtcd> {
    const [client, peer] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const child = new Child(etcd, [
      '--name', 'test', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `test=${peerUrl}`,
      '--log-level', 'warn',
    ]);
    const local = new LocalEtcd(child, url);
    try {
      await waitUntil('etcd', child, 30, async () => {
        const body = await (await fetch(`${url}/health`)).text();
        return JSON.parse(body).health === 'true' ? true : body;
      });
    } catch (e) {
      await local.stop();
      throw e;
    }
    return local;
  }

  private constructor(private readonly child: Child, public readonly url: string) {}

  public async stop(): Promise<void> {
    await this.child.stop();
  }
}

/** openssl's files for the API server: a CA, its serving and client certificates, a service-account key. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-kubernetes-ca');
  for (const [name, subject, ext] of [
    ['apiserver', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['admin', '/O=system:masters/CN=test-admin', 'extendedKeyUsage=clientAuth'],
  ]) {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }
  ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key');
  ssl('pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

export interface ApiResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  /** The texts of its `Warning` headers (deprecations, unknown fields when not strict, ...). */
  readonly warnings: readonly string[];
}

export interface LocalApiServerProps {
  readonly binaries: ControlPlaneBinaries;
  /** The cluster's service range (kubeadm's networking.serviceSubnet). */
  readonly serviceCidr: string;
  /** Seconds to wait for /readyz. @default 120 */
  readonly readySeconds?: number;
}

/** kube-apiserver over its own etcd, both in a temporary folder that `stop` removes. */
export class LocalApiServer {
  public static async start(props: LocalApiServerProps): Promise<LocalApiServer> {
    const dir = mkdtempSync(join(tmpdir(), 'kube-apiserver-'));
    let etcd: LocalEtcd | undefined;
    let child: Child | undefined;
    try {
      makePki(dir);
      etcd = await LocalEtcd.start(props.binaries.etcd, dir);
      const port = await freePort();
      const pki = (file: string) => join(dir, file);
      child = new Child(props.binaries.kubeApiserver, [
        `--etcd-servers=${etcd.url}`,
        '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
        `--tls-cert-file=${pki('apiserver.crt')}`, `--tls-private-key-file=${pki('apiserver.key')}`, `--client-ca-file=${pki('ca.crt')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki('sa.pub')}`, `--service-account-signing-key-file=${pki('sa.key')}`,
        `--service-cluster-ip-range=${props.serviceCidr}`,
        // As kubeadm runs it.
        '--allow-privileged=true', '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction',
      ]);
      const server = new LocalApiServer(dir, etcd, child, port);
      await waitUntil('kube-apiserver', child, props.readySeconds ?? 120, async () => {
        const { status, body } = await server.request('GET', '/readyz');
        return status === 200 ? true : `${status} ${typeof body === 'string' ? body.trim().split('\n').filter((l) => l.includes('failed')).join('; ') : JSON.stringify(body)}`;
      });
      return server;
    } catch (e) {
      await child?.stop();
      await etcd?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;

  private constructor(private readonly dir: string, private readonly etcd: LocalEtcd, private readonly child: Child, public readonly port: number) {
    this.ca = readFileSync(join(dir, 'ca.crt'));
    this.cert = readFileSync(join(dir, 'admin.crt'));
    this.key = readFileSync(join(dir, 'admin.key'));
  }

  /** One request as the system:masters client; a JSON answer is parsed, any other is text. */
  public request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: this.port, method, path, ca: this.ca, cert: this.cert, key: this.key, timeout: 30_000,
        headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
            parsed = JSON.parse(text);
          }
          const warnings: string[] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i].toLowerCase() === 'warning') {
              warnings.push(res.rawHeaders[i + 1]);
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A kubeconfig for the system:masters client, with its certificates inline (for kubeadm and kubectl). */
  public kubeconfig(): string {
    const b64 = (data: Buffer) => data.toString('base64');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: local\n  cluster:\n    server: https://127.0.0.1:${this.port}\n    certificate-authority-data: ${b64(this.ca)}`,
      'users:',
      `- name: admin\n  user:\n    client-certificate-data: ${b64(this.cert)}\n    client-key-data: ${b64(this.key)}`,
      'contexts:',
      '- name: admin@local\n  context:\n    cluster: local\n    user: admin',
      'current-context: admin@local',
      '',
    ].join('\n');
  }

  /** The API server's last log lines, for failure messages. */
  public log(lines = 30): string {
    return this.child.tail(lines);
  }

  public async stop(): Promise<void> {
    await this.child.stop();
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
