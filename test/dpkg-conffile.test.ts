import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DPKG_CONFFILE_OPTIONS, SHARED_FUNCTIONS } from '../lib/bootstrap/node-program';
import { hasTool } from './support/validators';

// The containerd swap's conffile question, asked by the real dpkg: a package built here with
// dpkg-deb ships /etc/containerd/config.toml as a conffile, as Docker's containerd.io does, and is
// installed into a scratch root (its own dpkg database; the machine's is never touched) where the
// bootstrap's configuration already sits. dpkg runs with stdin at end of file, as under the SSM
// agent or a systemd unit: no terminal to answer on.
//
// apt hands each entry of `Dpkg::Options` to dpkg in front of its own arguments (apt.conf(5),
// "DPkg::Options") and installs in two dpkg runs, --unpack and then --configure, which is where the
// conffile question is asked. Those are the runs made here, with and without the options apt_get
// now passes.

const CONFFILE = '/etc/containerd/config.toml';
const OURS = "version = 2\n[plugins.'io.containerd.grpc.v1.cri']\n  sandbox_image = 'registry.k8s.io/pause:3.10.1'\n";
// What containerd.io's own file says: the CRI plugin off.
const THEIRS = 'disabled_plugins = ["cri"]\n';

interface Scratch {
  readonly dir: string;
  readonly root: string;
}

function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'dpkg-conffile-'));
  const root = join(dir, 'root');
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(join(root, 'var/lib/dpkg/available'), '');
  return { dir, root };
}

/** Builds a package with dpkg-deb: its control fields, its files, and which of them are conffiles. */
function buildPackage(s: Scratch, name: string, version: string, files: Record<string, string>): string {
  const tree = join(s.dir, `${name}-tree`);
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  writeFileSync(join(tree, 'DEBIAN/control'), `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: tests <tests@example.invalid>\nDescription: ships ${CONFFILE} as a conffile\n`);
  writeFileSync(join(tree, 'DEBIAN/conffiles'), `${Object.keys(files).join('\n')}\n`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), content);
  }
  const deb = join(s.dir, `${name}_${version}_all.deb`);
  const built = spawnSync('dpkg-deb', ['--root-owner-group', '--build', tree, deb], { encoding: 'utf8' });
  expect(built.status).toBe(0);
  return deb;
}

