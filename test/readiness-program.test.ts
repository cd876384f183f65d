import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READINESS_ENV, READINESS_PROGRAM } from '../lib/kubernetes/readiness-program';
import { hasTool } from './support/validators';

// The readiness program run for real with node against a local HTTPS server that asks for client
// certificates, with a cluster CA, a server certificate for 127.0.0.1 and a client certificate made
// here with openssl, and a second CA that signed nothing the server presents.

interface Pki {
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function makePki(dir: string): Pki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
  ca('cluster-ca');
  ca('other-ca');
  const signed = (name: string, subject: string, ext: string) => {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    require('node:fs').writeFileSync(join(dir, `${name}.ext`), ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'cluster-ca.crt', '-CAkey', 'cluster-ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  signed('server', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', '/O=system:masters/CN=cdktf-kubeadm-cluster', 'extendedKeyUsage=clientAuth\n');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    ca: read('cluster-ca.crt'),
    otherCa: read('other-ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
  };
}

/** The API stand-in: /readyz answers 503 for the first `notReady` authenticated requests, then 200. */
interface Api {
  readonly server: Server;
  readonly url: string;
  readonly seen: string[];
}

async function apiServer(pki: Pki, notReady: number): Promise<Api> {
  const seen: string[] = [];
  let answered = 0;
  const server = createServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as any).getPeerCertificate();
    seen.push(`${req.method} ${req.url} ${peer.subject?.CN}`);
    answered += 1;
    if (req.url !== '/readyz') {
      res.writeHead(404).end();
    } else if (answered <= notReady) {
      res.writeHead(503).end('[-]etcd failed: reason withheld\nreadyz check failed\n');
    } else {
      res.writeHead(200).end('ok');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

interface ProgramResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function runProgram(env: Record<string, string>): Promise<ProgramResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    // As Terraform runs it: the interpreter list is node -e PROGRAM, followed by the command.
    const child = spawn(process.execPath, ['-e', READINESS_PROGRAM, 'wait for the API server'], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

// Certificates come from openssl; without it the tests skip locally and fail in CI.
const hasOpenssl = hasTool('openssl', 'openssl');

(hasOpenssl ? describe : describe.skip)('readiness program', () => {
  let dir: string;
  let pki: Pki;
  const servers: Server[] = [];
  // The runs that last until their timeout start together before the first test, so that their
  // waits overlap; each test asserts on its own run.
  let givesUp: Promise<{ api: Api; result: ProgramResult }>;
  let nothingListens: Promise<{ url: string; result: ProgramResult }>;
  let noClientCert: Promise<{ api: Api; result: ProgramResult }>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'readiness-'));
    pki = makePki(dir);
    givesUp = (async () => {
      const api = await apiServer(pki, Number.MAX_SAFE_INTEGER);
      servers.push(api.server);
      const result = await runProgram(env(api.url, {
        [READINESS_ENV.timeoutSeconds]: '1',
        [READINESS_ENV.intervalSeconds]: '0.1',
        [READINESS_ENV.instanceIds]: 'i-0123456789abcdef0',
        [READINESS_ENV.region]: 'eu-west-1',
      }));
      return { api, result };
    })();
    nothingListens = (async () => {
      const api = await apiServer(pki, 0);
      const url = api.url;
      await new Promise<void>((resolve) => api.server.close(() => resolve()));
      return { url, result: await runProgram(env(url, { [READINESS_ENV.timeoutSeconds]: '0.6', [READINESS_ENV.intervalSeconds]: '0.1' })) };
    })();
    noClientCert = (async () => {
      const api = await apiServer(pki, 0);
      servers.push(api.server);
      const result = await runProgram(env(api.url, { [READINESS_ENV.clientCertPem]: '', [READINESS_ENV.clientKeyPem]: '', [READINESS_ENV.timeoutSeconds]: '0.6', [READINESS_ENV.intervalSeconds]: '0.1' }));
      return { api, result };
    })();
  });
  afterAll(async () => {
    // Waited for even when a test failed first, so that every server is closed and the folder goes last.
    await Promise.allSettled([givesUp, nothingListens, noClientCert]);
    servers.forEach((s) => s.close());
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (url: string, extra: Record<string, string> = {}) => ({
    [READINESS_ENV.url]: url,
    [READINESS_ENV.caPem]: pki.ca,
    [READINESS_ENV.clientCertPem]: pki.clientCert,
    [READINESS_ENV.clientKeyPem]: pki.clientKey,
    [READINESS_ENV.timeoutSeconds]: '20',
    [READINESS_ENV.intervalSeconds]: '0.1',
    ...extra,
  });

  test('holds nothing Terraform would read as a template', () => {
    expect(READINESS_PROGRAM).not.toMatch(/\$\{|%\{/);
    expect(READINESS_PROGRAM).toContain('/readyz');
  });

  test('waits through answers that are not ready and succeeds once /readyz answers 200 to the client certificate', async () => {
    const api = await apiServer(pki, 3);
    servers.push(api.server);
    const result = await runProgram(env(api.url));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(api.seen).toEqual(Array(4).fill('GET /readyz cdktf-kubeadm-cluster'));
    expect(result.stdout).toContain('not ready yet: HTTP 503');
    expect(result.stdout).toContain('the API server is ready');
  });

  test('gives up at the timeout and says where to look', async () => {
    const { api, result } = await givesUp;
    expect(result.code).toBe(1);
    expect(result.ms).toBeLessThan(10_000);
    expect(api.seen.length).toBeGreaterThan(2);
    expect(result.stderr).toContain(`The Kubernetes API server at ${api.url}/readyz did not become ready within 0`);
    expect(result.stderr).toContain('last: HTTP 503');
    expect(result.stderr).toContain('aws ec2 get-console-output --region eu-west-1 --latest --output text --instance-id i-0123456789abcdef0');
    expect(result.stderr).toContain('/var/log/kubeadm-bootstrap.log');
    expect(result.stderr).toContain('journalctl -u kubeadm-bootstrap');
    expect(result.stderr).toContain('apiAccessCidrs');
  });

  test('keeps trying while nothing listens yet', async () => {
    const { result } = await nothingListens;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ECONNREFUSED');
    expect(result.stderr).toContain('did not become ready');
  });

  test('refuses a server whose certificate the pinned CA did not sign, at once', async () => {
    const api = await apiServer(pki, 0);
    servers.push(api.server);
    const result = await runProgram(env(api.url, { [READINESS_ENV.caPem]: pki.otherCa }));
    expect(result.code).toBe(2);
    expect(result.ms).toBeLessThan(10_000);
    expect(api.seen).toEqual([]);
    expect(result.stderr).toContain('presented a certificate the pinned cluster CA does not verify (SELF_SIGNED_CERT_IN_CHAIN');
    expect(result.stderr).toContain('get-console-output');
  });

  test('is refused by a server that wants a client certificate when none is given', async () => {
    const { api, result } = await noClientCert;
    expect(result.code).toBe(1);
    expect(api.seen).toEqual([]);
    expect(result.stderr).toContain('CERTIFICATE_REQUIRED');
  });
});
