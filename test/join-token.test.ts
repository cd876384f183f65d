import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  JOIN_TOKEN_API_WAIT,
  JOIN_TOKEN_DESCRIPTION,
  JOIN_TOKEN_METRIC,
  JOIN_TOKEN_PLACEHOLDER,
  JOIN_TOKEN_PROGRAM_PATH,
  joinTokenProgram,
  JoinTokenProgramProps,
  joinTokenUnits,
  LEGACY_JOIN_TOKEN_DESCRIPTION,
} from '../lib/bootstrap/join-token';
import { BootstrapAction, bootstrapProgram } from '../lib/bootstrap/bootstrap-program';
import { DEFAULT_JOIN_TOKEN_PATHS } from '../lib/bootstrap/join-token-props';
import { NODE_BOOTSTRAP_GROUP } from '../lib/bootstrap/kubeadm-config';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { renderUnit } from '../lib/bootstrap/systemd';
import { NodeSandbox, SandboxRun } from './support/node-sandbox';
import { problemsThrownBy } from './support/problems';
import { hasTool, shellcheck } from './support/validators';

const REGION = 'eu-west-1';
const PARAMETER = '/kubeadm/demo/join-token';
const KMS_KEY = 'alias/kubeadm-demo';
const KUBECONFIG = '/etc/kubernetes/admin.conf';
const MARKERS = '/var/lib/kubeadm-bootstrap';
const NAMESPACE = 'KubeadmCluster';
const CLUSTER = 'demo';

// What the real tools print for these templates (kubeadm's token output API through kubectl's
// JSONPath printer; a Lease through kubectl's): written out here, independently of the program, so
// that a change of template in the program shows as a mismatch with the stand-ins below.
const TOKEN_LIST_TEMPLATE = '{.token}{"\\t"}{.expires}{"\\t"}{.groups[*]}{"\\t"}{.description}{"\\n"}';
const LEASE_TEMPLATE = '{.metadata.resourceVersion}{"\\t"}{.spec.holderIdentity}{"\\t"}{.spec.renewTime}{"\\t"}{.spec.leaseDurationSeconds}';

const HOUR = 3_600_000;
const OTHER_GROUP = 'system:bootstrappers:other-tooling';

/** RFC 3339 in UTC with whole seconds, as metav1.Time prints. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

function randomToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

interface SeedToken {
  readonly token?: string;
  /** Hours from now; negative for expired; null for never. */
  readonly expiresInHours: number | null;
  readonly description?: string;
  readonly groups?: readonly string[];
}

interface StoredToken {
  readonly token: string;
  readonly id: string;
  readonly expires: string;
  readonly groups: string;
  readonly description: string;
}

// Parses a Lease manifest as the API server would, refusing what it would refuse; prints
// resourceVersion, holder, renewTime and duration tab-separated.
const LEASE_PARSER = `
const m = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const bad = (why) => { process.stderr.write('The Lease is invalid: ' + why + '\\n'); process.exit(1); };
if (m.apiVersion !== 'coordination.k8s.io/v1' || m.kind !== 'Lease') bad('apiVersion/kind');
if (m.metadata?.name !== 'kubeadm-join-token' || m.metadata?.namespace !== 'kube-system') bad('name/namespace');
const s = m.spec ?? {};
if (!Number.isInteger(s.leaseDurationSeconds) || s.leaseDurationSeconds <= 0) bad('spec.leaseDurationSeconds');
for (const f of ['renewTime', 'acquireTime']) {
  if (s[f] !== undefined && !/^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$/.test(s[f])) bad('spec.' + f + ' is not a MicroTime');
}
if (typeof (s.holderIdentity ?? '') !== 'string') bad('spec.holderIdentity');
process.stdout.write([m.metadata.resourceVersion ?? '', s.holderIdentity ?? '', s.renewTime ?? '', s.leaseDurationSeconds].join('\\t'));
`;

/**
 * A control-plane node's world: kubectl (readyz, a Lease with resourceVersions, atomic create and
 * replace), kubeadm (a token store with expiry times), aws (one SSM parameter, CloudWatch metrics)
 * and hostname (from NODE_NAME), on a node whose bootstrap has finished. Several programs in one
 * sandbox are several nodes of one cluster.
 */
class Cluster {
  public readonly sandbox = new NodeSandbox();