/** Runs dpkg on the scratch root with stdin at end of file; `--force-not-root` only where the tests run unprivileged. */
function dpkg(s: Scratch, args: readonly string[]): { status: number | null; output: string } {
  const unprivileged = process.getuid?.() !== 0 ? ['--force-not-root'] : [];
  const result = spawnSync('dpkg', [`--root=${s.root}`, ...unprivileged, ...args], {
    encoding: 'utf8',
    input: '',
    timeout: 60_000,
    // dpkg looks for ldconfig and start-stop-daemon on PATH before it installs anything.
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** apt's two runs for one package: unpack the archive, then configure the package. */
function aptInstall(s: Scratch, options: readonly string[], deb: string, name: string) {
  const unpack = dpkg(s, [...options, '--unpack', deb]);
  expect(unpack.status).toBe(0);
  return dpkg(s, [...options, '--configure', name]);
}

function packageStatus(s: Scratch, name: string): string {
  const query = spawnSync('dpkg-query', [`--admindir=${join(s.root, 'var/lib/dpkg')}`, '-W', '-f', '${db:Status-Abbrev}', name], { encoding: 'utf8' });
  return query.stdout.trim();
}

function writeOurs(s: Scratch): void {
  mkdirSync(dirname(join(s.root, CONFFILE)), { recursive: true });
  writeFileSync(join(s.root, CONFFILE), OURS);
}

const available = hasTool('dpkg-deb', 'dpkg') && hasTool('dpkg', 'dpkg') && hasTool('dpkg-query', 'dpkg');
const withDpkg = available ? describe : describe.skip;

describe('the conffile policy apt_get passes to dpkg', () => {
  test('is force-confdef and force-confold, as apt options on every apt-get call', () => {
    expect(DPKG_CONFFILE_OPTIONS).toEqual(['--force-confdef', '--force-confold']);
    expect(SHARED_FUNCTIONS.aptGet).toContain('apt-get -qy -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"');
    expect(SHARED_FUNCTIONS.aptGet).toContain('DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get');
  });
});

withDpkg('containerd.io arriving where the bootstrap wrote containerd configuration (real dpkg)', () => {
  const dirs: string[] = [];
  const make = () => {
    const s = scratch();
    dirs.push(s.dir);
    return s;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('a file written by a script: the old call fails at the prompt and leaves the runtime unconfigured; the new one keeps ours', () => {
    const s = make();
    const deb = buildPackage(s, 'demo-containerd-io', '2.2.6-1', { [CONFFILE]: THEIRS });
    writeOurs(s);

    const old = aptInstall(s, [], deb, 'demo-containerd-io');
    expect(old.status).not.toBe(0);
    expect(old.output).toContain('File on system created by you or by a script.');
    expect(old.output).toContain('end of file on stdin at conffile prompt');
    // Unpacked, not configured: what the node was left with, drained and without a working runtime.
    expect(packageStatus(s, 'demo-containerd-io')).toBe('iU');

    const now = dpkg(s, [...DPKG_CONFFILE_OPTIONS, '--configure', 'demo-containerd-io']);
    expect(now.status).toBe(0);
    expect(now.output).toContain('Keeping old config file as default.');
    expect(packageStatus(s, 'demo-containerd-io')).toBe('ii');
    expect(readFileSync(join(s.root, CONFFILE), 'utf8')).toBe(OURS);
    expect(readFileSync(join(s.root, `${CONFFILE}.dpkg-dist`), 'utf8')).toBe(THEIRS);
  });

  test("a file that was the replaced runtime's conffile, edited by the bootstrap: the same question, the same answers", () => {
    // Debian's containerd ships /etc/containerd/config.toml as a conffile (checked on
    // containerd_1.6.20~ds1-1+deb12u3_amd64.deb with dpkg-deb -I ... conffiles); the swap removes
    // it (`containerd-`), which keeps a conffile on disk, and installs containerd.io.
    for (const options of [[], DPKG_CONFFILE_OPTIONS]) {
      const s = make();
      const old = buildPackage(s, 'demo-ubuntu-containerd', '1.7.28-0ubuntu1', { [CONFFILE]: 'version = 2\n' });
      const next = buildPackage(s, 'demo-containerd-io', '2.2.6-1', { [CONFFILE]: THEIRS });
      expect(dpkg(s, ['--install', old]).status).toBe(0);
      writeOurs(s);
      expect(dpkg(s, [...options, '--remove', 'demo-ubuntu-containerd']).status).toBe(0);
      const result = aptInstall(s, options, next, 'demo-containerd-io');
      if (options.length === 0) {
        expect(result.status).not.toBe(0);
        expect(result.output).toContain('end of file on stdin at conffile prompt');
        expect(packageStatus(s, 'demo-containerd-io')).toBe('iU');
      } else {
        expect(result.status).toBe(0);
        expect(packageStatus(s, 'demo-containerd-io')).toBe('ii');
        expect(readFileSync(join(s.root, CONFFILE), 'utf8')).toBe(OURS);
      }
    }
  });

  test('a path with no file yet (a first boot): no question either way, the package file is installed', () => {
    const s = make();
    const deb = buildPackage(s, 'demo-containerd-io', '2.2.6-1', { [CONFFILE]: THEIRS });
    const result = aptInstall(s, DPKG_CONFFILE_OPTIONS, deb, 'demo-containerd-io');
    expect(result.status).toBe(0);
    expect(result.output).not.toContain('Configuration file');
    // The bootstrap writes its own configuration whole after the install (configure_containerd).
    expect(readFileSync(join(s.root, CONFFILE), 'utf8')).toBe(THEIRS);
  });
});
