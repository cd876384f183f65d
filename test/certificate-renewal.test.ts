import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CERTIFICATE_RENEWAL_PROGRAM_PATH,
  certificateRenewalProgram,
  certificateRenewalUnits,
  CONTROL_PLANE_STATIC_PODS,
  SERVING_CERTIFICATES,
} from '../lib/operations/certificate-renewal-program';
import { renderUnit } from '../lib/bootstrap/systemd';
import { NodeSandbox } from './support/node-sandbox';
import { problemsThrownBy } from './support/problems';
import { commandPath, hasTool, shellcheck } from './support/validators';

const DAY = 86_400;
const LEASE_TEMPLATE = '{.metadata.resourceVersion}{"\\t"}{.spec.holderIdentity}{"\\t"}{.spec.renewTime}{"\\t"}{.spec.leaseDurationSeconds}';

// What `kubeadm certs check-expiration -o json` prints (kubeadm's output API v1alpha3), with every
// certificate's residual time set from the days the test gives the node.
function expirationJson(days: number): string {
  const certificate = (name: string, extra: object = {}) => ({ name, expirationDate: '2027-01-01T00:00:00Z', residualTime: days * DAY + 3600, externallyManaged: false, caName: 'ca', missing: false, ...extra });
  return JSON.stringify({
    kind: 'CertificateExpirationInfo',
    apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
    certificates: [
      certificate('admin.conf'),
      certificate('apiserver'),
      certificate('apiserver-etcd-client', { residualTime: (days + 5) * DAY }),
      // Not kubeadm's to renew, so not what decides.
      certificate('external', { residualTime: 1, externallyManaged: true }),
    ],
    certificateAuthorities: [{ name: 'ca', expirationDate: '2036-01-01T00:00:00Z', residualTime: 3000 * DAY, externallyManaged: false, missing: false }],
  });
}