  constructor() {
    const sb = this.sandbox;
    const kubeconfig = sb.path(KUBECONFIG);
    sb.writeFile(KUBECONFIG, 'apiVersion: v1\nkind: Config\n', 0o600);
    sb.writeFile(`${MARKERS}/kubeadm.done`, '');
    sb.writeFile(`${MARKERS}/complete`, '');
    sb.writeFile('/run/lock/.keep', '');
    writeFileSync(join(sb.dir, 'lease-parser.js'), LEASE_PARSER);
    this.parameter = JOIN_TOKEN_PLACEHOLDER;
    const q = JSON.stringify;

    sb.standIn('hostname', 'echo "${NODE_NAME:-cp-a}"');

    sb.standIn('kubectl', `
[ "$1" = --kubeconfig ] && [ "$2" = ${q(kubeconfig)} ] || { echo "kubectl stand-in: --kubeconfig $2 is not the admin kubeconfig" >&2; exit 2; }
shift 2
case "$1" in --request-timeout=*) shift ;; *) echo 'kubectl stand-in: no --request-timeout' >&2; exit 2 ;; esac
lease_error() { echo "Error from server ($1): error when $2 \\"STDIN\\": leases.coordination.k8s.io \\"kubeadm-join-token\\" $3" >&2; exit 1; }
case "$*" in
  'get --raw /readyz')
    # api-down: empty for an API that never answers, or the number of checks it still refuses.
    if [ -e "$STATE/api-down" ]; then
      left=$(cat "$STATE/api-down")
      if [ -z "$left" ] || [ "$left" -gt 0 ]; then
        [ -z "$left" ] || echo $((left - 1)) > "$STATE/api-down"
        echo 'The connection to the server 10.0.0.10:6443 was refused - did you specify the right host or port?' >&2
        exit 1
      fi
    fi
    # A rendezvous of the nodes named in the file: each waits (at most 10 s) until all got here.
    if [ -f "$STATE/rendezvous" ]; then
      touch "$STATE/arrived-$NODE_NAME"
      for _ in $(seq 200); do
        [ "$(ls "$STATE" | grep -c '^arrived-')" -lt "$(cat "$STATE/rendezvous")" ] || break
        /bin/sleep 0.05
      done
    fi
    echo ok ;;
  ${q(`get lease kubeadm-join-token -n kube-system --ignore-not-found -o jsonpath=${LEASE_TEMPLATE}`)})
    [ ! -f "$STATE/lease" ] || cat "$STATE/lease" ;;
  'create -f - -o jsonpath={.metadata.resourceVersion}'|'replace -f - -o jsonpath={.metadata.resourceVersion}'|'replace -f -')
    verb=$1
    fields=$(node ${q(join(sb.dir, 'lease-parser.js'))}) || exit 1
    sent_version=$(cut -f1 <<< "$fields")
    holder=$(cut -f2 <<< "$fields")
    renew=$(cut -f3 <<< "$fields")
    duration=$(cut -f4 <<< "$fields")
    exec 8> "$STATE/lease.lock"
    flock 8
    if [ "$verb" = create ]; then
      [ -z "$sent_version" ] || { echo 'Error from server (BadRequest): resourceVersion should not be set on objects to be created' >&2; exit 1; }
      [ ! -f "$STATE/lease" ] || lease_error AlreadyExists creating 'already exists'
    else
      [ -n "$sent_version" ] || { echo 'kubectl stand-in: replace without resourceVersion is unconditional' >&2; exit 2; }
      [ -f "$STATE/lease" ] || lease_error NotFound replacing 'not found'
      [ "$sent_version" = "$(cut -f1 "$STATE/lease")" ] || lease_error Conflict replacing 'the object has been modified; please apply your changes to the latest version and try again'
    fi
    version=$(( $(cat "$STATE/lease-version" 2>/dev/null || echo 1000) + 1 ))
    echo "$version" > "$STATE/lease-version"
    printf '%s\\t%s\\t%s\\t%s' "$version" "$holder" "$renew" "$duration" > "$STATE/lease"
    echo "$verb $holder" >> "$STATE/lease-history"
    # The API server may send warnings, which kubectl prints to stderr next to the output.
    echo 'Warning: coordination.k8s.io/v1 Lease is served with a notice' >&2
    [ "$*" = 'replace -f -' ] || printf '%s' "$version" ;;
  *) echo "kubectl stand-in: unexpected $*" >&2; exit 2 ;;
esac`);

    sb.standIn('kubeadm', `
sub="$1 $2"
shift 2
case "$sub" in
  'token list')
    [ "$*" = ${q(`--kubeconfig ${kubeconfig} -o jsonpath=${TOKEN_LIST_TEMPLATE}`)} ] || { echo "kubeadm stand-in: unexpected token list $*" >&2; exit 2; }
    [ ! -f "$STATE/list-delay" ] || /bin/sleep "$(cat "$STATE/list-delay")"
    [ ! -f "$STATE/tokens" ] || cat "$STATE/tokens" ;;
  'token create')
    ttl='' description='' groups='' usages='' config=''
    while [ $# -gt 0 ]; do
      case "$1" in
        --ttl) ttl=$2 ;; --description) description=$2 ;; --groups) groups=$2 ;; --usages) usages=$2 ;; --kubeconfig) config=$2 ;;
        *) echo "kubeadm stand-in: unexpected $1" >&2; exit 2 ;;
      esac
      shift 2
    done
    [ "$config" = ${q(kubeconfig)} ] && [[ $ttl =~ ^[0-9]+h$ ]] && [ -n "$usages" ] || { echo 'kubeadm stand-in: bad token create' >&2; exit 2; }
    token="$(tr -dc a-z0-9 < /dev/urandom | head -c 6).$(tr -dc a-z0-9 < /dev/urandom | head -c 16)"
    exec 8> "$STATE/tokens.lock"
    flock 8
    printf '%s\\t%s\\t%s\\t%s\\n' "$token" "$(date -u -d "+\${ttl%h} hours" +%FT%TZ)" "\${groups//,/ }" "$description" >> "$STATE/tokens"
    echo "$token" ;;
  'token delete')
    [ "$1 $2" = ${q(`--kubeconfig ${kubeconfig}`)} ] && [ $# -eq 3 ] && [[ $3 =~ ^[a-z0-9]{6}$ ]] || { echo "kubeadm stand-in: unexpected token delete $*" >&2; exit 2; }
    exec 8> "$STATE/tokens.lock"
    flock 8
    grep -q "^$3\\\\." "$STATE/tokens" || { echo "failed to delete bootstrap token \\"$3\\": secrets \\"bootstrap-token-$3\\" not found" >&2; exit 1; }
    grep -v "^$3\\\\." "$STATE/tokens" > "$STATE/tokens.new" || true
    mv "$STATE/tokens.new" "$STATE/tokens"
    echo "bootstrap token \\"$3\\" deleted" ;;
  *) echo "kubeadm stand-in: unexpected $sub" >&2; exit 2 ;;
esac`);

    sb.standIn('aws', `
service=$1
op=$2
shift 2
declare -A o=()
while [ $# -gt 0 ]; do
  case "$1" in
    --with-decryption|--overwrite) o[$1]=1; shift ;;
    --*) o[$1]=$2; shift 2 ;;
    *) echo "aws stand-in: unexpected $1" >&2; exit 252 ;;
  esac
done
if [ -e "$STATE/aws-down" ] && grep -qx -e all -e "$op" "$STATE/aws-down"; then
  echo "Could not connect to the endpoint URL: \"https://$service.eu-west-1.amazonaws.com/\"" >&2
  exit 255
fi
# The form the node AWS command (aws-cli.py) takes: dimensions as one Name=Value argument.
if [ "$service $op" = 'cloudwatch put-metric-data' ]; then
  [ "\${o[--region]:-}" = ${q(REGION)} ] && [ "\${#o[@]}" -eq 6 ] || { echo 'aws stand-in: bad put-metric-data options' >&2; exit 252; }
  [[ "\${o[--value]:-}" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ "\${o[--dimensions]:-}" =~ ^[A-Za-z]+=[^,=]+$ ]] || { echo 'aws stand-in: bad put-metric-data value or dimensions' >&2; exit 252; }
  printf '%s %s %s %s %s\n' "\${o[--namespace]}" "\${o[--metric-name]}" "\${o[--value]}" "\${o[--unit]}" "\${o[--dimensions]}" >> "$STATE/metrics"
  exit 0
fi
[ "$service" = ssm ] || { echo "aws stand-in: unexpected $service" >&2; exit 252; }
[ "\${o[--region]:-}" = ${q(REGION)} ] && [ "\${o[--name]:-}" = ${q(PARAMETER)} ] || { echo 'aws stand-in: wrong region or name' >&2; exit 252; }
case "$op" in
  get-parameter)
    [ "\${o[--with-decryption]:-}" = 1 ] && [ "\${o[--query]:-}" = Parameter.Value ] && [ "\${o[--output]:-}" = text ] || { echo 'aws stand-in: bad get-parameter' >&2; exit 252; }
    cat "$STATE/parameter"
    echo ;;
  put-parameter)
    [ "\${o[--type]:-}" = SecureString ] && [ "\${o[--key-id]:-}" = ${q(KMS_KEY)} ] && [ "\${o[--overwrite]:-}" = 1 ] || { echo 'aws stand-in: bad put-parameter' >&2; exit 252; }
    [[ "\${o[--value]}" == file://* ]] || { echo 'aws stand-in: the value is not read from a file' >&2; exit 252; }
    file=\${o[--value]#file://}
    stat -c %a "$file" >> "$STATE/put-modes"
    cat "$file" > "$STATE/parameter"
    { cat "$file"; echo; } >> "$STATE/parameter-history"
    echo '{"Version": 2, "Tier": "Standard"}' ;;
  *) echo "aws stand-in: unexpected $op" >&2; exit 252 ;;
esac`);
  }

