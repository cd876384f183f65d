import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  etcdRestoreProgram,
  etcdSnapshotProgram,
  EtcdSnapshotProgramProps,
  etcdSnapshotUnits,
  snapshotKeyPrefix,
} from '../lib/operations/etcd-snapshot-program';
import { renderUnit } from '../lib/bootstrap/systemd';
import { NodeSandbox } from './support/node-sandbox';
import { problemsThrownBy } from './support/problems';
import { hasTool, shellcheck } from './support/validators';

// The snapshot and restore programs against a real etcd (3.5 with etcdutl, from Debian's
// etcd-server and etcd-client packages; .ci/fetch-etcd unpacks them and .ci/run exports
// ETCD_BIN_DIR), serving TLS with certificates made here. Only `aws` is a stand-in: it keeps S3
// objects in a local folder.

const ETCD_BIN_DIR = process.env.ETCD_BIN_DIR;

function etcdAvailable(): boolean {
  if (ETCD_BIN_DIR && existsSync(join(ETCD_BIN_DIR, 'etcdutl'))) {
    return true;
  }
  const why = `ETCD_BIN_DIR does not point at etcd, etcdctl and etcdutl; run \`export ETCD_BIN_DIR=$(.ci/fetch-etcd /tmp/etcd)\` (.ci/run does)`;
  if (process.env.CI) {
    throw new Error(`real etcd missing in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED real-etcd tests: ${why}`);
  return false;
}

const BUCKET = 'demo-etcd-backups';
const LOCATION = { region: 'eu-west-1', bucketName: BUCKET, prefix: 'backups/', clusterName: 'demo' };

// The stand-in `aws`: `s3 cp` between a local file and $STATE/s3/<bucket>/<key>, a listing as
// `s3api list-objects-v2 --output json` prints it, and recorded metrics.
const AWS_STAND_IN = `
args=("$@")
arg() { local i; for ((i = 0; i < \${#args[@]}; i++)); do [ "\${args[i]}" = "$1" ] && { printf '%s' "\${args[i+1]}"; return 0; }; done; return 1; }
positional=()
for ((i = 0; i < \${#args[@]}; i++)); do
  case \${args[i]} in
    --region|--bucket|--prefix|--output|--namespace|--metric-name|--value|--unit|--dimensions) i=$((i + 1)) ;;
    --*) ;;
    *) positional+=("\${args[i]}") ;;
  esac
done
case "\${positional[0]} \${positional[1]}" in
  's3 cp')
    src=\${positional[2]} dst=\${positional[3]}
    if [[ $dst == s3://* ]]; then
      mkdir -p "$(dirname "$STATE/s3/\${dst#s3://}")" && cp "$src" "$STATE/s3/\${dst#s3://}"
    else
      cp "$STATE/s3/\${src#s3://}" "$dst"
    fi ;;
  's3api list-objects-v2')
    bucket=$(arg --bucket) prefix=$(arg --prefix)
    (cd "$STATE/s3/$bucket" 2>/dev/null && find . -type f | sed 's|^\\./||' | sort) | node -e '
      const prefix = process.argv[1];
      const keys = require("fs").readFileSync(0, "utf8").split("\\n").filter((k) => k && k.startsWith(prefix));
      console.log(JSON.stringify(keys.length ? { Contents: keys.map((Key) => ({ Key })) } : { KeyCount: 0 }));' "$prefix" ;;
  'cloudwatch put-metric-data') ;;
  *) echo "stand-in aws: unexpected $*" >&2; exit 252 ;;
esac
`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as kubeadm's etcd PKI has them. */
function makePki(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=etcd-ca');
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth'],
    ['healthcheck-client', 'extendedKeyUsage=clientAuth'],
  ]) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

class TestEtcd {
  private process?: ChildProcess;
  private log = '';

  constructor(
    private readonly bin: string,
    private readonly pki: string,
    public readonly dataDir: string,
    public readonly clientPort: number,
    public readonly peerPort: number,
  ) {}

  get endpoint(): string {
    return `https://127.0.0.1:${this.clientPort}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.peerPort}`;
  }

