import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BootstrapAction, bootstrapProgram, BootstrapProgramProps } from '../lib/bootstrap/bootstrap-program';
import { CLUSTER_GENERATION_PATTERN } from '../lib/bootstrap/cluster-generation';
import { RECOVERY_LIBRARY } from '../lib/bootstrap/phases/recovery-library';
import { bootstrapNode, bootstrapProps, FAIL_FIRST, inChannelDocument, runBootstrap, TOKEN } from './support/bootstrap-node';
import { NodeSandbox } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';

// How a control-plane node finds its cluster again, run for real against stand-ins: the cluster's
// generation and the restore request in Parameter Store, its etcd volume (attach, file system,
// mount), its peers' etcd (answering or not, and their member list), and the groups a restore fences.

const GENERATION = '20260301T101500Z-3fa2c1';
const VOLUME = 'vol-0123456789abcdef0';
const SELF = '10.0.128.10';
const PEERS = ['10.0.129.10', '10.0.130.10'];
const RESTORE = { parameterName: '/kubeadm/demo/etcd-restore', program: { path: 'kubeadm-etcd-restore', document: 'demo-etcd-backup' } };

function recovery(extra: Partial<NonNullable<BootstrapProgramProps['recovery']>> = {}): BootstrapProgramProps['recovery'] {
  return {
    generationParameter: '/kubeadm/demo/cluster-generation',
    selfAddress: SELF,
    peerAddresses: [],
    nodeTagKey: 'cdktf-kubeadm-cluster/demo/control-plane-node',
    library: { path: 'kubeadm-control-plane-recovery', document: 'demo-control-plane-recovery' },
    ...extra,
  };
}

/**
 * A control-plane node whose world is files in $STATE: `generation` and `restore-request`
 * (parameters), `volume-data` (the etcd volume holds a member), `peers-up` (peers' etcd answers
 * until a fencing scale-down), `members` (what a peer's member list says).
 */