  public program(node = 'cp-a', props: Partial<JoinTokenProgramProps> = {}): string {
    return joinTokenProgram({
      region: REGION,
      parameterName: PARAMETER,
      kmsKeyId: KMS_KEY,
      metric: { namespace: NAMESPACE, clusterName: CLUSTER },
      paths: { kubeconfig: this.sandbox.path(KUBECONFIG), lockFile: this.sandbox.path(`/run/lock/${node}.lock`), bootstrapMarkers: this.sandbox.path(MARKERS) },
      ...props,
    });
  }

  // Tests run concurrently, each in its own sandbox, so programs run without blocking.
  public run(node = 'cp-a', args: string[] = [], props: Partial<JoinTokenProgramProps> = {}): Promise<SandboxRun> {
    return this.sandbox.runAsync(this.program(node, props), { args, env: { NODE_NAME: node } });
  }

  private file(name: string): string {
    return join(this.sandbox.state, name);
  }

  private read(name: string): string {
    return existsSync(this.file(name)) ? readFileSync(this.file(name), 'utf8') : '';
  }

  public get parameter(): string {
    return this.read('parameter');
  }

  public set parameter(value: string) {
    writeFileSync(this.file('parameter'), value);
  }

  public set(name: 'api-down' | 'list-delay' | 'aws-down' | 'rendezvous', content: string): void {
    // api-down: '' for never answering, or how many checks fail before it answers.
    writeFileSync(this.file(name), content);
  }

  public seed(...tokens: SeedToken[]): StoredToken[] {
    const lines = tokens.map((t) => {
      const expires = t.expiresInHours === null ? '' : rfc3339(Date.now() + t.expiresInHours * HOUR);
      return [t.token ?? randomToken(), expires, (t.groups ?? [NODE_BOOTSTRAP_GROUP]).join(' '), t.description ?? JOIN_TOKEN_DESCRIPTION].join('\t');
    });
    writeFileSync(this.file('tokens'), lines.map((l) => `${l}\n`).join(''));
    return this.tokens();
  }

  public tokens(): StoredToken[] {
    return this.read('tokens')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const [token, expires, groups, description] = l.split('\t');
        return { token, id: token.split('.')[0], expires, groups, description };
      });
  }

  /** Holds the Lease for `holder`, renewed `ageSeconds` ago. */
  public lease(holder: string, ageSeconds: number, durationSeconds = 300): void {
    writeFileSync(this.file('lease-version'), '500');
    writeFileSync(this.file('lease'), ['500', holder, microTime(Date.now() - ageSeconds * 1000), String(durationSeconds)].join('\t'));
  }

  public leaseFields(): string[] {
    return this.read('lease').split('\t');
  }

  public leaseHistory(): string[] {
    return this.read('lease-history').split('\n').filter((l) => l.length > 0);
  }

  /** Every metric datum reported: `namespace name value unit dimensions`. */
  public metrics(): string[] {
    return this.read('metrics').split('\n').filter((l) => l.length > 0);
  }

  /** The bootstrap's progress on this node: which phase markers exist. */
  public markers(...names: string[]): void {
    rmSync(this.sandbox.path(MARKERS), { recursive: true, force: true });
    for (const name of names) {
      this.sandbox.writeFile(`${MARKERS}/${name}`, '');
    }
  }

  public putModes(): string[] {
    return this.read('put-modes').split('\n').filter((l) => l.length > 0);
  }

  public parameterHistory(): string[] {
    return this.read('parameter-history').split('\n').filter((l) => l.length > 0);
  }

  public calls(command: string): string[] {
    return this.sandbox.callLines(command);
  }

  /** Every token the cluster or the parameter ever held, by its secret part. */
  public secretsSeen(extra: readonly StoredToken[] = []): string[] {
    const tokens = [...extra.map((t) => t.token), ...this.tokens().map((t) => t.token), ...this.parameterHistory()];
    return [...new Set(tokens.filter((t) => t.includes('.')).map((t) => t.split('.')[1]))];
  }

  /** Asserts that no token secret shows in any recorded command line or in the outputs. */
  public expectNoSecretsIn(runs: readonly SandboxRun[], extra: readonly StoredToken[] = []): void {
    const secrets = this.secretsSeen(extra);
    expect(secrets.length).toBeGreaterThan(0);
    const argv = JSON.stringify(this.sandbox.calls());
    for (const secret of secrets) {
      expect(argv).not.toContain(secret);
      for (const run of runs) {
        expect(run.output).not.toContain(secret);
      }
    }
  }
}

