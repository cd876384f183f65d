/**
 * Node programs: bash scripts rendered from typed settings, the same way for every program that runs
 * on a node (first boot, join-token rotation, and the day-2 programs the SSM channel delivers).
 *
 * A program is a header of `readonly NAME='value'` settings, a shared prelude (logging with
 * timestamps, bounded retries, instance metadata) and a body of plain bash that never changes
 * between nodes. Settings are validated literals, so the body needs no escaping, and tests can
 * render the same body with paths pointing into a scratch folder.
 */

/** One setting of a program: a bash variable assigned a literal before the body runs. */
export type ProgramSetting = readonly [name: string, value: string | number];

export interface NodeProgramProps {
  /** Name the program logs under, for example `kubeadm-bootstrap`. */
  readonly name: string;
  /** One line on what the program does, kept as a comment at its top. */
  readonly description: string;
  /** The program's settings, in order. */
  readonly settings: readonly ProgramSetting[];
  /** Plain bash. Comment lines are dropped from what reaches the node. */
  readonly body: string;
}

const SETTING_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Single-quotes a value for bash; settings are validated literals, so a quote is a bug. */
export function shellLiteral(value: string | number): string {
  const text = String(value);
  if (text.includes("'") || text.includes('\n')) {
    throw new Error(`cannot place ${JSON.stringify(text)} in a node program`);
  }
  return `'${text}'`;
}

// Shared by every program. Log lines go to stderr, so that functions whose output is captured
// (a parameter's value, say) can log; systemd copies both streams to the journal and the console,
// so \`aws ec2 get-console-output\` shows where a node spent its time. The timestamp is bash's
// own (printf's %(...)T, in UTC for this one command): no process is started per log line.
const PRELUDE = `
log() { TZ=UTC0 printf '%(%FT%TZ)T %s: %s\\n' -1 "$PROGRAM" "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }
trap 'log "failed at line $LINENO with status $?"' ERR

# retry ATTEMPTS DELAY_SECONDS COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times,
# logging each failed attempt by the command's name (its arguments may hold a secret's name or more).
retry() {
  local attempts=$1 delay=$2 i
  shift 2
  for ((i = 1; i <= attempts; i++)); do
    "$@" && return 0
    log "$1 failed (attempt $i of $attempts)"
    [ "$i" -lt "$attempts" ] && sleep "$delay"
  done
  return 1
}

# imds PATH: reads instance metadata with an IMDSv2 session token.
imds() {
  local token
  token=$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS_URL/latest/api/token") || return 1
  curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/$1"
}
`;

/**
 * How `apt_get` retries: each attempt waits for apt's lock (unattended-upgrades often holds it
 * right after boot) up to the lock timeout, and a failed attempt is tried again after the delay.
 * The bootstrap's budget (`boot-budget.ts`) adds these up.
 */
export const APT_RETRIES = { attempts: 3, lockTimeoutSeconds: 120, delaySeconds: 10 } as const;

/**
 * What dpkg does when a package brings a configuration file (a conffile) to a path where a file
 * already sits that dpkg did not install as this package's: without an option it asks, and with no
 * terminal (a boot, an SSM run) it fails with "end of file on stdin at conffile prompt" and leaves
 * the package unpacked but not configured. That happens when Docker's containerd.io replaces
 * Ubuntu's containerd: it ships /etc/containerd/config.toml as a conffile, where our configuration
 * already is. `--force-confdef` takes dpkg's default answer where it has one, and `--force-confold`
 * keeps the file on disk where it has none (dpkg(1), --force-things). Keeping ours, not taking the
 * package's, is the safer of the two: every program that installs a runtime writes its
 * configuration whole right after, and if it stops in between, the node still has a configuration
 * with the CRI plugin on, where containerd.io's own file turns it off (`disabled_plugins = ["cri"]`).
 * test/dpkg-conffile.test.ts shows both answers with the real dpkg.
 */
export const DPKG_CONFFILE_OPTIONS: readonly string[] = ['--force-confdef', '--force-confold'];

/**
 * Bash functions some programs share, placed into a program's body where it needs them.
 * `apt_get` retries apt (see `APT_RETRIES`), never asks (debconf's non-interactive front end, the
 * conffile policy above passed through apt's `Dpkg::Options`, and needrestart suspended: services are
 * restarted by the programs, in their order) and says what to check when it gives up. `node_name`
 * is the Node's name as kubeadm registers it.
 */
export const SHARED_FUNCTIONS = {
  aptGet: `apt_get() {
  local i
  for ((i = 1; i <= ${APT_RETRIES.attempts}; i++)); do
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get -qy -o DPkg::Lock::Timeout=${APT_RETRIES.lockTimeoutSeconds} ${DPKG_CONFFILE_OPTIONS.map((o) => `-o Dpkg::Options::=${o}`).join(' ')} "$@" && return 0
    log "apt-get $1 failed ($i of ${APT_RETRIES.attempts})"
    [ "$i" -lt ${APT_RETRIES.attempts} ] && sleep ${APT_RETRIES.delaySeconds}
  done
  log "ERROR: apt-get $1 failed ${APT_RETRIES.attempts} times; check the node's route to the package repositories (its NAT gateway or public address) and /var/log/apt/term.log"
  return 1
}`,
  nodeName: "node_name() { hostname | tr '[:upper:]' '[:lower:]'; }",
} as const;

/** Settings every program gets, before its own. */
export const COMMON_SETTINGS: { readonly imdsUrl: string } = {
  /** Instance metadata service; tests point it elsewhere. */
  imdsUrl: 'http://169.254.169.254',
};

/**
 * Renders a program: shebang, strict mode, settings, the prelude and the body. Comment lines of the
 * prelude and body are dropped and indentation becomes tabs: user-data is limited in size, and the
 * comments are read here, in the source.
 */
export function renderNodeProgram(props: NodeProgramProps, common: Partial<typeof COMMON_SETTINGS> = {}): string {
  const settings: ProgramSetting[] = [['PROGRAM', props.name], ['IMDS_URL', common.imdsUrl ?? COMMON_SETTINGS.imdsUrl], ...props.settings];
  const seen = new Set<string>();
  for (const [name] of settings) {
    if (!SETTING_NAME.test(name) || seen.has(name)) {
      throw new Error(`node program ${props.name}: setting ${name} is not a unique upper-case bash name`);
    }
    seen.add(name);
  }
  const header = [
    '#!/usr/bin/env bash',
    `# ${props.description} (cdktf-kubeadm-cluster)`,
    'set -euo pipefail',
    'set -o errtrace',
    ...settings.map(([name, value]) => `readonly ${name}=${shellLiteral(value)}`),
  ];
  const code = `${PRELUDE}\n${props.body}`
    .split('\n')
    // Comments go, except shellcheck's directives, which the tests' shellcheck reads.
    .filter((line) => (!/^\s*#/.test(line) || /^\s*# shellcheck /.test(line)) && line.trim() !== '')
    .map((line) => line.replace(/^((?: {2})+)/, (indent) => '\t'.repeat(indent.length / 2)));
  return `${header.join('\n')}\n${code.join('\n')}\n`;
}