function controlPlaneNode(): NodeSandbox {
  const s = bootstrapNode();
  writeFileSync(`${s.state}/token`, `${TOKEN}\n`);
  // The recovery library, as the channel's document installs it: it arrives at boot from there.
  writeFileSync(`${s.bin}/kubeadm-control-plane-recovery`, RECOVERY_LIBRARY, { mode: 0o755 });
  inChannelDocument(s, 'demo-control-plane-recovery', 'kubeadm-control-plane-recovery');
  s.standIn(
    'aws',
    `
${FAIL_FIRST}
fail_first "aws-$2" && { echo "An error occurred (IncorrectState) when calling the AttachVolume operation: vol is in the 'in-use' state." >&2; exit 254; }
arg() { local prev=''; for a in "$@"; do [ "$prev" = "$ARG" ] && { printf '%s' "$a"; return; }; prev=$a; done; }
case "$*" in
  *get-document*)
    name=$(printf '%s' "$*" | sed -n 's/.*--name \\([^ ]*\\).*/\\1/p')
    [ -d "$STATE/channel/$name" ] || { echo "An error occurred (InvalidDocument) when calling the GetDocument operation: The specified document does not exist." >&2; exit 254; }
    printf '{"schemaVersion":"2.2","mainSteps":[{"action":"aws:runShellScript","name":"run","inputs":{"runCommand":["set -eu","cp %s %s/"]}}]}\\n' "$STATE/channel/$name/$(ls "$STATE/channel/$name")" "$(dirname "$0")" ;;
  *get-parameter*cluster-generation*) cat "$STATE/generation" 2> /dev/null || echo none ;;
  *put-parameter*cluster-generation*) ARG=--value arg "$@" > "$STATE/generation" ;;
  *get-parameter*etcd-restore*) cat "$STATE/restore-request" 2> /dev/null || echo none ;;
  *put-parameter*etcd-restore*) echo none > "$STATE/restore-request" ;;
  *get-parameter*join-token*) cat "$STATE/token" ;;
  *get-parameter*) echo "-----BEGIN SECRET-----"; echo x; echo "-----END SECRET-----" ;;
  *ec2\\ attach-volume*) mkdir -p "$ROOT/dev/disk/by-id"; touch "$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$(ARG=--volume-id arg "$@" | tr -d -)" ;;
  *update-auto-scaling-group*) [ "$(ARG=--desired-capacity arg "$@")" = 0 ] && rm -f "$STATE/peers-up" ;;
esac
exit 0`,
  );
  s.standIn(
    'curl',
    `
case "$*" in
  *latest/api/token*) echo imds-session ;;
  *meta-data/instance-id*) echo i-0fedcba9876543210 ;;
  *meta-data/placement/availability-zone*) echo eu-west-1a ;;
  *Release.key*|*/gpg*) while [ $# -gt 0 ]; do [ "$1" = -o ] && echo KEY > "$2"; shift; done ;;
  *:2379/health*) [ -f "$STATE/peers-up" ] && exit 56; exit 7 ;;
  *member/list*) cat "$STATE/members" 2> /dev/null || echo '{"members":[]}' ;;
  *member/remove*) exit 0 ;;
  *) exit 22 ;;
esac`,
  );
  // The shared PKI as Parameter Store would give it, with a real etcd CA: the client certificate
  // the node makes for its peers' etcd is made by the real openssl.
  const pki = s.path('/etc/kubernetes/pki');
  require('node:fs').mkdirSync(`${pki}/etcd`, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${pki}/etcd/ca.key`, '-out', `${pki}/etcd/ca.crt`, '-days', '1', '-subj', '/CN=etcd-ca'], { stdio: 'pipe' });
  s.writeFile('/etc/kubernetes/pki/ca.key', 'cluster CA key\n');
  s.writeFile('/etc/kubernetes/encryption/config.yaml', 'kind: EncryptionConfiguration\n');
  s.standIn('blkid', '[ -f "$STATE/volume-formatted" ]');
  s.standIn('mkfs.ext4', 'touch "$STATE/volume-formatted"');
  s.standIn('mountpoint', '[ -f "$STATE/mounted" ]');
  s.standIn('mount', 'touch "$STATE/mounted"; mkdir -p "$ROOT/var/lib/etcd/lost+found"; [ -f "$STATE/volume-data" ] && mkdir -p "$ROOT/var/lib/etcd/member/snap"; exit 0');
  return s;
}

const run = (s: NodeSandbox, p: BootstrapProgramProps) => runBootstrap(s, p);
const kubeadmVerbs = (s: NodeSandbox) => s.callLines('kubeadm').map((l) => l.split(' ').slice(0, 2).join(' '));
const state = (s: NodeSandbox, name: string, content = '') => writeFileSync(`${s.state}/${name}`, content);
const readState = (s: NodeSandbox, name: string) => require('node:fs').readFileSync(`${s.state}/${name}`, 'utf8') as string;

describe('a control-plane node that finds its cluster again', () => {
  let s: NodeSandbox;
  beforeEach(() => {
    s = controlPlaneNode();
  });
  afterEach(() => s.cleanup());

  test('the first node of a new cluster inits once and records a generation', () => {
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery() }));
    expect(result.status).toBe(0);
    expect(kubeadmVerbs(s)).toEqual(['kubeadm init']);
    expect(readState(s, 'generation')).toMatch(CLUSTER_GENERATION_PATTERN);
    expect(result.output).toContain('no cluster in /kubeadm/demo/cluster-generation (none): starting one');
    // Recorded after init, before the join token goes out.
    const lines = s.callLines();
    expect(lines.findIndex((l) => l.includes('put-parameter') && l.includes('cluster-generation'))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('kubeadm init')));
  });

  test('HA node 0 replaced: with the cluster recorded and a peer answering, it joins instead of starting a second cluster', () => {
    state(s, 'generation', GENERATION);
    state(s, 'peers-up');
    state(s, 'members', JSON.stringify({ members: [{ ID: '11400000000000000001', name: 'ip-10-0-128-10', peerURLs: [`https://${SELF}:2380`] }, { ID: '22', name: 'ip-10-0-129-10', peerURLs: [`https://${PEERS[0]}:2380`] }] }));
    s.writeFile('/var/lib/etcd/member/wal/0.wal', 'old member data');
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { apiEndpoint: 'api-int.example:6443', recovery: recovery({ peerAddresses: PEERS }) }));
    expect(result.status).toBe(0);
    expect(kubeadmVerbs(s)).toEqual(['kubeadm join']);
    expect(result.output).toContain(`cluster ${GENERATION} exists and a peer's etcd answers: joining it`);
    // Its own dead member goes first (etcd's replacement of a failed member), and its old data with it.
    const remove = s.callLines('curl').find((l) => l.includes('member/remove'))!;
    expect(remove).toContain(`https://${PEERS[0]}:2379/v3/cluster/member/remove`);
    expect(remove).toContain('{"ID":"11400000000000000001"}');
    // With a client certificate of the etcd CA, made for the call and gone after it.
    const list = s.calls('curl').find((c) => c.args.some((a) => a.includes('member/list')))!;
    expect(list.args[list.args.indexOf('--cacert') + 1]).toBe(s.path('/etc/kubernetes/pki/etcd/ca.crt'));
    expect(require('node:fs').existsSync(list.args[list.args.indexOf('--cert') + 1])).toBe(false);
    expect(s.exists('/var/lib/etcd/member')).toBe(false);
    // The init configuration stays for a later first boot; the join used its own file.
    expect(s.callLines('kubeadm')[0]).toBe(`kubeadm join --config ${s.path('/etc/kubeadm-bootstrap/kubeadm-join.yaml')}`);
    expect(s.exists('/etc/kubeadm-bootstrap/kubeadm.yaml')).toBe(true);
    expect(readState(s, 'generation')).toBe(GENERATION);
    // The library came from the channel's document, read by the booting node itself.
    expect(s.callLines('aws').filter((l) => l.includes('get-document'))).toEqual([expect.stringContaining('--name demo-control-plane-recovery')]);
  });

  test('the other HA nodes join without their old member and data too', () => {
    state(s, 'members', JSON.stringify({ members: [{ ID: '33', peerURLs: [`https://${PEERS[1]}:2380`] }] }));
    s.writeFile('/var/lib/etcd/member/snap/db', 'old');
    const result = run(s, bootstrapProps(BootstrapAction.JOIN_CONTROL_PLANE, { recovery: recovery({ selfAddress: PEERS[1], peerAddresses: [SELF, PEERS[0]] }) }));
    expect(result.status).toBe(0);
    expect(s.callLines('curl').find((l) => l.includes('member/remove'))).toContain('{"ID":"33"}');
    expect(s.exists('/var/lib/etcd/member')).toBe(false);
    expect(kubeadmVerbs(s)).toEqual(['kubeadm join']);
  });

  test('single control plane replaced without a restore request: it attaches its etcd volume and inits on the data it finds', () => {
    state(s, 'generation', GENERATION);
    state(s, 'volume-formatted');
    state(s, 'volume-data');
    state(s, 'init-fails-once');
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ etcdVolumeId: VOLUME }), etcdRestore: RESTORE }));
    expect(result.status).toBe(0);
    expect(s.callLines('aws')).toContain(`aws ec2 attach-volume --region eu-west-1 --volume-id ${VOLUME} --instance-id i-0fedcba9876543210 --device /dev/sdf`);
    expect(s.calls('mkfs.ext4')).toEqual([]);
    expect(s.readFile('/etc/fstab')).toContain('/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0 /var/lib/etcd ext4 defaults,nofail 0 2');
    expect(result.output).toContain(`cluster ${GENERATION} exists and ${s.path('/var/lib/etcd')} holds its data: taking it back`);
    // Neither a restore nor an empty init; a failed attempt is never reset (a reset would empty etcd).
    expect(s.calls('kubeadm-etcd-restore')).toEqual([]);
    const inits = s.callLines('kubeadm');
    expect(kubeadmVerbs(s)).toEqual(['kubeadm init', 'kubeadm init']);
    expect(inits[0]).toContain('--ignore-preflight-errors=DirAvailable--var-lib-etcd');
    expect(inits[1]).toContain('--ignore-preflight-errors=all');
    expect(s.exists('/var/lib/etcd/member')).toBe(true);
    expect(readState(s, 'generation')).toBe(GENERATION);
    // The volume's steps came from the channel's recovery library, read once by the booting node.
    expect(s.callLines('aws').filter((l) => l.includes('get-document'))).toHaveLength(1);
  });

  test('a blank etcd volume gets its file system once; a volume still held by the old instance is retried', () => {
    require('node:fs').writeFileSync(`${s.state}/fail-aws-attach-volume`, '2\n');
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ etcdVolumeId: VOLUME }) }));
    expect(result.status).toBe(0);
    expect(s.callLines('aws').filter((l) => l.includes('attach-volume'))).toHaveLength(3);
    expect(result.output).toContain("attaching the etcd volume vol-0123456789abcdef0 (attempt 1 of 30): An error occurred (IncorrectState)");
    expect(s.callLines('mkfs.ext4')).toEqual([`mkfs.ext4 -q -L etcd ${s.path('/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0')}`]);
    // The file system's own folder is not etcd data: kubeadm finds an empty directory.
    expect(s.exists('/var/lib/etcd/lost+found')).toBe(false);
    expect(kubeadmVerbs(s)).toEqual(['kubeadm init']);
  });

  test('single control plane replaced without data: it restores the newest snapshot of its generation, never an empty init', () => {
    state(s, 'generation', GENERATION);
    s.standIn('kubeadm-etcd-restore', 'mkdir -p "$ROOT/var/lib/etcd/member"; exit 0');
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery(), etcdRestore: RESTORE }));
    expect(result.status).toBe(0);
    const lines = s.callLines();
    expect(lines).toContain('kubeadm-etcd-restore restore latest --replace');
    expect(lines.findIndex((l) => l.startsWith('kubeadm init'))).toBeGreaterThan(lines.indexOf('kubeadm-etcd-restore restore latest --replace'));
    expect(s.callLines('kubeadm')[0]).toContain('--ignore-preflight-errors=DirAvailable--var-lib-etcd');
    expect(readState(s, 'generation')).toBe(GENERATION);
  });

  test('with nothing to come back from it stops and says how to recover; new-cluster, set by hand, starts a new one', () => {
    state(s, 'generation', GENERATION);
    const p = bootstrapProps(BootstrapAction.INIT, { recovery: recovery(), etcdRestore: { ...RESTORE, program: { ...RESTORE.program, path: '' } } });
    const stopped = run(s, { ...p, etcdRestore: undefined });
    expect(stopped.status).not.toBe(0);
    expect(s.callLines('kubeadm')).toEqual([]);
    expect(stopped.output).toContain(`cluster ${GENERATION} exists (/kubeadm/demo/cluster-generation) but no peer answers, this node has none of its data and no snapshot to restore: nothing was started`);
    expect(stopped.output).toContain('aws ssm put-parameter --region eu-west-1 --name /kubeadm/demo/cluster-generation --type String --overwrite --value new-cluster');
    state(s, 'generation', 'new-cluster');
    s.writeFile('/var/lib/etcd/member/snap/db', 'a cluster the user gave up');
    const started = run(s, { ...p, etcdRestore: undefined });
    expect(started.status).toBe(0);
    expect(kubeadmVerbs(s)).toEqual(['kubeadm init']);
    expect(s.callLines('kubeadm')[0]).not.toContain('ignore-preflight-errors');
    expect(s.exists('/var/lib/etcd/member')).toBe(false);
    expect(readState(s, 'generation')).toMatch(CLUSTER_GENERATION_PATTERN);
  });

  test('an HA restore fences the old members first, and brings their groups back once the restored cluster serves', () => {
    state(s, 'generation', GENERATION);
    state(s, 'restore-request', 'latest');
    state(s, 'peers-up');
    s.standIn('kubeadm-etcd-restore', '[ -f "$STATE/peers-up" ] && { echo "an old member still serves" >&2; exit 1; }; exit 0');
    const groups = ['demo-control-plane-1', 'demo-control-plane-2'];
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ peerAddresses: PEERS, peerGroups: groups }), etcdRestore: RESTORE }));
    expect(result.status).toBe(0);
    const lines = s.callLines();
    const scaledDown = groups.map((g) => lines.indexOf(`aws autoscaling update-auto-scaling-group --region eu-west-1 --auto-scaling-group-name ${g} --min-size 0 --max-size 0 --desired-capacity 0`));
    const restore = lines.indexOf('kubeadm-etcd-restore restore latest --replace');
    const init = lines.findIndex((l) => l.startsWith('kubeadm init'));
    const scaledUp = groups.map((g) => lines.indexOf(`aws autoscaling update-auto-scaling-group --region eu-west-1 --auto-scaling-group-name ${g} --min-size 1 --max-size 1 --desired-capacity 1`));
    expect(Math.max(...scaledDown)).toBeLessThan(restore);
    expect(Math.min(...scaledDown)).toBeGreaterThan(-1);
    expect(init).toBeGreaterThan(restore);
    expect(Math.min(...scaledUp)).toBeGreaterThan(init);
    expect(readState(s, 'restore-request').trim()).toBe('none');
  });

  test('without groups to scale, an HA restore refuses while an old member answers', () => {
    state(s, 'generation', GENERATION);
    state(s, 'restore-request', 'latest');
    state(s, 'peers-up');
    s.standIn('kubeadm-etcd-restore', 'exit 0');
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ peerAddresses: PEERS }), etcdRestore: RESTORE }));
    expect(result.status).not.toBe(0);
    expect(s.calls('kubeadm-etcd-restore')).toEqual([]);
    expect(s.callLines('kubeadm')).toEqual([]);
    expect(result.output).toContain('other control-plane nodes still run the old etcd; stop them before restoring');
  });

  test('a peer that is silent only for a moment still counts: node 0 waits for it rather than restoring', () => {
    state(s, 'generation', GENERATION);
    // Silent for the first 3 checks, then answering.
    s.standIn('curl', `
n=$(cat "$STATE/health" 2> /dev/null || echo 0)
case "$*" in
  *:2379/health*) n=$((n + 1)); echo "$n" > "$STATE/health"; [ "$n" -gt 3 ] && exit 35; exit 28 ;;
  *latest/api/token*) echo imds-session ;;
  *meta-data/instance-id*) echo i-0fedcba9876543210 ;;
  *meta-data/placement/availability-zone*) echo eu-west-1a ;;
  *Release.key*|*/gpg*) while [ $# -gt 0 ]; do [ "$1" = -o ] && echo KEY > "$2"; shift; done ;;
  *member/list*) echo '{"members":[]}' ;;
  *) exit 22 ;;
esac`);
    s.standIn('kubeadm-etcd-restore', 'exit 0');
    const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ peerAddresses: [PEERS[0]] }), etcdRestore: RESTORE }));
    expect(result.status).toBe(0);
    expect(s.calls('kubeadm-etcd-restore')).toEqual([]);
    expect(kubeadmVerbs(s)).toEqual(['kubeadm join']);
  });

  test('a control-plane join that cannot get through says that etcd may have lost its quorum, and what to do', () => {
    state(s, 'join-fails');
    const result = run(s, bootstrapProps(BootstrapAction.JOIN_CONTROL_PLANE, { joinTimeoutMinutes: 0.05, recovery: recovery({ selfAddress: PEERS[1], peerAddresses: [SELF, PEERS[0]] }) }));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("etcd may have lost its quorum (two of three control-plane nodes lost at once): restore a snapshot, see 'Recovering the control plane' in the README");
  });

  describe('its Node object, registered by the instance it replaces', () => {
    const OLD = 'aws:///eu-west-1a/i-0aaaaaaaaaaaaaaaa';
    const NEW = 'aws:///eu-west-1a/i-0fedcba9876543210';
    /**
     * The API's Node object in $STATE/node (its provider ID; absent = no Node): `delete node` removes
     * it, and a kubelet restart registers it again with this instance's ID unless $STATE/kubelet-stuck.
     */
    function withNodeObject(providerId: string) {
      state(s, 'node', providerId);
      s.standIn('kubectl', `
case "$*" in
  *' get node ip-10-0-0-4 -o jsonpath={.spec.providerID}'*) [ -f "$STATE/node" ] || exit 1; cat "$STATE/node" ;;
  *' delete node ip-10-0-0-4 '*) rm -f "$STATE/node" ;;
  *' delete pods --all-namespaces --field-selector spec.nodeName=ip-10-0-0-4 '*) exit 0 ;;
  *) [ -f "$STATE/api-serving" ] ;;
esac`);
      s.standIn('systemctl', `[ "$*" = 'restart kubelet' ] && [ ! -f "$STATE/kubelet-stuck" ] && printf '%s' '${NEW}' > "$STATE/node"; exit 0`);
    }
    const mark = (calls: string[]) => calls.filter((l) => l.includes('mark-control-plane'));

    test('single control plane taken back from its volume: the stale Node goes, the kubelet registers it again, kubeadm marks it', () => {
      state(s, 'generation', GENERATION);
      state(s, 'volume-formatted');
      state(s, 'volume-data');
      withNodeObject(OLD);
      const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ etcdVolumeId: VOLUME }), etcdRestore: RESTORE }));
      expect(result.status).toBe(0);
      expect(result.output).toContain(`the Node ip-10-0-0-4 still names the instance this one replaces (${OLD}): registering it again as ${NEW}`);
      const lines = s.callLines();
      const deleted = lines.findIndex((l) => l.startsWith('kubectl') && l.includes('delete node ip-10-0-0-4'));
      const restarted = lines.indexOf('systemctl restart kubelet');
      const marked = lines.findIndex((l) => l.includes('mark-control-plane'));
      expect(lines.findIndex((l) => l.startsWith('kubeadm init --config'))).toBeLessThan(deleted);
      expect([deleted < restarted, restarted < marked]).toEqual([true, true]);
      expect(mark(s.callLines('kubeadm'))).toEqual([expect.stringMatching(/^kubeadm init phase mark-control-plane --config \S+$/)]);
      // A configuration of its own: kubeadm's default registration (host name, control-plane taint).
      expect(readState(s, 'phase-mark-control-plane-config')).toBe(
        `apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: "${SELF}"\n  bindPort: 6443\nnodeRegistration:\n  criSocket: "unix:///var/run/containerd/containerd.sock"\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: "v1.36.4"\n`,
      );
      expect(readState(s, 'node')).toBe(NEW);
      // The pods bound to the old Node go, after the mark, so that their controllers make them afresh.
      const podsDeleted = lines.findIndex((l) => l.startsWith('kubectl') && l.includes('delete pods --all-namespaces --field-selector spec.nodeName=ip-10-0-0-4'));
      expect(podsDeleted).toBeGreaterThan(marked);
      expect(s.exists('/var/lib/kubeadm-bootstrap/node-reregistering')).toBe(false);
      expect(result.output).toContain(`the Node ip-10-0-0-4 is registered again with provider ID ${NEW}`);
    });

    test('restored from a snapshot: the same', () => {
      state(s, 'generation', GENERATION);
      s.standIn('kubeadm-etcd-restore', 'mkdir -p "$ROOT/var/lib/etcd/member"; exit 0');
      withNodeObject(OLD);
      const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery(), etcdRestore: RESTORE }));
      expect(result.status).toBe(0);
      expect(readState(s, 'node')).toBe(NEW);
      expect(mark(s.callLines('kubeadm'))).toHaveLength(1);
    });

    test('a control-plane node that joins after a replacement: the same, without its join configuration (whose discovery needs a token)', () => {
      withNodeObject(OLD);
      const result = run(s, bootstrapProps(BootstrapAction.JOIN_CONTROL_PLANE, { recovery: recovery({ selfAddress: PEERS[1], peerAddresses: [SELF, PEERS[0]] }) }));
      expect(result.status).toBe(0);
      expect(mark(s.callLines('kubeadm'))).toEqual([expect.stringMatching(/^kubeadm init phase mark-control-plane --config \S+$/)]);
      expect(readState(s, 'phase-mark-control-plane-config')).toContain(`advertiseAddress: "${PEERS[1]}"`);
      expect(readState(s, 'node')).toBe(NEW);
    });

    test('a Node that names this instance already, and a new cluster, are left alone', () => {
      withNodeObject(NEW);
      const joined = run(s, bootstrapProps(BootstrapAction.JOIN_CONTROL_PLANE, { recovery: recovery({ selfAddress: PEERS[1], peerAddresses: [SELF, PEERS[0]] }) }));
      expect(joined.status).toBe(0);
      expect(s.callLines('kubectl').filter((l) => l.includes('delete'))).toEqual([]);
      s.cleanup();
      s = controlPlaneNode();
      withNodeObject(OLD);
      const genesis = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery() }));
      expect(genesis.status).toBe(0);
      // Genesis made the Node itself: not even read.
      expect(s.callLines('kubectl').filter((l) => l.includes('providerID') || l.includes('delete'))).toEqual([]);
    });

    test('a kubelet that does not register again fails the phase, saying where to look; the next run tries again', () => {
      state(s, 'generation', GENERATION);
      state(s, 'volume-formatted');
      state(s, 'volume-data');
      state(s, 'kubelet-stuck');
      withNodeObject(OLD);
      const result = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ etcdVolumeId: VOLUME }), etcdRestore: RESTORE }));
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('ERROR: the kubelet did not register the Node ip-10-0-0-4 again within 300 s; check its log (journalctl -u kubelet)');
      expect(mark(s.callLines('kubeadm'))).toEqual([]);
      expect(s.exists('/var/lib/kubeadm-bootstrap/complete')).toBe(false);
      // The kubelet registers later; the next run finds the Node right, and still marks it.
      require('node:fs').rmSync(`${s.state}/kubelet-stuck`);
      state(s, 'node', NEW);
      const rerun = run(s, bootstrapProps(BootstrapAction.INIT, { recovery: recovery({ etcdVolumeId: VOLUME }), etcdRestore: RESTORE }));
      expect(rerun.status).toBe(0);
      expect(mark(s.callLines('kubeadm'))).toHaveLength(1);
      expect(s.callLines('kubectl').filter((l) => l.includes('delete node'))).toHaveLength(1);
      expect(s.callLines('kubectl').filter((l) => l.includes('delete pods'))).toHaveLength(1);
      expect(rerun.output).toContain(`the Node ip-10-0-0-4 is registered again with provider ID ${NEW}`);
    });
  });

  test('is shellcheck-clean with every recovery setting', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    expect(shellcheck(RECOVERY_LIBRARY)).toBe('');
    const full = recovery({ etcdVolumeId: VOLUME, peerAddresses: PEERS, peerGroups: ['a', 'b'] });
    expect(shellcheck(bootstrapProgram(bootstrapProps(BootstrapAction.INIT, { recovery: full, etcdRestore: RESTORE })))).toBe('');
    expect(shellcheck(bootstrapProgram(bootstrapProps(BootstrapAction.JOIN_CONTROL_PLANE, { recovery: full })))).toBe('');
  });
});
