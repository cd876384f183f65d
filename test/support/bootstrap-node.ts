import { BootstrapAction, bootstrapProgram, BootstrapProgramProps } from '../../lib/bootstrap/bootstrap-program';
import { KubernetesVersion } from '../../lib/bootstrap/kubernetes-version';
import { NodeSandbox } from './node-sandbox';

// A node for the first-boot program: stand-in kubeadm, kubectl, aws, curl (instance metadata and
// the API), apt-get and systemctl that record every call, with faults injected through $STATE.

export const TOKEN = 'k8sabc.q1w2e3r4t5y6u7i8';

/**
 * How every node program calls apt-get (lib/bootstrap/node-program.ts apt_get): apt's lock wait and
 * dpkg's conffile policy, written out so that a change to either shows in the tests.
 */
export const APT_GET = 'apt-get -qy -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold';

export function bootstrapProps(action: BootstrapAction, extra: Partial<BootstrapProgramProps> = {}): BootstrapProgramProps {
  return {
    action,
    kubernetesVersion: KubernetesVersion.of('1.36.4'),
    region: 'eu-west-1',
    parameterPath: '/kubeadm/demo',
    joinTokenParameter: '/kubeadm/demo/join-token',
    apiEndpoint: '10.0.128.10:6443',
    joinTokenProgram: { path: 'kubeadm-join-token', document: 'demo-join-token-rotation' },
    autoScalingGroupName: action === BootstrapAction.JOIN ? 'demo-workers' : undefined,
    ...extra,
  };
}

/**
 * A stand-in's injected faults: \`fail_first KEY\` succeeds (so the stand-in fails) while
 * $STATE/fail-KEY holds a count above zero, and counts it down.
 */
export const FAIL_FIRST = `fail_first() {
  local f="$STATE/fail-$1" n
  [ -f "$f" ] || return 1
  n=$(cat "$f")
  [ "$n" -gt 0 ] || return 1
  echo $((n - 1)) > "$f"
}`;