  async start(): Promise<void> {
    this.log = '';
    this.process = spawn(join(this.bin, 'etcd'), [
      '--name', 'control-plane-0',
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', this.peerUrl,
      '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', `control-plane-0=${this.peerUrl}`,
      '--cert-file', join(this.pki, 'server.crt'),
      '--key-file', join(this.pki, 'server.key'),
      '--trusted-ca-file', join(this.pki, 'ca.crt'),
      '--client-cert-auth',
      '--log-level', 'warn',
    ]);
    this.process.stderr!.on('data', (d) => (this.log += d));
    this.process.stdout!.on('data', (d) => (this.log += d));
    for (let i = 0; i < 100; i++) {
      try {
        this.ctl('endpoint', 'health');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`etcd did not become healthy:\n${this.log}`);
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      p.on('exit', () => resolve());
      p.kill('SIGTERM');
    });
    this.process = undefined;
  }

  ctl(...args: string[]): string {
    return execFileSync(join(this.bin, 'etcdctl'), [
      `--endpoints=${this.endpoint}`,
      `--cacert=${join(this.pki, 'ca.crt')}`,
      `--cert=${join(this.pki, 'healthcheck-client.crt')}`,
      `--key=${join(this.pki, 'healthcheck-client.key')}`,
      ...args,
    ], { encoding: 'utf8', stdio: 'pipe' });
  }

  /** The values under the test's keys, as etcdctl reads them. */
  readKeys(): Record<string, string> {
    const lines = this.ctl('get', '/registry/', '--prefix').split('\n').filter((l) => l.length > 0);
    const result: Record<string, string> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) {
      result[lines[i]] = lines[i + 1];
    }
    return result;
  }

  revision(): number {
    return Number(JSON.parse(this.ctl('endpoint', 'status', '--write-out=json'))[0].Status.header.revision);
  }
}

const KEYS: Record<string, string> = {
  '/registry/namespaces/team-a': 'namespace of team a',
  '/registry/secrets/team-a/db': 'k8s:enc:secretbox:v1:key1:opaque',
  '/registry/configmaps/kube-system/kubeadm-config': 'clusterName: demo',
};

const runIf = (ok: boolean) => (ok ? describe : describe.skip);