/** A test with a cluster of its own, run concurrently with the others. */
function scenario(name: string, body: (cluster: Cluster) => Promise<void>): void {
  test.concurrent(name, async () => {
    const cluster = new Cluster();
    try {
      await body(cluster);
    } finally {
      cluster.sandbox.cleanup();
    }
  });
}

function expectSuccess(run: SandboxRun): void {
  if (run.status !== 0) {
    throw new Error(`exit ${run.status}:\n${run.output}`);
  }
}

describe('rotate', () => {
  scenario('creates a token with its TTL, groups and usages, and publishes it through a 0600 file', async (cluster) => {
    const run = await cluster.run();
    expectSuccess(run);
    expect(cluster.calls('kubeadm').filter((c) => c.startsWith('kubeadm token create'))).toEqual([
      `kubeadm token create --ttl 24h --description ${JOIN_TOKEN_DESCRIPTION} --groups ${NODE_BOOTSTRAP_GROUP} --usages signing,authentication --kubeconfig ${cluster.sandbox.path(KUBECONFIG)}`,
    ]);
    const [token] = cluster.tokens();
    expect(cluster.tokens()).toHaveLength(1);
    // 24 hours from now, give or take the run.
    expect(Math.abs(Date.parse(token.expires) - (Date.now() + 24 * HOUR))).toBeLessThan(60_000);
    expect(cluster.parameter).toBe(token.token);
    expect(cluster.putModes()).toEqual(['600']);
    const put = cluster.calls('aws').find((c) => c.includes('put-parameter'));
    expect(put).toMatch(new RegExp(`^aws ssm put-parameter --name ${PARAMETER} --type SecureString --key-id ${KMS_KEY} --overwrite --value file:///\\S+ --region ${REGION}$`));
    // The token file is gone once published.
    expect(existsSync(put!.split('file://')[1].split(' ')[0])).toBe(false);
    expect(run.output).toContain(`created token ${token.id}`);
    expect(run.output).toContain(`published token ${token.id} to parameter ${PARAMETER}`);
    cluster.expectNoSecretsIn([run]);
    // The lock was taken and handed back.
    expect(cluster.leaseHistory()).toEqual(['create cp-a', 'replace ']);
    expect(cluster.leaseFields()[1]).toBe('');
  });

  scenario('a TTL of 6 hours is created as 6h and renewed with 3 hours left', async (cluster) => {
    cluster.seed({ expiresInHours: 3.2 });
    expectSuccess(await cluster.run('cp-a', [], { ttlHours: 6 }));
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token create'))).toHaveLength(0);
    cluster.seed({ expiresInHours: 2.9 });
    expectSuccess(await cluster.run('cp-a', [], { ttlHours: 6 }));
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token create'))).toEqual([expect.stringContaining('--ttl 6h ')]);
  });

  function expectNothingDone(cluster: Cluster, run: SandboxRun, message: RegExp): void {
    expectSuccess(run);
    expect(run.output).toMatch(message);
    expect(cluster.calls('kubeadm')).toEqual([]);
    expect(cluster.calls('aws')).toEqual([]);
    expect(cluster.leaseHistory()).toEqual([]);
  }

  scenario('does nothing on a node without the admin kubeconfig', async (cluster) => {
    rmSync(cluster.sandbox.path(KUBECONFIG));
    expectNothingDone(cluster, await cluster.run(), /no \S+admin\.conf: this node is not a control plane \(yet\); nothing to rotate here/);
    expect(cluster.calls('kubectl')).toEqual([]);
  });

  scenario('two nodes started at once: exactly one acts', async (cluster) => {
    // Both pass the readiness check before either goes on, and listing takes a while: without the
    // lock, both would see no token and make one.
    cluster.set('rendezvous', '2');
    cluster.set('list-delay', '0.3');
    const runs = await Promise.all([cluster.run('cp-a'), cluster.run('cp-b')]);
    runs.forEach(expectSuccess);
    expect(cluster.tokens()).toHaveLength(1);
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token create'))).toHaveLength(1);
    const skipped = runs.filter((r) => /the lock is held by .*nothing to do here/.test(r.output));
    expect(skipped).toHaveLength(1);
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
    cluster.expectNoSecretsIn(runs);
  });

  scenario('a fresh lock of another node: this node does nothing', async (cluster) => {
    cluster.lease('cp-b', 60);
    const run = await cluster.run('cp-a');
    expectSuccess(run);
    expect(run.output).toMatch(/the lock is held by cp-b \(until \S+\); it rotates, nothing to do here/);
    expect(cluster.calls('kubeadm')).toEqual([]);
    expect(cluster.calls('aws')).toEqual([]);
    expect(cluster.leaseFields()[1]).toBe('cp-b');
  });

  scenario('a lapsed lock of another node is taken over', async (cluster) => {
    cluster.lease('cp-b', 301);
    const run = await cluster.run('cp-a');
    expectSuccess(run);
    expect(run.output).toContain('the lock of cp-b lapsed at');
    expect(cluster.leaseHistory()).toEqual(['replace cp-a', 'replace ']);
    expect(cluster.tokens()).toHaveLength(1);
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
  });

  scenario('a fresh lock under this node\'s own name is left from a run that died, and taken over', async (cluster) => {
    cluster.lease('cp-a', 10);
    const run = await cluster.run('cp-a');
    expectSuccess(run);
    expect(run.output).toContain('the lock is still ours from an earlier run');
    expect(cluster.tokens()).toHaveLength(1);
  });

  scenario('expired tokens are deleted, a still-valid older one (the overlap) stays, a current one is not replaced', async (cluster) => {
    const [expired, older, newest, initToken, otherExpired] = cluster.seed(
      { expiresInHours: -1 },
      { expiresInHours: 3 },
      { expiresInHours: 20 },
      // kubeadm init's own token and another tool's: not ours to rotate, even when expired.
      { expiresInHours: 5, description: '' },
      { expiresInHours: -2, description: 'made by another tool', groups: [OTHER_GROUP] },
    );
    cluster.parameter = older.token;
    const run = await cluster.run();
    expectSuccess(run);
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token delete'))).toEqual([
      `kubeadm token delete --kubeconfig ${cluster.sandbox.path(KUBECONFIG)} ${expired.id}`,
    ]);
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token create'))).toEqual([]);
    expect(cluster.tokens().map((t) => t.id)).toEqual([older.id, newest.id, initToken.id, otherExpired.id]);
    expect(cluster.parameter).toBe(newest.token);
    expect(run.output).toContain(`token ${newest.id} is current until`);
    cluster.expectNoSecretsIn([run], [expired]);
  });

  scenario('a newest token with less than renewBefore left gets a successor; the older one stays valid', async (cluster) => {
    const [old] = cluster.seed({ expiresInHours: 11.5 });
    cluster.parameter = old.token;
    const run = await cluster.run();
    expectSuccess(run);
    const tokens = cluster.tokens();
    expect(tokens).toHaveLength(2);
    expect(tokens[0].id).toBe(old.id);
    expect(cluster.parameter).toBe(tokens[1].token);
    expect(Date.parse(tokens[1].expires)).toBeGreaterThan(Date.parse(old.expires));
  });

  scenario('nothing is written when the parameter already holds the newest token', async (cluster) => {
    const [current] = cluster.seed({ expiresInHours: 23 });
    cluster.parameter = current.token;
    const run = await cluster.run();
    expectSuccess(run);
    expect(cluster.calls('aws')).toEqual([expect.stringContaining('aws ssm get-parameter'), expect.stringContaining('aws cloudwatch put-metric-data')]);
    expect(run.output).toContain(`parameter ${PARAMETER} already holds token ${current.id}`);
    // A check that finds the token current counts as a publication: it is what the alarm waits for.
    expect(cluster.metrics()).toEqual([`${NAMESPACE} ${JOIN_TOKEN_METRIC} 1 Count ClusterName=${CLUSTER}`]);
  });

  scenario('the legacy never-expiring token is deleted once a current token is published', async (cluster) => {
    const [legacy] = cluster.seed({ expiresInHours: null, description: LEGACY_JOIN_TOKEN_DESCRIPTION });
    cluster.parameter = legacy.token;
    const run = await cluster.run();
    expectSuccess(run);
    const calls = cluster.sandbox.callLines().filter((c) => /^(aws|kubeadm token (create|delete))/.test(c));
    expect(calls.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'kubeadm token create',
      'aws ssm get-parameter',
      'aws ssm put-parameter',
      'aws cloudwatch put-metric-data',
      'kubeadm token delete',
    ]);
    expect(calls[4]).toMatch(new RegExp(` ${legacy.id}$`));
    expect(cluster.tokens().map((t) => t.description)).toEqual([JOIN_TOKEN_DESCRIPTION]);
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
    cluster.expectNoSecretsIn([run], [legacy]);
  });

  scenario('a failed publish keeps the legacy token, exits 1 after bounded retries; the next run republishes', async (cluster) => {
    const [legacy] = cluster.seed({ expiresInHours: null, description: LEGACY_JOIN_TOKEN_DESCRIPTION });
    cluster.parameter = legacy.token;
    cluster.set('aws-down', 'put-parameter\n');
    const failed = await cluster.run();
    expect(failed.status).toBe(1);
    expect(failed.output).toMatch(/ERROR: could not publish token [a-z0-9]{6} to parameter \/kubeadm\/demo\/join-token after 3 attempts; the next run tries again/);
    expect(cluster.calls('aws').filter((c) => c.includes('put-parameter'))).toHaveLength(3);
    expect(cluster.calls('sleep')).toHaveLength(2);
    // Still joinable with the old token; the lock was handed back all the same.
    expect(cluster.tokens().map((t) => t.id)).toContain(legacy.id);
    expect(cluster.parameter).toBe(legacy.token);
    expect(cluster.leaseFields()[1]).toBe('');
    const created = cluster.tokens().find((t) => t.description === JOIN_TOKEN_DESCRIPTION)!;

    rmSync(join(cluster.sandbox.state, 'aws-down'));
    cluster.sandbox.clearCalls();
    const again = await cluster.run('cp-b');
    expectSuccess(again);
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token create'))).toEqual([]);
    expect(cluster.parameter).toBe(created.token);
    expect(cluster.tokens().map((t) => t.id)).toEqual([created.id]);
    cluster.expectNoSecretsIn([failed, again], [legacy]);
  });

  scenario('an unreachable SSM fails the run with a clear line, after bounded attempts', async (cluster) => {
    cluster.set('aws-down', 'all\n');
    const run = await cluster.run();
    expect(run.status).toBe(1);
    expect(run.output).toContain(`ERROR: could not read parameter ${PARAMETER} after 3 attempts; the next run tries again`);
    expect(cluster.calls('aws')).toHaveLength(3);
    expect(cluster.leaseFields()[1]).toBe('');
  });
});

