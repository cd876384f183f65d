import { readFileSync, writeFileSync } from 'node:fs';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { BootstrapAction, bootstrapProgram, BOOTSTRAP_SCRIPT_PATH } from '../lib/bootstrap/bootstrap-program';
import { BOOTSTRAP_VERSION_SETTING, upgradeProgram, UpgradeMode } from '../lib/operations/upgrade-program';
import { APT_GET, bootstrapProps } from './support/bootstrap-node';
import { NodeSandbox } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';

// The control-plane upgrade run for real in a scratch folder, against stand-in kubeadm, kubectl,
// kubelet, aws, apt-get, apt-mark, systemctl, dpkg and curl that record every call.

const PARAMETER = '/kubeadm/demo/kubernetes-version';

function program(s: NodeSandbox, target = '1.36.4'): string {
  return upgradeProgram({ target: KubernetesVersion.of(target), region: 'eu-west-1', versionParameter: PARAMETER, readyTimeoutMinutes: 0.5 }, { root: s.root });
}

/**
 * A bootstrapped control-plane node with its kubelet at `version` (none when null), with Ubuntu's
 * containerd unless `containerdIo`; `bootstrapped: false` leaves out the bootstrap's `complete`
 * marker, and `booting` puts a bootstrap program that installs that version in place.
 */
function node(version: string | null, options: { bootstrapped?: boolean; containerdIo?: boolean; booting?: string } = {}): NodeSandbox {
  const s = new NodeSandbox();
  if (options.bootstrapped ?? true) {
    s.writeFile('/var/lib/kubeadm-bootstrap/complete', '');
  }
  if (options.booting) {
    s.writeFile(BOOTSTRAP_SCRIPT_PATH, bootstrapProgram(bootstrapProps(BootstrapAction.INIT, { kubernetesVersion: KubernetesVersion.of(options.booting) })), 0o755);
  }
  s.writeFile('/etc/os-release', 'NAME="Ubuntu"\nVERSION_CODENAME=noble\n');
  s.writeFile('/etc/apt/sources.list.d/kubernetes.list', 'deb [signed-by=/etc/apt/keyrings/kubernetes.asc] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n');
  s.writeFile('/etc/kubernetes/admin.conf', 'admin\n');
  if (version !== null) {
    writeFileSync(`${s.state}/kubelet-version`, `${version}\n`);
  }
  if (options.containerdIo) {
    writeFileSync(`${s.state}/containerd-io`, '');
  }
  for (const tool of ['apt-mark', 'systemctl', 'kubeadm']) {
    s.standIn(tool, '[ -f "$STATE/fail-$(basename "$0")" ] && exit 1; exit 0');
  }
  s.standIn('hostname', 'echo IP-10-0-128-10');
  // No kubelet-version: the package is not installed yet (the shell's "command not found").
  s.standIn('kubelet', '[ -f "$STATE/kubelet-version" ] || exit 127; echo "Kubernetes v$(cat "$STATE/kubelet-version")"');
  // apt-get installing kubelet=V-* makes the kubelet report V; containerd.io arrives with its install.
  s.standIn(
    'apt-get',
    `
[ -f "$STATE/fail-apt-get" ] && exit 100
echo "DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-} NEEDRESTART_SUSPEND=\${NEEDRESTART_SUSPEND:-}" >> "$STATE/apt-get-env"
for a in "$@"; do
  case "$a" in
    kubelet=*) v=\${a#kubelet=}; echo "\${v%%-*}" > "$STATE/kubelet-version" ;;
    containerd.io=*) touch "$STATE/containerd-io" ;;
  esac
done
exit 0`,
  );
  s.standIn('dpkg', 'case "$1" in --print-architecture) echo amd64 ;; -s) [ "$2" = containerd.io ] && [ -f "$STATE/containerd-io" ] ;; esac');
  s.standIn('curl', 'while [ $# -gt 0 ]; do [ "$1" = -o ] && echo KEY > "$2"; shift; done');
  s.standIn('kubectl', `
[ -f "$STATE/fail-kubectl-drain" ] && [[ " $* " == *" drain "* ]] && { echo 'error: cannot evict pod' >&2; exit 1; }
case "$*" in *' get node '*) printf True ;; esac
exit 0`);
  s.standIn('aws', 'exit 0');
  return s;
}

function run(s: NodeSandbox, mode: string, target?: string) {
  return s.run(program(s, target), { args: [mode], timeoutMs: 30_000 });
}