runIf(etcdAvailable())('snapshot and restore against a real etcd', () => {
  let s: NodeSandbox;
  let etcd: TestEtcd;
  let props: EtcdSnapshotProgramProps;

  beforeAll(async () => {
    s = new NodeSandbox();
    const pki = s.path('/etc/kubernetes/pki/etcd');
    makePki(pki);
    for (const tool of ['etcdctl', 'etcdutl']) {
      symlinkSync(join(ETCD_BIN_DIR!, tool), join(s.bin, tool));
    }
    s.standIn('aws', AWS_STAND_IN);
    s.standIn('hostname', 'echo Control-Plane-0');
    etcd = new TestEtcd(ETCD_BIN_DIR!, pki, s.path('/var/lib/etcd'), await freePort(), await freePort());
    props = {
      ...LOCATION,
      endpoint: etcd.endpoint,
      paths: {
        etcdCa: join(pki, 'ca.crt'),
        etcdCert: join(pki, 'healthcheck-client.crt'),
        etcdKey: join(pki, 'healthcheck-client.key'),
        dataDir: etcd.dataDir,
        workDir: s.path('/var/lib/kubeadm-etcd-backup'),
        lockFile: s.path('/run/lock/kubeadm-etcd-backup.lock'),
      },
    };
    await etcd.start();
    for (const [key, value] of Object.entries(KEYS)) {
      etcd.ctl('put', key, value);
    }
  }, 60_000);

  afterAll(async () => {
    await etcd?.stop();
    s?.cleanup();
  });

  const objects = () => {
    const dir = join(s.state, 's3', BUCKET, 'backups', 'demo');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };

  test('the leader saves, verifies and uploads a timestamped snapshot, then reports it', () => {
    const result = s.run(etcdSnapshotProgram(props), { timeoutMs: 60_000 });
    expect(result.output).toContain('phase leader');
    expect(result.status).toBe(0);
    expect(result.output).toMatch(/the local member \d+ leads/);
    expect(result.output).toMatch(/snapshot at revision \d+: [1-9]\d* keys/);
    expect(objects()).toEqual([expect.stringMatching(/^etcd-\d{8}T\d{6}Z-Control-Plane-0\.db$/)]);
    const uploads = s.callLines('aws').filter((l) => l.includes(' s3 cp '));
    expect(uploads).toEqual([expect.stringMatching(/s3:\/\/demo-etcd-backups\/backups\/demo\/etcd-\d{8}T\d{6}Z-Control-Plane-0\.db$/)]);
    expect(s.callLines('aws')).toContain('aws cloudwatch put-metric-data --region eu-west-1 --namespace KubeadmCluster --metric-name EtcdSnapshotSucceeded --value 1 --unit Count --dimensions ClusterName=demo');
    // The local copy is gone; only S3 keeps the snapshot.
    expect(readdirSync(s.path('/var/lib/kubeadm-etcd-backup'))).toEqual([]);
  });

  test('restore refuses a node that already holds etcd data', () => {
    const result = s.run(etcdRestoreProgram(props), { args: ['restore', 'latest', '--name', 'control-plane-0', '--peer-url', etcd.peerUrl] });
    expect(result.status).toBe(1);
    expect(result.output).toContain('already holds etcd data');
  });

  test('after the data directory is lost, the restore brings back every key', async () => {
    const before = etcd.revision();
    await etcd.stop();
    rmSync(etcd.dataDir, { recursive: true, force: true });
    const result = s.run(etcdRestoreProgram(props), { args: ['restore', 'latest', '--name', 'control-plane-0', '--peer-url', etcd.peerUrl], timeoutMs: 60_000 });
    expect(result.output).toContain('phase restore');
    expect(result.status).toBe(0);
    expect(statSync(etcd.dataDir).mode & 0o777).toBe(0o700);
    await etcd.start();
    expect(etcd.readKeys()).toEqual(KEYS);
    // Watchers from before the restore start over: the revision moved far ahead.
    expect(etcd.revision()).toBeGreaterThan(before + 999_000_000);
  }, 60_000);

  test('a snapshot can be named instead of the newest', async () => {
    const [name] = objects();
    await etcd.stop();
    const result = s.run(etcdRestoreProgram(props), { args: ['restore', name, '--replace', '--name', 'control-plane-0', '--peer-url', etcd.peerUrl], timeoutMs: 60_000 });
    expect(result.status).toBe(0);
    expect(result.output).toContain(`moving the current ${etcd.dataDir} aside`);
    await etcd.start();
    expect(etcd.readKeys()).toEqual(KEYS);
  }, 60_000);

  test('without the restore the keys are gone: the check above can fail', async () => {
    await etcd.stop();
    rmSync(etcd.dataDir, { recursive: true, force: true });
    await etcd.start();
    expect(etcd.readKeys()).toEqual({});
    expect(etcd.readKeys()).not.toEqual(KEYS);
  }, 60_000);
});