describe('rotate: an API server that does not answer', () => {
  const readyzCalls = (cluster: Cluster) => cluster.calls('kubectl').filter((c) => c.endsWith('get --raw /readyz'));

  scenario('while kubeadm runs on this node (admin.conf written, no kubeadm marker yet): nothing to do, and no error', async (cluster) => {
    // kubeadm init and join write admin.conf minutes before their API server answers.
    cluster.markers('host.done', 'packages.done', 'containerd.done', 'provider-id.done');
    cluster.set('api-down', '');
    const run = await cluster.run();
    expectSuccess(run);
    expect(run.output).toMatch(/kubeadm has not finished on this node yet \(no \S+\/var\/lib\/kubeadm-bootstrap\/kubeadm\.done\); nothing to rotate here until it has/);
    expect(cluster.calls('kubectl')).toEqual([]);
    expect(cluster.calls('kubeadm')).toEqual([]);
    expect(cluster.calls('aws')).toEqual([]);
  });

  scenario('the first node\'s bootstrap, right after kubeadm init (its kubeadm marker, not yet complete), rotates', async (cluster) => {
    cluster.markers('kubeadm.done');
    expectSuccess(await cluster.run());
    expect(cluster.tokens()).toHaveLength(1);
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
  });

  scenario('refused for 3 checks, then answering: the rotation succeeds, logs each retry, and reports the metric', async (cluster) => {
    cluster.set('api-down', '3');
    const run = await cluster.run();
    expectSuccess(run);
    const retries = run.output.split('\n').filter((l) => l.includes('the API server does not answer /readyz'));
    expect(retries).toHaveLength(3);
    retries.forEach((line, i) => expect(line).toMatch(new RegExp(`\\(attempt ${i + 1} of 5, again in 15 s\\): The connection to the server 10\\.0\\.0\\.10:6443 was refused`)));
    expect(run.output).toContain('the API server answers (attempt 4 of 5)');
    expect(readyzCalls(cluster)).toHaveLength(4);
    expect(cluster.calls('sleep')).toEqual(['sleep 15', 'sleep 15', 'sleep 15']);
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
    expect(cluster.metrics()).toEqual([`${NAMESPACE} ${JOIN_TOKEN_METRIC} 1 Count ClusterName=${CLUSTER}`]);
  });

  scenario('never answering: exit 1 after 5 checks 15 s apart, a line that says what to check; no token, no lock, no metric', async (cluster) => {
    cluster.set('api-down', '');
    const started = Date.now();
    const run = await cluster.run();
    expect(run.status).toBe(1);
    // The bound, as the node spends it: every check with its request timeout, and the sleeps between.
    const checks = readyzCalls(cluster);
    expect(checks).toHaveLength(JOIN_TOKEN_API_WAIT.attempts);
    checks.forEach((c) => expect(c).toContain(' --request-timeout=10s '));
    expect(cluster.calls('sleep')).toEqual(Array(JOIN_TOKEN_API_WAIT.attempts - 1).fill('sleep 15'));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.output).toMatch(/the API server does not answer \/readyz \(attempt 5 of 5\): The connection to the server/);
    expect(run.output).toMatch(new RegExp(
      'ERROR: the API server did not answer /readyz through \\S+admin\\.conf in 5 attempts 15 s apart; nothing rotated\\. '
      + 'Check the kube-apiserver pods of the control plane \\(crictl ps --name kube-apiserver; journalctl -u kubelet\\), '
      + 'the API endpoint\'s load balancer and its healthy targets, and the client certificate in \\S+ \\(kubeadm certs check-expiration\\)',
    ));
    expect(cluster.calls('kubeadm')).toEqual([]);
    expect(cluster.calls('aws')).toEqual([]);
    expect(cluster.leaseHistory()).toEqual([]);
    expect(cluster.metrics()).toEqual([]);
  });

  scenario('on a node bootstrapped before phase markers existed (no marker folder), an API that does not answer is an error too', async (cluster) => {
    rmSync(cluster.sandbox.path(MARKERS), { recursive: true });
    cluster.set('api-down', '');
    const run = await cluster.run();
    expect(run.status).toBe(1);
    expect(run.output).toContain('ERROR: the API server did not answer /readyz');
    expect(readyzCalls(cluster)).toHaveLength(5);
  });
});