/** Calls that change the node, in order (reads such as kubelet --version and dpkg -s left out). */
function actions(s: NodeSandbox): string[] {
  return s
    .callLines()
    .filter((l) => !/^(sleep|kubelet|hostname|dpkg|curl)( |$)/.test(l))
    .map((l) => l.replace(s.root, '<root>').replace(/--kubeconfig \S+ --request-timeout=30s /, ''));
}

describe('control-plane upgrade program', () => {
  const sandboxes: NodeSandbox[] = [];
  const make = (...args: Parameters<typeof node>) => {
    const s = node(...args);
    sandboxes.push(s);
    return s;
  };
  afterAll(() => sandboxes.forEach((s) => s.cleanup()));

  test('is shellcheck-clean', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    const s = make('1.35.2');
    expect(shellcheck(program(s))).toBe('');
    expect(shellcheck(program(s, '1.35.6'))).toBe('');
  });

  test('first node, 1.35 to 1.36: repository, kubeadm, upgrade apply, drain, containerd 2, kubelet, uncordon, Ready, recorded version', () => {
    const s = make('1.35.2');
    const result = run(s, UpgradeMode.APPLY);
    expect(result.output).toContain('node ip-10-0-128-10 is at 1.36.4');
    expect(result.status).toBe(0);
    expect(s.readFile('/etc/apt/sources.list.d/kubernetes.list')).toBe('deb [signed-by=/etc/apt/keyrings/kubernetes.asc] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n');
    expect(s.readFile('/etc/apt/sources.list.d/docker.list')).toBe('deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n');
    expect(s.readFile('/etc/containerd/config.toml')).toContain('version = 3');
    // apt never asks: debconf non-interactive, needrestart suspended, dpkg's conffile policy on the
    // command line (shown with the real dpkg in dpkg-conffile.test.ts).
    expect(new Set(readFileSync(`${s.state}/apt-get-env`, 'utf8').trim().split('\n'))).toEqual(new Set(['DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1']));
    expect(actions(s)).toEqual([
      `${APT_GET} update`,
      'apt-mark unhold kubeadm',
      `${APT_GET} install kubeadm=1.36.4-*`,
      'apt-mark hold kubeadm',
      'kubeadm upgrade apply -y v1.36.4',
      'kubectl drain ip-10-0-128-10 --ignore-daemonsets --delete-emptydir-data --timeout=600s',
      `${APT_GET} update`,
      'systemctl stop kubelet',
      'apt-mark unhold containerd',
      `${APT_GET} install containerd.io=2.2.6-* containerd- runc-`,
      'apt-mark hold containerd.io',
      'systemctl restart containerd',
      'apt-mark unhold kubelet kubectl cri-tools',
      `${APT_GET} install kubelet=1.36.4-* kubectl=1.36.4-* cri-tools=1.36.0-*`,
      'apt-mark hold kubelet kubectl cri-tools',
      'systemctl daemon-reload',
      'systemctl restart kubelet',
      'kubectl uncordon ip-10-0-128-10',
      'kubectl get node ip-10-0-128-10 -o jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      `aws ssm put-parameter --region eu-west-1 --name ${PARAMETER} --value 1.36.4 --type String --overwrite`,
    ]);
  });

  test('other nodes run kubeadm upgrade node, keep a containerd.io they have, and record nothing', () => {
    const s = make('1.36.1', { containerdIo: true });
    const result = run(s, UpgradeMode.NODE);
    expect(result.status).toBe(0);
    const done = actions(s);
    expect(done).toContain('kubeadm upgrade node');
    expect(done.filter((l) => l.startsWith('kubeadm'))).toEqual(['kubeadm upgrade node']);
    expect(done.some((l) => l.includes('containerd'))).toBe(false);
    expect(done.some((l) => l.startsWith('aws'))).toBe(false);
    expect(done.indexOf('kubectl uncordon ip-10-0-128-10')).toBeGreaterThan(done.indexOf('systemctl restart kubelet'));
  });

  test('a patch upgrade within 1.35 keeps Ubuntu containerd', () => {
    const s = make('1.35.2');
    expect(run(s, UpgradeMode.APPLY, '1.35.6').status).toBe(0);
    expect(s.readFile('/etc/apt/sources.list.d/kubernetes.list')).toContain('/v1.35/deb/');
    expect(actions(s).some((l) => l.includes('containerd'))).toBe(false);
    expect(actions(s)).toContain('kubeadm upgrade apply -y v1.35.6');
  });

  test('stops at the first failure: a drain that fails leaves kubelet, containerd and the record alone', () => {
    const s = make('1.35.2');
    writeFileSync(`${s.state}/fail-kubectl-drain`, '');
    const result = run(s, UpgradeMode.APPLY);
    expect(result.status).not.toBe(0);
    const done = actions(s);
    expect(done[done.length - 1]).toMatch(/^kubectl drain /);
    expect(done.some((l) => /kubelet=|containerd|put-parameter|uncordon/.test(l))).toBe(false);
    expect(result.output).toContain('failed at line');
  });

  test('stops when kubeadm upgrade apply fails: no drain, nothing after it', () => {
    const s = make('1.35.2');
    writeFileSync(`${s.state}/fail-kubeadm`, '');
    expect(run(s, UpgradeMode.APPLY).status).not.toBe(0);
    const done = actions(s);
    expect(done[done.length - 1]).toBe('kubeadm upgrade apply -y v1.36.4');
  });

  test('a node at the version already is left alone', () => {
    const current = make('1.36.4', { containerdIo: true });
    const result = run(current, UpgradeMode.APPLY);
    expect(result.status).toBe(0);
    expect(result.output).toContain('already at 1.36.4; nothing to do');
    expect(actions(current)).toEqual([]);
  });

  test('a node still in a bootstrap that installs the target is left to it, with or without its kubelet yet', () => {
    for (const kubelet of [null, '1.36.4']) {
      const booting = make(kubelet, { bootstrapped: false, booting: '1.36.4' });
      const result = run(booting, UpgradeMode.APPLY);
      expect([kubelet, result.status]).toEqual([kubelet, 0]);
      expect(result.output).toContain('this node is still in its bootstrap, which installs 1.36.4 itself; nothing to do');
      expect(actions(booting)).toEqual([]);
    }
  });

  test('a node whose bootstrap never finished at an older version fails the run and says what to check', () => {
    const stuck = make('1.35.2', { bootstrapped: false, booting: '1.35.2' });
    const result = run(stuck, UpgradeMode.APPLY);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(
      'ERROR: this node has not finished its bootstrap (no /var/lib/kubeadm-bootstrap/complete): its kubelet is at 1.35.2 and its bootstrap installs 1.35.2, so it cannot be upgraded to 1.36.4. Check why the bootstrap stopped: /var/log/kubeadm-bootstrap.log and systemctl status kubeadm-bootstrap.service',
    );
    expect(actions(stuck)).toEqual([]);
    // Before its packages, with a bootstrap of the older version; and with no bootstrap at all.
    const early = make(null, { bootstrapped: false, booting: '1.35.2' });
    const second = run(early, UpgradeMode.NODE);
    expect(second.status).not.toBe(0);
    expect(second.output).toContain('its kubelet is at no version (not installed) and its bootstrap installs 1.35.2');
    const bare = make('1.35.2', { bootstrapped: false });
    const third = run(bare, UpgradeMode.NODE);
    expect(third.status).not.toBe(0);
    expect(third.output).toContain('its bootstrap installs an unknown version');
    expect([...actions(early), ...actions(bare)]).toEqual([]);
  });

  test('the version it reads from a booting node is the bootstrap program setting', () => {
    const program = bootstrapProgram(bootstrapProps(BootstrapAction.JOIN, { kubernetesVersion: KubernetesVersion.of('1.35.6') }));
    expect(program.split('\n')).toContain(`readonly ${BOOTSTRAP_VERSION_SETTING}='v1.35.6'`);
  });

  test('a skipped minor and a downgrade are refused before anything changes', () => {
    const old = make('1.34.3');
    const skip = run(old, UpgradeMode.APPLY);
    expect(skip.status).not.toBe(0);
    expect(skip.output).toContain('upgrades go one minor at a time, so move to 1.35 first');
    expect(actions(old)).toEqual([]);
    const newer = make('1.36.4', { containerdIo: true });
    const down = run(newer, UpgradeMode.APPLY, '1.35.6');
    expect(down.status).not.toBe(0);
    expect(down.output).toContain('newer than 1.35.6: kubeadm does not downgrade');
    expect(actions(newer)).toEqual([]);
  });

  test('refuses a missing or unknown mode', () => {
    const s = make('1.35.2');
    const result = run(s, 'upgrade');
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('usage: kubeadm-upgrade apply|node');
    expect(actions(s)).toEqual([]);
  });
});