// Real certificates, made with the real openssl: what each serving component presents before the
// renewal ("old") and what `kubeadm certs renew all` writes ("renewed"), each with its own serial.
const OPENSSL = hasTool('openssl', 'openssl') ? commandPath('openssl')! : undefined;
const CERTS = mkdtempSync(join(tmpdir(), 'renewal-certs-'));
afterAll(() => rmSync(CERTS, { recursive: true, force: true }));
function certificate(name: string): string {
  const base = join(CERTS, name.replace(/\//g, '_'));
  if (OPENSSL && !existsSync(`${base}.crt`)) {
    execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-subj', `/CN=${name.replace(/\//g, '_')}`, '-days', '2'], { stdio: 'ignore' });
  }
  return OPENSSL ? readFileSync(`${base}.crt`, 'utf8') : `${name}\n`;
}
/** Tests whose renewal reads certificates need the real openssl (a failure in CI, see hasTool). */
const renewing = OPENSSL ? test : test.skip;

/** When the stand-in containers ran before the renewal (2023-11-14), in crictl's nanoseconds. */
const OLD_CREATED_AT = '1700000000000000000';

/**
 * Control-plane nodes of one cluster in one sandbox: each node has its own manifest folder under
 * /nodes/<name>, and the stand-ins know the node by NODE_NAME. kubectl serves /readyz and a Lease
 * with atomic create and conditional replace; kubeadm reports each node's days left and renews.
 * Every event that must be ordered goes to $STATE/events.
 */
class ControlPlane {
  public readonly s = new NodeSandbox();

  constructor() {
    const s = this.s;
    s.writeFile('/etc/kubernetes/admin.conf', 'apiVersion: v1\nkind: Config\n', 0o600);
    writeFileSync(join(s.dir, 'lease-parser.js'), `
const m = JSON.parse(require('fs').readFileSync(0, 'utf8'));
if (m.kind !== 'Lease' || m.metadata.name !== 'kubeadm-certificate-renewal' || m.metadata.namespace !== 'kube-system') process.exit(1);
process.stdout.write([m.metadata.resourceVersion ?? '', m.spec.holderIdentity ?? '', m.spec.renewTime ?? '', m.spec.leaseDurationSeconds].join('\\t'));`);
    s.standIn('hostname', 'echo "$NODE_NAME"');
    // Waiting takes a little real time, so that two nodes' runs overlap.
    s.standIn('sleep', '/bin/sleep 0.05');
    s.standIn('aws', 'exit 0');
    s.standIn('kubectl', `
shift 2
case "$1" in --request-timeout=*) shift ;; esac
case "$*" in
  'get --raw /readyz') echo "readyz $NODE_NAME" >> "$STATE/events"; echo ok ;;
  ${JSON.stringify(`get lease kubeadm-certificate-renewal -n kube-system --ignore-not-found -o jsonpath=${LEASE_TEMPLATE}`)})
    [ ! -f "$STATE/lease" ] || cat "$STATE/lease" ;;
  'create -f - -o jsonpath={.metadata.resourceVersion}'|'replace -f - -o jsonpath={.metadata.resourceVersion}'|'replace -f -')
    verb=$1
    fields=$(node ${JSON.stringify(join(s.dir, 'lease-parser.js'))}) || exit 1
    sent=$(cut -f1 <<< "$fields"); holder=$(cut -f2 <<< "$fields"); renew=$(cut -f3 <<< "$fields"); duration=$(cut -f4 <<< "$fields")
    exec 8> "$STATE/lease.lock"
    flock 8
    if [ "$verb" = create ]; then
      [ ! -f "$STATE/lease" ] || { echo 'Error from server (AlreadyExists): leases "kubeadm-certificate-renewal" already exists' >&2; exit 1; }
    else
      [ "$sent" = "$(cut -f1 "$STATE/lease")" ] || { echo 'Error from server (Conflict): the object has been modified' >&2; exit 1; }
    fi
    version=$(( $(cat "$STATE/lease-version" 2>/dev/null || echo 1000) + 1 ))
    echo "$version" > "$STATE/lease-version"
    printf '%s\\t%s\\t%s\\t%s' "$version" "$holder" "$renew" "$duration" > "$STATE/lease"
    echo "lease $verb \${holder:-(released)}" >> "$STATE/events"
    [ "$*" = 'replace -f -' ] || printf '%s' "$version" ;;
  *) echo "kubectl stand-in: unexpected $*" >&2; exit 2 ;;
esac`);
    s.standIn('kubeadm', `
case "$*" in
  'certs check-expiration -o json') cat "$STATE/expiration-$NODE_NAME.json" ;;
  'certs renew all')
    echo "renew $NODE_NAME" >> "$STATE/events"; cp "$STATE/expiration-renewed.json" "$STATE/expiration-$NODE_NAME.json"
    cp -r "$STATE/pki-renewed/." "$ROOT/nodes/$NODE_NAME/pki/"; touch "$STATE/renewed-$NODE_NAME" ;;
  *) exit 2 ;;
esac`);
    // The kubelet, as crictl shows it: a component runs again, in a new container that presents the
    // renewed certificate, once its manifest is back after the renewal; unless $STATE/never-<pod>
    // (it never restarts), $STATE/late-<pod> (that many checks go by first) or $STATE/stale-<pod>
    // (a new container, still presenting the old certificate).
    s.standIn('crictl', `
pod=\${3#^}; pod=\${pod%$}
dir="$ROOT/nodes/$NODE_NAME"
created=${OLD_CREATED_AT}
if [ -f "$STATE/renewed-$NODE_NAME" ] && [ -f "$dir/manifests/$pod.yaml" ] && [ ! -f "$STATE/never-$pod" ]; then
  if [ -f "$STATE/late-$pod" ] && [ "$(cat "$STATE/late-$pod")" -gt 0 ]; then
    echo $(( $(cat "$STATE/late-$pod") - 1 )) > "$STATE/late-$pod"
  else
    [ -f "$STATE/created-$NODE_NAME-$pod" ] || { date +%s%N > "$STATE/created-$NODE_NAME-$pod"; echo "restarted $NODE_NAME $pod" >> "$STATE/events"; }
    created=$(cat "$STATE/created-$NODE_NAME-$pod")
    case $pod in
      etcd) [ -f "$STATE/stale-$pod" ] || cp "$dir/pki/etcd/server.crt" "$STATE/serving-$NODE_NAME-2379.pem" ;;
      kube-apiserver) [ -f "$STATE/stale-$pod" ] || cp "$dir/pki/apiserver.crt" "$STATE/serving-$NODE_NAME-6443.pem" ;;
    esac
  fi
fi
printf '{"containers": [{"id": "c-%s", "metadata": {"name": "%s", "attempt": 0}, "state": "CONTAINER_RUNNING", "createdAt": "%s"}]}\\n' "$pod" "$pod" "$created"`);
    // openssl: s_client prints what the port presents; everything else is the real openssl.
    s.standIn('openssl', `
if [ "$1" = s_client ]; then
  port=\${3##*:}
  [ -f "$STATE/serving-$NODE_NAME-$port.pem" ] || exit 1
  cat "$STATE/serving-$NODE_NAME-$port.pem"
  exit 0
fi
exec ${JSON.stringify(OPENSSL ?? '/usr/bin/openssl')} "$@"`);
  }

  node(name: string, daysLeft: number, restartWaitSeconds = 15): string {
    for (const pod of CONTROL_PLANE_STATIC_PODS) {
      this.s.writeFile(`/nodes/${name}/manifests/${pod}.yaml`, `kind: Pod\nmetadata: {name: ${pod}}\n`);
    }
    for (const { port, certificate: file } of SERVING_CERTIFICATES) {
      const old = certificate(`${file}-old`);
      this.s.writeFile(`/nodes/${name}/pki/${file}`, old);
      writeFileSync(join(this.s.state, `serving-${name}-${port}.pem`), old);
      this.s.writeFile(`/state-pki/${file}`, certificate(`${file}-renewed`));
    }
    execFileSync('cp', ['-r', this.s.path('/state-pki'), join(this.s.state, 'pki-renewed')]);
    writeFileSync(join(this.s.state, `expiration-${name}.json`), expirationJson(daysLeft));
    writeFileSync(join(this.s.state, 'expiration-renewed.json'), expirationJson(365));
    return certificateRenewalProgram({
      clusterName: 'demo',
      region: 'eu-west-1',
      stopWaitSeconds: 20,
      restartWaitSeconds,
      paths: {
        pkiDir: this.s.path(`/nodes/${name}/pki`),
        kubeconfig: this.s.path('/etc/kubernetes/admin.conf'),
        manifestDir: this.s.path(`/nodes/${name}/manifests`),
        holdingDir: this.s.path(`/nodes/${name}/held`),
        lockFile: this.s.path(`/nodes/${name}/lock`),
      },
    });
  }

  events(): string[] {
    const file = join(this.s.state, 'events');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l) : [];
  }
}

describe('certificate renewal', () => {
  renewing('with 10 days left it renews, restarts every static pod the kubeadm way and reports the days', () => {
    const cp = new ControlPlane();
    try {
      const result = cp.s.run(cp.node('cp-a', 10), { env: { NODE_NAME: 'cp-a' } });
      expect(result.status).toBe(0);
      expect(cp.s.callLines('kubeadm')).toEqual(['kubeadm certs check-expiration -o json', 'kubeadm certs renew all', 'kubeadm certs check-expiration -o json']);
      for (const pod of CONTROL_PLANE_STATIC_PODS) {
        expect(result.output).toContain(`restart ${pod}: manifest moved out; waiting 20 s`);
        expect(cp.s.exists(`/nodes/cp-a/manifests/${pod}.yaml`)).toBe(true);
      }
      expect(result.output).toMatch(/restart etcd[^]*restart kube-apiserver[^]*restart kube-controller-manager[^]*restart kube-scheduler/);
      expect(cp.s.callLines('sleep').filter((l) => l === 'sleep 20')).toHaveLength(4);
      expect(cp.s.callLines('aws')).toEqual([
        'aws cloudwatch put-metric-data --region eu-west-1 --namespace KubeadmCluster --metric-name CertificateDaysLeft --value 10 --unit Count --dimensions ClusterName=demo',
        'aws cloudwatch put-metric-data --region eu-west-1 --namespace KubeadmCluster --metric-name CertificateDaysLeft --value 365 --unit Count --dimensions ClusterName=demo',
      ]);
      expect(cp.events()).toEqual(expect.arrayContaining(['lease create cp-a', 'renew cp-a', 'lease replace (released)']));
      // Each component runs again, in a container newer than the renewal, before the next one restarts.
      expect(cp.events().filter((e) => e.startsWith('restarted '))).toEqual(CONTROL_PLANE_STATIC_PODS.map((pod) => `restarted cp-a ${pod}`));
      expect(result.output.match(/running with the renewed certificates/g)).toHaveLength(4);
      expect(result.output).toMatch(/restart etcd: running with[^]*restart kube-apiserver: manifest moved out/);
      // The certificate on each serving port, compared with the renewed file; etcd's port wants a client certificate.
      const probes = cp.s.callLines('openssl').filter((l) => l.startsWith('openssl s_client'));
      expect(probes.map((l) => l.split(cp.s.root).join('<root>'))).toEqual([
        'openssl s_client -connect 127.0.0.1:2379 -cert <root>/nodes/cp-a/pki/etcd/healthcheck-client.crt -key <root>/nodes/cp-a/pki/etcd/healthcheck-client.key',
        'openssl s_client -connect 127.0.0.1:6443',
      ]);
    } finally {
      cp.s.cleanup();
    }
  });

  renewing('a component that never restarts fails the run after the bounded wait, naming it and what to check', () => {
    const cp = new ControlPlane();
    try {
      writeFileSync(join(cp.s.state, 'never-kube-controller-manager'), '');
      const result = cp.s.run(cp.node('cp-a', 10, 15), { env: { NODE_NAME: 'cp-a' } });
      expect(result.status).toBe(1);
      expect(result.output).toMatch(
        /ERROR: kube-controller-manager does not run with the renewed certificates after 15 s: its running container was created at 2023-11-14T22:13:20Z, before the renewal at \d{4}-\d\d-\d\dT[\d:]+Z: the kubelet did not restart it\. Check crictl ps -a --name kube-controller-manager, journalctl -u kubelet, and that \S+\/manifests\/kube-controller-manager\.yaml is in place/,
      );
      // Three checks 5 s apart, then it stops: the scheduler is not restarted, the manifest is back, the lock let go.
      expect(cp.s.callLines('crictl').filter((l) => l.includes('^kube-controller-manager$'))).toHaveLength(3);
      expect(result.output).not.toContain('restart kube-scheduler');
      expect(cp.s.exists('/nodes/cp-a/manifests/kube-controller-manager.yaml')).toBe(true);
      expect(cp.events()).toContain('lease replace (released)');
    } finally {
      cp.s.cleanup();
    }
  });

  renewing('a component that restarts late, within the wait, is waited for', () => {
    const cp = new ControlPlane();
    try {
      // Two checks find the old API server container before the kubelet starts the new one.
      writeFileSync(join(cp.s.state, 'late-kube-apiserver'), '2');
      const result = cp.s.run(cp.node('cp-a', 10, 15), { env: { NODE_NAME: 'cp-a' } });
      expect(result.status).toBe(0);
      expect(cp.s.callLines('crictl').filter((l) => l.includes('^kube-apiserver$'))).toHaveLength(3);
      expect(cp.s.callLines('sleep').filter((l) => l === 'sleep 5')).toHaveLength(2);
      expect(result.output).toContain('restart kube-apiserver: running with the renewed certificates');
      expect(result.output).toContain('renewed; admin.conf now has 365 days left');
    } finally {
      cp.s.cleanup();
    }
  });

  renewing('a new container that still presents the old certificate is not taken for done', () => {
    const cp = new ControlPlane();
    try {
      writeFileSync(join(cp.s.state, 'stale-etcd'), '');
      const result = cp.s.run(cp.node('cp-a', 10, 10), { env: { NODE_NAME: 'cp-a' } });
      expect(result.status).toBe(1);
      const serial = (file: string) => execFileSync(OPENSSL!, ['x509', '-noout', '-serial', '-in', file], { encoding: 'utf8' }).trim();
      const oldSerial = serial(join(CERTS, 'etcd_server.crt-old.crt'));
      const renewedSerial = serial(cp.s.path('/nodes/cp-a/pki/etcd/server.crt'));
      expect(oldSerial).not.toBe(renewedSerial);
      expect(result.output).toContain(`ERROR: etcd does not run with the renewed certificates after 10 s: port 2379 presents ${oldSerial}, not the renewed ${cp.s.path('/nodes/cp-a/pki/etcd/server.crt')} (${renewedSerial})`);
      expect(result.output).not.toContain('restart kube-apiserver');
    } finally {
      cp.s.cleanup();
    }
  });

  test('with 200 days left it only reports: no renewal, no restart, no lock', () => {
    const cp = new ControlPlane();
    try {
      const result = cp.s.run(cp.node('cp-a', 200), { env: { NODE_NAME: 'cp-a' } });
      expect(result.status).toBe(0);
      expect(result.output).toContain('nothing to renew');
      expect(cp.s.callLines('kubeadm')).toEqual(['kubeadm certs check-expiration -o json']);
      expect(result.output).not.toContain('restart ');
      expect(cp.s.callLines('sleep')).toEqual([]);
      expect(cp.events().filter((e) => e.startsWith('lease'))).toEqual([]);
      expect(cp.s.callLines('aws')).toEqual([expect.stringContaining('--metric-name CertificateDaysLeft --value 200 ')]);
    } finally {
      cp.s.cleanup();
    }
  });

  renewing('two nodes due at once renew one after the other: the Lease lets one go first', async () => {
    const cp = new ControlPlane();
    try {
      const [a, b] = await Promise.all([
        cp.s.runAsync(cp.node('cp-a', 10), { env: { NODE_NAME: 'cp-a' } }),
        cp.s.runAsync(cp.node('cp-b', 10), { env: { NODE_NAME: 'cp-b' } }),
      ]);
      expect([a.status, b.status]).toEqual([0, 0]);
      const events = cp.events();
      const first = events.find((e) => e.startsWith('renew '))!.slice('renew '.length);
      const second = first === 'cp-a' ? 'cp-b' : 'cp-a';
      // Everything the first node does while holding the lock (renew, restarts and their readiness
      // checks) happens before the second node takes it.
      const firstReleased = events.indexOf('lease replace (released)');
      const secondTakes = events.findIndex((e) => e === `lease create ${second}` || e === `lease replace ${second}`);
      expect(events.indexOf(`renew ${first}`)).toBeLessThan(firstReleased);
      expect(events.lastIndexOf(`readyz ${first}`)).toBeLessThan(firstReleased);
      expect(secondTakes).toBeGreaterThan(firstReleased);
      expect(events.indexOf(`renew ${second}`)).toBeGreaterThan(secondTakes);
      expect((first === 'cp-a' ? b : a).output).toContain('the lock is held by');
    } finally {
      cp.s.cleanup();
    }
  }, 60_000);

  test('a manifest left out by a run that died goes back first', () => {
    const cp = new ControlPlane();
    try {
      const program = cp.node('cp-a', 200);
      cp.s.writeFile('/nodes/cp-a/held/kube-apiserver.yaml', 'kind: Pod\n');
      const result = cp.s.run(program, { env: { NODE_NAME: 'cp-a' } });
      expect(result.status).toBe(0);
      expect(result.output).toContain('putting back kube-apiserver.yaml');
      expect(cp.s.exists('/nodes/cp-a/held/kube-apiserver.yaml')).toBe(false);
    } finally {
      cp.s.cleanup();
    }
  });

  test('bad settings are refused by name', () => {
    expect(problemsThrownBy(() => certificateRenewalProgram({ clusterName: 'demo', region: 'eu-west-1', renewBeforeDays: 400 })).map((p) => p.property)).toEqual(['renewBeforeDays']);
    expect(problemsThrownBy(() => certificateRenewalProgram({ clusterName: 'demo', region: 'eu-west-1', restartWaitSeconds: 0 })).map((p) => p.property)).toEqual(['restartWaitSeconds']);
  });

  test('a daily timer runs the program; it is shellcheck-clean', () => {
    const [service, timerUnit] = certificateRenewalUnits().map(renderUnit);
    expect(service).toContain(`ExecStart=${CERTIFICATE_RENEWAL_PROGRAM_PATH}`);
    expect(timerUnit).toContain('OnUnitActiveSec=1d');
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(certificateRenewalProgram({ clusterName: 'demo', region: 'eu-west-1' }))).toBe('');
    }
  });
});