describe('rotate: the metric the alarm watches', () => {
  scenario('each successful run reports it once; a failed publish and a run that leaves it to another node report nothing', async (cluster) => {
    expectSuccess(await cluster.run('cp-a'));
    expect(cluster.sandbox.callLines('aws').filter((c) => c.includes('cloudwatch'))).toEqual([
      `aws cloudwatch put-metric-data --region ${REGION} --namespace ${NAMESPACE} --metric-name ${JOIN_TOKEN_METRIC} --value 1 --unit Count --dimensions ClusterName=${CLUSTER}`,
    ]);

    cluster.set('aws-down', 'put-parameter\n');
    cluster.seed({ expiresInHours: 1 });
    expect((await cluster.run('cp-a')).status).toBe(1);
    cluster.lease('cp-b', 10);
    expectSuccess(await cluster.run('cp-a'));
    expect(cluster.metrics()).toHaveLength(1);
  });

  scenario('a CloudWatch that does not answer is retried, logged with what to check, and does not fail the published rotation', async (cluster) => {
    cluster.set('aws-down', 'put-metric-data\n');
    const run = await cluster.run();
    expectSuccess(run);
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
    expect(cluster.calls('aws').filter((c) => c.includes('put-metric-data'))).toHaveLength(3);
    expect(run.output).toContain(`could not report ${JOIN_TOKEN_METRIC} to CloudWatch after 3 attempts; the token is published, but without reports the alarm on ${JOIN_TOKEN_METRIC} fires: check that this node's role may call cloudwatch:PutMetricData in namespace ${NAMESPACE}`);
    expect(cluster.metrics()).toEqual([]);
  });

  scenario('revoke reports nothing: no token is published', async (cluster) => {
    cluster.seed({ expiresInHours: 20 });
    expectSuccess(await cluster.run('cp-a', ['revoke']));
    expect(cluster.calls('aws').filter((c) => c.includes('cloudwatch'))).toEqual([]);
  });

  scenario('without metric props, a rotation reports nothing', async (cluster) => {
    expectSuccess(await cluster.run('cp-a', [], { metric: undefined }));
    expect(cluster.parameter).toBe(cluster.tokens()[0].token);
    expect(cluster.calls('aws').filter((c) => c.includes('cloudwatch'))).toEqual([]);
  });
});

