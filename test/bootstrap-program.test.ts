import { BootstrapAction, bootstrapProgram, BootstrapProgramProps, REFUSALS_BEFORE_UNHEALTHY } from '../lib/bootstrap/bootstrap-program';
import { bootstrapNode as node, bootstrapProps as props, runBootstrap as run, TOKEN } from './support/bootstrap-node';
import { NodeSandbox, SandboxRun } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';

// The first-boot program run for real in a scratch folder, against stand-in kubeadm, kubectl, aws,
// curl (instance metadata and the API), apt-get and systemctl that record every call.

/** Every argument any stand-in saw, joined: a token must never be among them. */
function allArguments(s: NodeSandbox): string {
  return s.calls().map((c) => c.args.join(' ')).join('\n');
}

/**
 * Three workers whose join runs last until their join timeout, which the program measures by the
 * clock. Real sleeps of a fifth of a second keep their loops from spinning meanwhile. They start
 * before the file's first test and wait side by side while the tests before theirs run.
 */
function startTimedOutWorkers(): { workers: NodeSandbox[]; runs: Promise<SandboxRun[]> } {
  const fs = require('node:fs');
  const workers = [node(), node(), node()];
  const [down, proxied] = workers;
  for (const w of workers) {
    w.standIn('sleep', '/bin/sleep 0.2');
  }
  // API down: every join fails, nothing answers over TLS.
  fs.writeFileSync(`${down.state}/token`, `${TOKEN}\n`);
  fs.writeFileSync(`${down.state}/join-fails`, '');
  // Refusal text without a reachable API (a proxy's answer, say) is not a refusal either.
  fs.writeFileSync(`${proxied.state}/token`, `${TOKEN}\n`);
  fs.writeFileSync(`${proxied.state}/join-fails`, '');
  fs.writeFileSync(`${proxied.state}/join-refused`, '');
  // The third has no token yet: no join at all.
  const timedOut = props(BootstrapAction.JOIN, { joinTimeoutMinutes: 0.05 });
  return { workers, runs: Promise.all(workers.map((w) => w.runAsync(bootstrapProgram(timedOut, { root: w.root, imdsUrl: 'http://imds.test' })))) };
}

let timedOutWorkers: ReturnType<typeof startTimedOutWorkers> | undefined;
beforeAll(() => {
  timedOutWorkers = startTimedOutWorkers();
});
afterAll(async () => {
  // Waited for even when a test failed first, so that no program runs on in a removed folder.
  await timedOutWorkers?.runs;
  timedOutWorkers?.workers.forEach((w) => w.cleanup());
});