describe('snapshot program without etcd', () => {
  test('a member that does not lead takes no snapshot', () => {
    const s = new NodeSandbox();
    try {
      s.standIn('etcdctl', `
case " $* " in
  *' endpoint status '*) echo '[{"Endpoint":"https://127.0.0.1:2379","Status":{"header":{"cluster_id":1,"member_id":11,"revision":5},"version":"3.6.8","leader":22}}]' ;;
  *) exit 1 ;;
esac`);
      s.standIn('etcdutl', 'exit 1');
      s.standIn('aws', 'exit 0');
      const program = etcdSnapshotProgram({ ...LOCATION, paths: { workDir: s.path('/work'), lockFile: s.path('/lock') } });
      const result = s.run(program);
      expect(result.status).toBe(0);
      expect(result.output).toContain('is not the leader (22)');
      expect(s.callLines('etcdctl').some((l) => l.includes('snapshot save'))).toBe(false);
      expect(s.calls('aws')).toEqual([]);
      // It asks the local member over TLS with kubeadm's health-check client certificate.
      expect(s.callLines('etcdctl')[0]).toBe(
        'etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout=60s endpoint status --write-out=json',
      );
    } finally {
      s.cleanup();
    }
  });

  test('a member that does not answer is a failure, and so is a missing etcdutl', () => {
    const s = new NodeSandbox();
    try {
      s.standIn('etcdctl', 'exit 1');
      s.standIn('etcdutl', 'exit 1');
      s.standIn('aws', 'exit 0');
      const program = etcdSnapshotProgram({ ...LOCATION, paths: { workDir: s.path('/work'), lockFile: s.path('/lock') } });
      const result = s.run(program);
      expect(result.status).toBe(1);
      expect(result.output).toContain('does not answer');
      rmSync(join(s.bin, 'etcdutl'));
      const missing = s.run(program, { env: { PATH: `${s.bin}:/usr/bin:/bin` } });
      expect(missing.status).toBe(1);
      expect(missing.output).toContain('etcdutl is not installed');
    } finally {
      s.cleanup();
    }
  });

  // The stand-in S3 holds objects as files; the listing is what list-objects-v2 prints.
  function generationNode(generation: string, keys: Record<string, string>): NodeSandbox {
    const s = new NodeSandbox();
    for (const [key, modified] of Object.entries(keys)) {
      s.writeFile(`/s3/${BUCKET}/${key}`, `snapshot ${key}\n`);
      writeFileSync(join(s.root, 's3', BUCKET, `${key}.modified`), modified);
    }
    writeFileSync(join(s.state, 'generation'), generation);
    s.standIn('aws', `
case "$*" in
  *get-parameter*cluster-generation*) cat "$STATE/generation" ;;
  *put-parameter*cluster-generation*) prev=''; for a in "$@"; do [ "$prev" = --value ] && printf '%s' "$a" > "$STATE/generation"; prev=$a; done ;;
  *list-objects-v2*)
    prefix=$(printf '%s' "$*" | sed -n 's/.*--prefix \\([^ ]*\\).*/\\1/p')
    (cd "$ROOT/s3/${BUCKET}" && find . -name '*.db' | sed 's|^\\./||' | sort) | node -e '
      const fs = require("fs"); const [prefix, dir] = process.argv.slice(1);
      const keys = fs.readFileSync(0, "utf8").split("\\n").filter((k) => k && k.startsWith(prefix));
      console.log(JSON.stringify({ Contents: keys.map((Key) => ({ Key, LastModified: fs.readFileSync(dir + "/" + Key + ".modified", "utf8") })) }));' "$prefix" "$ROOT/s3/${BUCKET}" ;;
  *s3\\ cp*) src=$(printf '%s' "$*" | sed -n 's|.* s3://${BUCKET}/\\([^ ]*\\) .*|\\1|p'); for a in "$@"; do dst=$a; done; cp "$ROOT/s3/${BUCKET}/$src" "$dst" ;;
esac
exit 0`);
    s.standIn('etcdutl', `case "$*" in
  *'snapshot status'*) echo '{"revision":7,"totalKey":3,"totalSize":100}' ;;
  *'snapshot restore'*) prev=''; for a in "$@"; do [ "$prev" = --data-dir ] && mkdir -p "$a/member"; prev=$a; done ;;
esac`);
    return s;
  }

  const G1 = '20260301T101500Z-3fa2c1';
  const G2 = '20260402T080000Z-9b0e44';
  const restoreLatest = (s: NodeSandbox) =>
    s.run(etcdRestoreProgram({ ...LOCATION, generationParameter: '/kubeadm/demo/cluster-generation', paths: { dataDir: s.path('/var/lib/etcd'), workDir: s.path('/work'), lockFile: s.path('/lock') } }), {
      args: ['restore', 'latest', '--name', 'ip-10-0-128-10', '--peer-url', 'https://10.0.128.10:2380'],
    });
  const downloaded = (s: NodeSandbox) => s.callLines('aws').filter((l) => l.includes(' s3 cp ')).map((l) => l.split(' ').find((w) => w.startsWith('s3://')));

  test("a fresh cluster's snapshot against latest: only the cluster's own generation counts, newest by time", () => {
    const s = generationNode(G1, {
      [`backups/demo/${G1}/etcd-20260401T233000Z-ip-10-0-128-10.db`]: '2026-04-01T23:30:05Z',
      [`backups/demo/${G1}/etcd-20260402T070000Z-ip-10-0-128-10.db`]: '2026-04-02T07:00:04Z',
      [`backups/demo/${G1}/etcd-20260402T063000Z-ip-10-0-129-10.db`]: '2026-04-02T06:30:04Z',
      // An accidental fresh cluster's snapshot, taken after the loss: newer, and empty.
      [`backups/demo/${G2}/etcd-20260402T081000Z-ip-10-0-128-10.db`]: '2026-04-02T08:10:04Z',
      // A snapshot from before generations, last in key order.
      'backups/demo/etcd-20260402T090000Z-ip-10-0-128-10.db': '2026-04-02T09:00:04Z',
    });
    try {
      const result = restoreLatest(s);
      expect(result.status).toBe(0);
      expect(downloaded(s)).toEqual([`s3://demo-etcd-backups/backups/demo/${G1}/etcd-20260402T070000Z-ip-10-0-128-10.db`]);
      expect(result.output).toContain(`the newest snapshot under s3://demo-etcd-backups/backups/demo/${G1}/ (this cluster's generation only)`);
    } finally {
      s.cleanup();
    }
  });

  test('a snapshot of another generation is restored only when named', () => {
    const s = generationNode(G1, { [`backups/demo/${G2}/etcd-20260402T081000Z-ip-10-0-128-10.db`]: '2026-04-02T08:10:04Z' });
    try {
      const latest = restoreLatest(s);
      expect(latest.status).toBe(1);
      expect(latest.output).toContain(`no snapshot under s3://demo-etcd-backups/backups/demo/${G1}/`);
      const named = s.run(etcdRestoreProgram({ ...LOCATION, generationParameter: '/kubeadm/demo/cluster-generation', paths: { dataDir: s.path('/var/lib/etcd'), workDir: s.path('/work'), lockFile: s.path('/lock') } }), {
        args: ['restore', `${G2}/etcd-20260402T081000Z-ip-10-0-128-10.db`, '--name', 'n', '--peer-url', 'https://10.0.128.10:2380'],
      });
      expect(named.status).toBe(0);
      expect(downloaded(s)).toEqual([`s3://demo-etcd-backups/backups/demo/${G2}/etcd-20260402T081000Z-ip-10-0-128-10.db`]);
    } finally {
      s.cleanup();
    }
  });

  test('snapshots go under the generation; a running cluster without one is named once by its leader', () => {
    const s = generationNode('none', {});
    try {
      s.standIn('etcdctl', `
case " $* " in
  *' endpoint status '*) echo '[{"Status":{"header":{"member_id":11},"leader":11}}]' ;;
  *' snapshot save '*) for a in "$@"; do last=$a; done; echo db > "$last" ;;
esac`);
      s.standIn('hostname', 'echo ip-10-0-128-10');
      const program = etcdSnapshotProgram({ ...LOCATION, generationParameter: '/kubeadm/demo/cluster-generation', paths: { workDir: s.path('/work'), lockFile: s.path('/lock') } });
      const result = s.run(program);
      expect(result.status).toBe(0);
      const generation = require('node:fs').readFileSync(join(s.state, 'generation'), 'utf8');
      expect(generation).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      expect(result.output).toContain(`this running cluster had no generation; naming it ${generation}`);
      const upload = s.callLines('aws').find((l) => l.includes(' s3 cp '))!;
      expect(upload).toMatch(new RegExp(`s3://demo-etcd-backups/backups/demo/${generation}/etcd-\\d{8}T\\d{6}Z-ip-10-0-128-10\\.db$`));
      // While a new cluster is asked for, nothing is uploaded under a generation that is not there.
      writeFileSync(join(s.state, 'generation'), 'new-cluster');
      s.clearCalls();
      const waiting = s.run(program);
      expect(waiting.status).toBe(1);
      expect(s.callLines('aws').some((l) => l.includes(' s3 cp '))).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  test('keys live under <prefix><cluster>/', () => {
    expect(snapshotKeyPrefix(LOCATION)).toBe('backups/demo/');
    expect(snapshotKeyPrefix({ ...LOCATION, prefix: '' })).toBe('demo/');
  });

  test('bad locations are refused, each naming the property and a fix', () => {
    const problems = problemsThrownBy(() => etcdSnapshotProgram({ region: 'Ireland', bucketName: 'Bad_Bucket', prefix: 'no-slash', clusterName: 'demo' }));
    expect(problems.map((p) => p.property)).toEqual(['region', 'bucketName', 'prefix']);
    expect(problems[2].value).toBe(JSON.stringify('no-slash'));
    expect(problems[2].fix).toContain("'backups/kubernetes/'");
  });

  test('the timer runs the service at the interval', () => {
    const [service, timerUnit] = etcdSnapshotUnits(30).map(renderUnit);
    expect(service).toContain('ExecStart=/usr/local/sbin/kubeadm-etcd-snapshot');
    expect(timerUnit).toContain('OnUnitActiveSec=30min');
  });

  test('both programs are shellcheck-clean', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    expect(shellcheck(etcdSnapshotProgram(LOCATION))).toBe('');
    expect(shellcheck(etcdRestoreProgram(LOCATION))).toBe('');
  });
});