describe('revoke', () => {
  scenario('deletes every token of the node group and publishes the placeholder; the next rotation publishes a new token', async (cluster) => {
    const seeded = cluster.seed(
      { expiresInHours: 20 },
      { expiresInHours: 2 },
      { expiresInHours: null, description: LEGACY_JOIN_TOKEN_DESCRIPTION },
      { expiresInHours: 10, description: '' },
      { expiresInHours: 10, description: 'made by another tool', groups: [OTHER_GROUP] },
    );
    cluster.parameter = seeded[0].token;
    const run = await cluster.run('cp-a', ['revoke']);
    expectSuccess(run);
    expect(cluster.tokens().map((t) => t.id)).toEqual([seeded[4].id]);
    expect(cluster.parameter).toBe(JOIN_TOKEN_PLACEHOLDER);
    expect(run.output).toContain('revoked 4 tokens');
    expect(cluster.calls('kubeadm').filter((c) => c.includes('token create'))).toEqual([]);

    const rotation = await cluster.run('cp-b');
    expectSuccess(rotation);
    const fresh = cluster.tokens().find((t) => t.description === JOIN_TOKEN_DESCRIPTION)!;
    expect(seeded.map((t) => t.id)).not.toContain(fresh.id);
    expect(cluster.parameter).toBe(fresh.token);
    cluster.expectNoSecretsIn([run, rotation], seeded);
  });

  scenario('waits a bounded time for another node\'s lock, then fails without deleting anything', async (cluster) => {
    const seeded = cluster.seed({ expiresInHours: 20 });
    cluster.lease('cp-b', 0);
    const run = await cluster.run('cp-a', ['revoke']);
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/ERROR: the lock is held by cp-b .*; nothing revoked, run revoke again/);
    expect(cluster.calls('sleep')).toHaveLength(5);
    expect(cluster.tokens()).toEqual(seeded);
    expect(cluster.calls('aws')).toEqual([]);
  });

  scenario('fails on a node without the admin kubeconfig', async (cluster) => {
    rmSync(cluster.sandbox.path(KUBECONFIG));
    const run = await cluster.run('cp-a', ['revoke']);
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/ERROR: revoke runs on a control-plane node: no \S+admin\.conf here/);
    expect(cluster.sandbox.calls().filter((c) => c.command !== 'hostname')).toEqual([]);
  });

  scenario('fails after bounded attempts on a node whose API server does not answer; nothing revoked, nothing reported', async (cluster) => {
    const seeded = cluster.seed({ expiresInHours: 20 });
    cluster.set('api-down', '');
    const run = await cluster.run('cp-a', ['revoke']);
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/ERROR: the API server did not answer \/readyz through \S+ in 5 attempts 15 s apart; nothing revoked\. Check/);
    expect(cluster.tokens()).toEqual(seeded);
    expect(cluster.calls('aws')).toEqual([]);
    expect(cluster.metrics()).toEqual([]);
  });
});

scenario('an unknown command fails', async (cluster) => {
  const run = await cluster.run('cp-a', ['rotate-now']);
  expect(run.status).toBe(1);
  expect(run.output).toContain("unknown command 'rotate-now'; use rotate or revoke");
  expect(cluster.sandbox.calls()).toEqual([]);
});

test('the program is shellcheck-clean', () => {
  if (!hasTool('shellcheck', 'shellcheck')) {
    return;
  }
  const cluster = new Cluster();
  try {
    expect(shellcheck(cluster.program())).toBe('');
  } finally {
    cluster.sandbox.cleanup();
  }
});

test('the bootstrap leaves the markers the rotation reads, and runs the first rotation only after its kubeadm phase', () => {
  const program = bootstrapProgram({
    action: BootstrapAction.INIT, kubernetesVersion: KubernetesVersion.of('1.36.4'), region: REGION, parameterPath: '/kubeadm/demo',
    joinTokenParameter: PARAMETER, apiEndpoint: '10.0.128.10:6443', joinTokenProgram: { path: JOIN_TOKEN_PROGRAM_PATH, document: 'demo-join-token-rotation' },
  });
  expect(program).toContain(`MARKERS="$ROOT${DEFAULT_JOIN_TOKEN_PATHS.bootstrapMarkers}"`);
  expect(program).toContain('touch "$MARKERS/$name.done"');
  expect(program).toContain('touch "$MARKERS/complete"');
  const kubeadmPhase = program.indexOf('phase kubeadm "run_');
  expect(kubeadmPhase).toBeGreaterThan(-1);
  expect(program.indexOf('phase publish-token ')).toBeGreaterThan(kubeadmPhase);
});