describe('bootstrap program', () => {
  let s: NodeSandbox;
  beforeEach(() => {
    s = node();
  });
  afterEach(() => s.cleanup());

  test('is shellcheck-clean for every node kind', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    for (const action of Object.values(BootstrapAction)) {
      expect(shellcheck(bootstrapProgram(props(action)))).toBe('');
    }
  });

  test('first control-plane node: phases in order, packages in one pinned transaction, secrets read before init, token published after', () => {
    const result = run(s, props(BootstrapAction.INIT));
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    const lines = s.callLines();
    const installs = s.callLines('apt-get').filter((l) => / install /.test(l));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('containerd.io=2.2.6-* kubelet=1.36.4-* kubeadm=1.36.4-* kubectl=1.36.4-* cri-tools=1.36.0-* python3-boto3=1.34.*');
    expect(s.callLines('apt-mark')).toEqual(['apt-mark hold containerd.io kubelet kubeadm kubectl cri-tools']);
    // containerd gets the configuration user-data carried, whole.
    expect(s.readFile('/etc/containerd/config.toml')).toBe('version = 3\n');
    const firstSecret = lines.findIndex((l) => l.startsWith('aws ssm get-parameter'));
    const init = lines.findIndex((l) => l.startsWith('kubeadm init'));
    const publish = lines.indexOf('kubeadm-join-token rotate');
    expect(firstSecret).toBeGreaterThan(lines.findIndex((l) => / install /.test(l)));
    expect(init).toBeGreaterThan(firstSecret);
    expect(publish).toBeGreaterThan(init);
    // Keys are decrypted and root-only; certificates are public; the encryption configuration too is read.
    expect(s.callLines('aws').filter((l) => l.includes('/pki/ca.key'))[0]).toContain('--with-decryption');
    expect(s.callLines('aws').filter((l) => l.includes('/pki/ca.crt'))[0]).not.toContain('--with-decryption');
    expect(s.exists('/etc/kubernetes/pki/etcd/ca.key')).toBe(true);
    expect(s.exists('/etc/kubernetes/encryption/config.yaml')).toBe(true);
    for (const phase of ['host', 'packages', 'containerd', 'provider-id', 'kubeadm', 'publish-token']) {
      expect(result.output).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z kubeadm-bootstrap: phase ${phase}: done`));
    }
    expect(s.readFile('/etc/fstab')).toContain('#/swap.img');
  });

  test('a requested etcd restore runs before kubeadm init, which then keeps the restored data; the request is cleared after', () => {
    s.standIn('kubeadm-etcd-restore', 'exit 0');
    s.standIn('aws', `
case "$*" in
  *get-parameter*etcd-restore*) cat "$STATE/restore-request" 2> /dev/null || echo latest ;;
  *put-parameter*etcd-restore*) echo none > "$STATE/restore-request" ;;
  *get-parameter*) echo "-----BEGIN SECRET-----"; echo x; echo "-----END SECRET-----" ;;
esac
exit 0`);
    const withRestore = props(BootstrapAction.INIT, { etcdRestore: { parameterName: '/kubeadm/demo/etcd-restore', program: { path: 'kubeadm-etcd-restore', document: 'demo-etcd-backup' } } });
    const result = run(s, withRestore);
    expect(result.status).toBe(0);
    const lines = s.callLines();
    const restore = lines.indexOf('kubeadm-etcd-restore restore latest --replace');
    const init = lines.findIndex((l) => l.startsWith('kubeadm init'));
    expect(restore).toBeGreaterThan(-1);
    expect(init).toBeGreaterThan(restore);
    expect(lines[init]).toContain('--ignore-preflight-errors=DirAvailable--var-lib-etcd');
    expect(lines.findIndex((l) => l.includes('put-parameter') && l.includes('--name /kubeadm/demo/etcd-restore') && l.includes('--value none'))).toBeGreaterThan(init);
    expect(result.output).toContain('etcd restore requested in /kubeadm/demo/etcd-restore: latest');
  });

  test('without a restore request, init runs on an empty etcd and nothing is written back', () => {
    s.standIn('kubeadm-etcd-restore', 'exit 0');
    s.standIn('aws', `
case "$*" in
  *get-parameter*etcd-restore*) echo none ;;
  *get-parameter*) echo "-----BEGIN SECRET-----"; echo x; echo "-----END SECRET-----" ;;
esac
exit 0`);
    const result = run(s, props(BootstrapAction.INIT, { etcdRestore: { parameterName: '/kubeadm/demo/etcd-restore', program: { path: 'kubeadm-etcd-restore', document: 'demo-etcd-backup' } } }));
    expect(result.status).toBe(0);
    expect(s.calls('kubeadm-etcd-restore')).toEqual([]);
    expect(s.callLines('kubeadm').find((l) => l.startsWith('kubeadm init'))).not.toContain('ignore-preflight-errors');
    expect(s.callLines('aws').filter((l) => l.includes('put-parameter'))).toEqual([]);
  });

  test('a failed restore stops the bootstrap before init, so an empty cluster never replaces the lost one', () => {
    s.standIn('kubeadm-etcd-restore', 'echo "no snapshot under s3://b/demo/" >&2; exit 1');
    s.standIn('aws', `
case "$*" in
  *get-parameter*etcd-restore*) echo latest ;;
  *get-parameter*) echo "-----BEGIN SECRET-----"; echo x; echo "-----END SECRET-----" ;;