/** A node with every tool the bootstrap calls, each recording its calls; behaviour is set through files in $STATE. */
export function bootstrapNode(): NodeSandbox {
  const s = new NodeSandbox();
  s.writeFile('/etc/fstab', 'LABEL=root / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n');
  s.writeFile('/etc/os-release', 'NAME="Ubuntu"\nVERSION_CODENAME=noble\n');
  s.writeFile('/etc/kubeadm-bootstrap/containerd.toml', "version = 3\n");
  s.writeFile('/etc/kubeadm-bootstrap/kubeadm.yaml', "kind: 'InitConfiguration'\n");
  s.writeFile('/etc/kubeadm-bootstrap/kubeadm.yaml.template', "discovery:\n  tlsBootstrapToken: '@join-token@'\n");
  s.writeFile('/etc/kubeadm-bootstrap/ca.crt', 'CA\n');
  s.writeFile('/etc/apt/sources.list.d/ubuntu.sources', '');
  for (const tool of ['apt-mark', 'swapoff', 'modprobe', 'sysctl', 'systemctl', 'kubeadm-join-token', 'kubeadm-issuer-keys']) {
    s.standIn(tool, 'exit 0');
  }
  // The faults are keyed by apt-get's command (update, install), after the options apt_get passes.
  s.standIn('apt-get', `${FAIL_FIRST}\nwhile [ "\${1#-}" != "$1" ]; do [ "$1" = -o ] && shift; shift; done\nfail_first "apt-$1" && { echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)" >&2; exit 100; }\nexit 0`);
  s.standIn('dpkg', 'echo amd64');
  s.standIn(
    'curl',
    `
case "$*" in
  *latest/api/token*) echo imds-session ;;
  *meta-data/instance-id*) echo i-0123456789abcdef0 ;;
  *meta-data/placement/availability-zone*) [ -f "$STATE/imds-zone" ] && cat "$STATE/imds-zone" || echo eu-west-1b ;;
  *Release.key*|*/gpg*) while [ $# -gt 0 ]; do [ "$1" = -o ] && echo KEY > "$2"; shift; done ;;
  */version*) [ -f "$STATE/api-reachable" ] || exit 7 ;;
  *) exit 22 ;;
esac`,
  );
  // Parameters: the PKI and encryption configuration are PEM-like text; the join token is read from
  // $STATE/token (one line per read, the last line repeating), absent = not published yet.
  s.standIn(
    'aws',
    `
[ -f "$STATE/aws-fails" ] && { echo 'An error occurred (AccessDeniedException) when calling the GetParameter operation: not allowed' >&2; exit 254; }
${FAIL_FIRST}
fail_first "aws-$2" && { echo "An error occurred (ThrottlingException) when calling the $2 operation: Rate exceeded" >&2; exit 254; }
case "$*" in
  *get-document*)
    # The channel's document: its commands install the program a stand-in keeps in $STATE/channel.
    name=$(printf '%s' "$*" | sed -n 's/.*--name \\([^ ]*\\).*/\\1/p')
    [ -d "$STATE/channel/$name" ] || { echo "An error occurred (InvalidDocument) when calling the GetDocument operation: The specified document does not exist." >&2; exit 254; }
    printf '{"schemaVersion":"2.2","mainSteps":[{"action":"aws:runShellScript","name":"run","inputs":{"runCommand":["set -eu","cp %s %s/","echo installed by %s >&2"]}}]}\\n' "$STATE/channel/$name/$(ls "$STATE/channel/$name")" "$(dirname "$0")" "$name" ;;
  *get-parameter*join-token*)
    n=$(cat "$STATE/token-reads" 2> /dev/null || echo 0); n=$((n + 1)); echo "$n" > "$STATE/token-reads"
    if [ -f "$STATE/token" ]; then sed -n "$n{p;q}" "$STATE/token" | grep . || tail -n 1 "$STATE/token"; else echo none; fi ;;
  *get-parameter*) echo "-----BEGIN SECRET-----"; echo "for $*" | tr ' ' '_'; echo "-----END SECRET-----" ;;
  *set-instance-health*) exit 0 ;;
  *complete-lifecycle-action*) [ -f "$STATE/complete-error" ] && { cat "$STATE/complete-error" >&2; exit 254; }; exit 0 ;;
  *) exit 0 ;;
esac`,
  );
  s.standIn(
    'kubeadm',
    `
# A single phase of init (mark-control-plane) keeps the configuration it was given.
if [ "$1 $2" = 'init phase' ]; then
  [ "$4" = --config ] && cp "$5" "$STATE/phase-$3-config"
  exit 0
fi
case "$1" in
  init)
    n=$(cat "$STATE/init-count" 2> /dev/null || echo 0); n=$((n + 1)); echo "$n" > "$STATE/init-count"
    [ -f "$STATE/init-fails-once" ] && [ "$n" = 1 ] && { echo 'timed out waiting for the control plane' >&2; exit 1; }
    mkdir -p "$ROOT/etc/kubernetes"; echo admin > "$ROOT/etc/kubernetes/admin.conf" ;;
  join)
    cp "$3" "$STATE/join-config-seen"
    if [ -f "$STATE/join-refused" ]; then echo 'error execution phase preflight: couldn'"'"'t validate the identity of the API Server: Unauthorized' >&2; exit 1; fi
    if [ -f "$STATE/join-fails" ]; then echo 'dial tcp 10.0.128.10:6443: connect: connection refused' >&2; exit 1; fi
    mkdir -p "$ROOT/etc/kubernetes"; echo kubelet > "$ROOT/etc/kubernetes/kubelet.conf" ;;
esac
exit 0`,
  );
  // kubectl answers the API checks of a control-plane node, and a worker's Ready query with the
  // next line of $STATE/ready (the last line repeating; absent = no Ready condition yet).
  s.standIn(
    'kubectl',
    `
case "$*" in
  *' get node '*)
    n=$(cat "$STATE/ready-reads" 2> /dev/null || echo 0); n=$((n + 1)); echo "$n" > "$STATE/ready-reads"
    [ -f "$STATE/ready" ] && { sed -n "$n{p;q}" "$STATE/ready" | grep . || tail -n 1 "$STATE/ready"; } | tr -d '\\n'
    exit 0 ;;
esac
[ -f "$STATE/api-serving" ]`,
  );
  s.standIn('hostname', 'echo IP-10-0-0-4');
  return s;
}

export function runBootstrap(s: NodeSandbox, p: BootstrapProgramProps) {
  return s.run(bootstrapProgram(p, { root: s.root, imdsUrl: 'http://imds.test' }), { timeoutMs: 30_000 });
}


/**
 * Moves a stand-in program out of PATH into the channel document that installs it: the stand-in
 * aws answers \`ssm get-document\` for DOCUMENT with commands that copy it back onto PATH.
 */
export function inChannelDocument(s: NodeSandbox, document: string, program: string): void {
  const fs = require('node:fs');
  fs.mkdirSync(`${s.state}/channel/${document}`, { recursive: true });
  fs.renameSync(`${s.bin}/${program}`, `${s.state}/channel/${document}/${program}`);
}

/** Injects COUNT failures into a stand-in's next calls of KEY (see FAIL_FIRST). */
export function failFirst(s: NodeSandbox, key: string, count: number): void {
  require('node:fs').writeFileSync(`${s.state}/fail-${key}`, `${count}\n`);
}