test('the program carries Terraform tokens for region, parameter and key unchanged', () => {
  const program = joinTokenProgram({ region: '${TfToken[TOKEN.1]}', parameterName: '${TfToken[TOKEN.2]}', kmsKeyId: '${TfToken[TOKEN.3]}' });
  expect(program).toContain("readonly REGION='${TfToken[TOKEN.1]}'");
  expect(program).toContain("readonly PARAMETER_NAME='${TfToken[TOKEN.2]}'");
  expect(program).toContain("readonly KMS_KEY_ID='${TfToken[TOKEN.3]}'");
  expect(program).toContain("readonly ADMIN_KUBECONFIG='/etc/kubernetes/admin.conf'");
  expect(program).toContain("readonly RENEW_BEFORE_SECONDS='43200'");
});

describe('props', () => {
  const valid: JoinTokenProgramProps = { region: REGION, parameterName: PARAMETER, kmsKeyId: KMS_KEY };
  const problemsOf = (props: Partial<JoinTokenProgramProps>) => problemsThrownBy(() => joinTokenProgram({ ...valid, ...props }));

  test('valid props give no problems', () => {
    expect(problemsOf({})).toEqual([]);
    expect(problemsOf({ kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', parameterName: 'join-token', ttlHours: 4 })).toEqual([]);
    expect(problemsOf({ ttlHours: 3, renewBeforeHours: 2 })).toEqual([]);
  });

  test('bad values name their property', () => {
    const problems = problemsOf({
      region: 'Ireland',
      parameterName: 'kubeadm/join token',
      kmsKeyId: "alias/it's",
      ttlHours: 36,
      paths: { kubeconfig: 'admin.conf' },
    });
    expect(problems.map((p) => p.property)).toEqual(['region', 'parameterName', 'kmsKeyId', 'ttlHours', 'paths.kubeconfig']);
    expect(problems[0]).toMatchObject({ value: '"Ireland"', fix: expect.stringContaining('eu-west-1') });
    expect(problems[2].message).toContain('quote');
    expect(problems[3].message).toContain('from 1 to 24');
  });

  test.each([
    [{ parameterName: '/ssm/join-token' }, 'parameterName', /reserves/],
    [{ ttlHours: 2.5 }, 'ttlHours', /whole number/],
    [{ ttlHours: 3 }, 'ttlHours', /half of it \(the default renewBeforeHours, 1.5 h\) is under 2 h/],
    [{ renewBeforeHours: 1 }, 'renewBeforeHours', /is under 2 h: the rotation runs only hourly/],
    [{ ttlHours: 12, renewBeforeHours: 11.5 }, 'renewBeforeHours', /newest for less than 1 h, so every hourly run would make another/],
    [{ ttlHours: 2, renewBeforeHours: 2 }, 'renewBeforeHours', /with ttlHours 2 no value works/],
  ])('%j is refused on %s', (props, property, message) => {
    const problems = problemsOf(props);
    expect(problems).toHaveLength(1);
    expect(problems[0].property).toBe(property);
    expect(problems[0].message).toMatch(message);
  });
});

/** systemd's time spans as the units use them (`5min`, `1h`, `45min`), in seconds. */
function seconds(span: string): number {
  const m = /^(\d+)(s|min|h)$/.exec(span);
  if (!m) {
    throw new Error(`not a time span of the form the units use: ${span}`);
  }
  return Number(m[1]) * { s: 1, min: 60, h: 3600 }[m[2] as 's' | 'min' | 'h'];
}

describe('units', () => {
  const [service, timerUnit] = joinTokenUnits();
  const serviceText = renderUnit(service);
  const timerText = renderUnit(timerUnit);
  const value = (text: string, key: string) => {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
    if (!m) {
      throw new Error(`no ${key}= in\n${text}`);
    }
    return m[1];
  };

  test('a oneshot rotation, run by an hourly timer with a random delay', () => {
    expect(service.name).toBe('kubeadm-join-token.service');
    expect(serviceText).toContain(`ExecStart=${JOIN_TOKEN_PROGRAM_PATH} rotate\n`);
    expect(serviceText).toContain('Type=oneshot\n');
    // A oneshot that stayed active would hold its timer: OnUnitActiveSec counts from its start.
    expect(serviceText).not.toMatch(/^RemainAfterExit=/m);
    expect(timerUnit.name).toBe('kubeadm-join-token.timer');
    expect(timerText).toContain('OnBootSec=2min\n');
    expect(timerText).toContain('OnUnitActiveSec=1h\n');
    expect(timerText).toMatch(/^RandomizedDelaySec=\d+min$/m);
    expect(timerText).toContain('WantedBy=timers.target');
  });

  test('a failed run is restarted a bounded number of times, and the timer\'s next start is never refused', () => {
    expect(value(serviceText, 'Restart')).toBe('on-failure');
    const timeout = seconds(value(serviceText, 'TimeoutStartSec'));
    const delay = seconds(value(serviceText, 'RestartSec'));
    const starts = Number(value(serviceText, 'StartLimitBurst'));
    const window = seconds(value(serviceText, 'StartLimitIntervalSec'));
    expect(starts).toBe(3);
    // Every start the burst allows, each run to its timeout and each restart's delay, fits in the
    // window, so the start after them is refused: the restarts end.
    expect(starts * timeout + (starts - 1) * delay).toBeLessThan(window);
    // The window is over before the timer's next run, so the timer's start is always allowed.
    expect(window).toBeLessThan(seconds(value(timerText, 'OnUnitActiveSec')));
    // The limit belongs in [Unit]; in [Service] systemd ignores it.
    expect(serviceText.split('[Service]')[0]).toMatch(/^StartLimitIntervalSec=.*\nStartLimitBurst=3$/m);
  });

  test('one run\'s wait for the API fits in the service\'s timeout with time to spare', () => {
    const { attempts, delaySeconds, requestTimeoutSeconds } = JOIN_TOKEN_API_WAIT;
    const longest = attempts * requestTimeoutSeconds + (attempts - 1) * delaySeconds;
    expect(longest).toBe(110);
    expect(longest).toBeLessThan(seconds(value(serviceText, 'TimeoutStartSec')) / 2);
  });
});