esac
exit 0`);
    const result = run(s, props(BootstrapAction.INIT, { etcdRestore: { parameterName: '/kubeadm/demo/etcd-restore', program: { path: 'kubeadm-etcd-restore', document: 'demo-etcd-backup' } } }));
    expect(result.status).not.toBe(0);
    expect(s.callLines('kubeadm').filter((l) => l.startsWith('kubeadm init'))).toEqual([]);
  });

  test('a run after a half-finished init completes the later phases instead of starting over', () => {
    // The last run got through packages and kubeadm init, then the node lost the publish step.
    for (const phase of ['host', 'packages', 'containerd']) {
      s.writeFile(`/var/lib/kubeadm-bootstrap/${phase}.done`, '');
    }
    s.writeFile('/etc/kubernetes/admin.conf', 'admin');
    s.standIn('kubectl', 'exit 0');
    const result = run(s, props(BootstrapAction.INIT));
    expect(result.status).toBe(0);
    expect(s.callLines('apt-get')).toEqual([]);
    expect(s.callLines('kubeadm')).toEqual([
      'kubeadm init --config ' + s.path('/etc/kubeadm-bootstrap/kubeadm.yaml') + ' --skip-token-print --skip-phases=preflight,certs,kubeconfig,etcd,control-plane,kubelet-start',
    ]);
    expect(s.callLines('kubeadm-join-token')).toEqual(['kubeadm-join-token rotate']);
    expect(result.output).toContain('phase packages: already done');
    // A finished bootstrap does nothing the next time.
    s.clearCalls();
    expect(run(s, props(BootstrapAction.INIT)).output).toContain('bootstrap complete; nothing to do');
    expect(s.calls().filter((c) => c.command !== 'sleep')).toEqual([]);
  });

  test('a failed init that left no API is reset and tried again, with the PKI read again', () => {
    require('node:fs').writeFileSync(`${s.state}/init-fails-once`, '');
    const result = run(s, props(BootstrapAction.INIT));
    expect(result.status).toBe(0);
    expect(s.callLines('kubeadm').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['kubeadm init', 'kubeadm reset', 'kubeadm init']);
  });

  test('reading a secret retries a bounded number of times, then fails saying what to check', () => {
    require('node:fs').writeFileSync(`${s.state}/aws-fails`, '');
    const result = run(s, props(BootstrapAction.INIT));
    expect(result.status).not.toBe(0);
    expect(s.callLines('aws')).toHaveLength(6);
    expect(result.output).toContain('reading /kubeadm/demo/pki/ca.crt failed (attempt 6 of 6): An error occurred (AccessDeniedException)');
    expect(result.output).toContain("ERROR: could not read /kubeadm/demo/pki/ca.crt from Parameter Store after 6 attempts; check that the parameter exists and that this node's role may read it");
    expect(s.callLines('kubeadm')).toEqual([]);
    expect(s.exists('/var/lib/kubeadm-bootstrap/kubeadm.done')).toBe(false);
  });

  test('a worker waits for the first token, joins with it, and keeps it out of every command line and log', () => {
    require('node:fs').writeFileSync(`${s.state}/token`, `none\nnone\n${TOKEN}\n`);
    const result = run(s, props(BootstrapAction.JOIN));
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    expect(result.output).toContain('no join token published yet');
    expect(s.callLines('kubeadm').filter((l) => l.startsWith('kubeadm join'))).toHaveLength(1);
    expect(require('node:fs').readFileSync(`${s.state}/join-config-seen`, 'utf8')).toBe(`discovery:\n  tlsBootstrapToken: '${TOKEN}'\n`);
    // The file with the token is gone once joined; only the token id is ever logged.
    expect(s.exists('/etc/kubeadm-bootstrap/kubeadm.yaml')).toBe(false);
    expect(allArguments(s)).not.toContain(TOKEN.split('.')[1]);
    expect(result.output).not.toContain(TOKEN.split('.')[1]);
    expect(result.output).toContain('with token k8sabc');
    expect(s.callLines('kubeadm-join-token')).toEqual([]);
  });

  test('a worker whose join a reachable API server refuses, with fresh tokens each time, hands its instance back', () => {
    require('node:fs').writeFileSync(`${s.state}/token`, `${TOKEN}\n`);
    require('node:fs').writeFileSync(`${s.state}/join-refused`, '');
    require('node:fs').writeFileSync(`${s.state}/api-reachable`, '');
    const result = run(s, props(BootstrapAction.JOIN));
    expect(result.status).not.toBe(0);
    expect(s.callLines('kubeadm').filter((l) => l.startsWith('kubeadm join'))).toHaveLength(REFUSALS_BEFORE_UNHEALTHY);
    expect(s.callLines('aws').filter((l) => l.includes('set-instance-health'))).toEqual([
      'aws autoscaling set-instance-health --region eu-west-1 --instance-id i-0123456789abcdef0 --health-status Unhealthy --no-should-respect-grace-period',
    ]);
    expect(result.output).toContain(`refused ${REFUSALS_BEFORE_UNHEALTHY} joins with fresh tokens; telling demo-workers to replace instance i-0123456789abcdef0`);
    // A fresh token was read before every attempt.
    expect(s.callLines('aws').filter((l) => l.includes('join-token')).length).toBeGreaterThanOrEqual(REFUSALS_BEFORE_UNHEALTHY);
  });

  test('every node puts its provider ID from instance metadata in its kubeadm configuration before kubeadm runs', () => {
    s.writeFile('/etc/kubeadm-bootstrap/kubeadm.yaml', "kind: 'InitConfiguration'\nkubeletExtraArgs:\n  - name: 'provider-id'\n    value: '@provider-id@'\n");
    expect(run(s, props(BootstrapAction.INIT)).status).toBe(0);
    expect(s.readFile('/etc/kubeadm-bootstrap/kubeadm.yaml')).toBe("kind: 'InitConfiguration'\nkubeletExtraArgs:\n  - name: 'provider-id'\n    value: 'aws:///eu-west-1b/i-0123456789abcdef0'\n");
    const lines = s.callLines();
    expect(lines.findIndex((l) => l.includes('placement/availability-zone'))).toBeLessThan(lines.findIndex((l) => l.startsWith('kubeadm init')));

    const worker = node();
    try {
      worker.writeFile('/etc/kubeadm-bootstrap/kubeadm.yaml.template', "discovery:\n  tlsBootstrapToken: '@join-token@'\nprovider: '@provider-id@'\n");
      require('node:fs').writeFileSync(`${worker.state}/token`, `${TOKEN}\n`);
      expect(run(worker, props(BootstrapAction.JOIN)).status).toBe(0);
      expect(require('node:fs').readFileSync(`${worker.state}/join-config-seen`, 'utf8')).toBe(`discovery:\n  tlsBootstrapToken: '${TOKEN}'\nprovider: 'aws:///eu-west-1b/i-0123456789abcdef0'\n`);
    } finally {
      worker.cleanup();
    }
  });

  test('with a published issuer, the first control-plane node publishes the API server keys once init is done', () => {
    expect(run(s, props(BootstrapAction.INIT, { issuerKeysProgram: { path: 'kubeadm-issuer-keys', document: 'demo-issuer-keys' } })).status).toBe(0);
    const lines = s.callLines();
    expect(s.callLines('kubeadm-issuer-keys')).toEqual(['kubeadm-issuer-keys']);
    expect(lines.indexOf('kubeadm-issuer-keys')).toBeGreaterThan(lines.findIndex((l) => l.startsWith('kubeadm init')));
    // Without one, and on joining nodes, nothing is published by the bootstrap.
    const other = node();
    try {
      expect(run(other, props(BootstrapAction.INIT)).status).toBe(0);
      expect(other.callLines('kubeadm-issuer-keys')).toEqual([]);
    } finally {
      other.cleanup();
    }
  });

  test('instance metadata that does not look like a zone stops the bootstrap before kubeadm', () => {
    require('node:fs').writeFileSync(`${s.state}/imds-zone`, "eu-west-1b'; rm -rf /\n");
    const result = run(s, props(BootstrapAction.INIT));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('instance metadata gave an unexpected zone');
    expect(s.callLines('kubeadm')).toEqual([]);
  });
});

describe('bootstrap program: a worker and its launch lifecycle hook', () => {
  let s: NodeSandbox;
  const fs = require('node:fs');
  const hooked = (extra: Partial<BootstrapProgramProps> = {}) => props(BootstrapAction.JOIN, { launchLifecycleHook: 'node-ready', ...extra });
  const COMPLETE = 'aws autoscaling complete-lifecycle-action --region eu-west-1 --lifecycle-hook-name node-ready --auto-scaling-group-name demo-workers --lifecycle-action-result CONTINUE --instance-id i-0123456789abcdef0';
  beforeEach(() => {
    s = node();
    fs.writeFileSync(`${s.state}/token`, `${TOKEN}\n`);
  });
  afterEach(() => s.cleanup());

  test('joins, waits until its own Node is Ready with the kubelet credentials, then completes the hook', () => {
    fs.writeFileSync(`${s.state}/ready`, 'Unknown\nFalse\nFalse\nTrue\n');
    const result = run(s, hooked());
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    const lines = s.callLines();
    const join = lines.findIndex((l) => l.startsWith('kubeadm join'));
    const checks = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('kubectl'));
    expect(checks.map(([l]) => l)).toEqual(
      Array(4).fill(`kubectl --kubeconfig ${s.path('/etc/kubernetes/kubelet.conf')} --request-timeout=10s get node ip-10-0-0-4 -o jsonpath={.status.conditions[?(@.type=="Ready")].status}`),
    );
    const complete = lines.indexOf(COMPLETE);
    expect(join).toBeGreaterThanOrEqual(0);
    expect(checks[0][1]).toBeGreaterThan(join);
    expect(complete).toBeGreaterThan(checks[3][1]);
    expect(s.callLines('aws').filter((l) => l.includes('complete-lifecycle-action'))).toEqual([COMPLETE]);
    expect(result.output).toMatch(/phase node-ready: done[\s\S]*phase launch-hook: done/);
    expect(result.output).toContain('told demo-workers that instance i-0123456789abcdef0 is a Ready node');
  });

  test('a Node that does not become Ready fails the run after bounded checks, without completing; the next run waits again', () => {
    fs.writeFileSync(`${s.state}/ready`, 'False\n');
    const first = run(s, hooked({ nodeReadyTimeoutMinutes: 0.5 }));
    expect(first.status).not.toBe(0);
    expect(s.callLines('kubectl')).toHaveLength(3);
    expect(first.output).toContain('ERROR: node ip-10-0-0-4 was not Ready after 3 checks 10 s apart');
    expect(s.callLines('aws').filter((l) => l.includes('complete-lifecycle-action'))).toEqual([]);
    expect(s.exists('/var/lib/kubeadm-bootstrap/complete')).toBe(false);
    // systemd's next run: joined already, so it only waits, and completes once Ready.
    fs.writeFileSync(`${s.state}/ready`, 'True\n');
    s.clearCalls();
    const second = run(s, hooked({ nodeReadyTimeoutMinutes: 0.5 }));
    expect(second.status).toBe(0);
    expect(s.callLines('kubeadm')).toEqual([]);
    expect(s.callLines('aws').filter((l) => l.includes('complete-lifecycle-action'))).toEqual([COMPLETE]);
  });

  test('an instance with no pending launch action (the group had no hook when it launched) goes on', () => {
    fs.writeFileSync(`${s.state}/ready`, 'True\n');
    fs.writeFileSync(`${s.state}/complete-error`, 'An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID i-0123456789abcdef0\n');
    const result = run(s, hooked());
    expect(result.status).toBe(0);
    expect(s.callLines('aws').filter((l) => l.includes('complete-lifecycle-action'))).toHaveLength(1);
    expect(result.output).toContain('no launch lifecycle action is pending for instance i-0123456789abcdef0 in demo-workers; nothing to complete');
  });

  test('a refused completion is retried a bounded number of times, then fails saying what to check', () => {
    fs.writeFileSync(`${s.state}/ready`, 'True\n');
    fs.writeFileSync(`${s.state}/complete-error`, 'An error occurred (AccessDenied) when calling the CompleteLifecycleAction operation: not authorized\n');
    const result = run(s, hooked());
    expect(result.status).not.toBe(0);
    expect(s.callLines('aws').filter((l) => l.includes('complete-lifecycle-action'))).toHaveLength(5);
    expect(result.output).toContain('completing the launch lifecycle action failed (attempt 5 of 5): An error occurred (AccessDenied)');
    expect(result.output).toContain('autoscaling:CompleteLifecycleAction');
    expect(s.exists('/var/lib/kubeadm-bootstrap/node-ready.done')).toBe(true);
    expect(s.exists('/var/lib/kubeadm-bootstrap/launch-hook.done')).toBe(false);
  });

  test('without a hook, or on a control-plane node, there is nothing to wait for', () => {
    expect(run(s, props(BootstrapAction.JOIN)).status).toBe(0);
    expect(s.callLines('kubectl')).toEqual([]);
    const cp = node();
    try {
      expect(run(cp, props(BootstrapAction.INIT, { launchLifecycleHook: 'node-ready' })).status).toBe(0);
      expect(cp.callLines('aws').filter((l) => l.includes('complete-lifecycle-action'))).toEqual([]);
      expect(cp.callLines('kubectl').filter((l) => l.includes(' get node '))).toEqual([]);
    } finally {
      cp.cleanup();
    }
  });

  test('is shellcheck-clean with the hook', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    expect(shellcheck(bootstrapProgram(hooked()))).toBe('');
  });
});

// Last in the file: its workers started before the first test, and waited meanwhile.
describe('bootstrap program: workers whose join times out', () => {
  test('a worker never hands its instance back while the API is down or no token is published', async () => {
    const { workers, runs } = timedOutWorkers!;
    const [down, , waiting] = workers;
    const [downRun, , waitingRun] = await runs;
    expect(downRun.status).not.toBe(0);
    expect(down.callLines('kubeadm').filter((l) => l.startsWith('kubeadm join')).length).toBeGreaterThan(REFUSALS_BEFORE_UNHEALTHY);
    expect(downRun.output).toContain('systemd starts the next one');
    // The quorum hint is for control-plane joins only.
    expect(downRun.output).not.toContain('lost its quorum');
    expect(waitingRun.status).not.toBe(0);
    expect(waitingRun.output).toContain('no join token was published in time');
    expect(waiting.callLines('kubeadm')).toEqual([]);
    for (const w of workers) {
      expect(w.callLines('aws').filter((l) => l.includes('set-instance-health'))).toEqual([]);
    }
  });
});
