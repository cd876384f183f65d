import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { runPrefix } from '../lib/rehearsal/run-prefix';
import { synthFixture } from './support/network-stack';
import { canRehearse, canRunAsUser } from './support/rehearsal-machine';

const root = join(__dirname, '..');
const cli = join(root, 'bin/cli.ts');

/** Runs the CLI in-process with tsx's loader (no npx in between, so signals reach it directly). */
function runCli(args: readonly string[], options: { uid?: number } = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, ...options });
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '');
}

describe('cdktf-kubeadm-cluster CLI', () => {
  test('bad input exits 2 with the reason and the usage', () => {
    const result = runCli(['rehearse', join(root, 'no-such-stack')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error: ');
    expect(result.stderr).toContain('no-such-stack does not exist');
    expect(result.stderr).toContain('Usage:');
    expect(runCli(['rehearse', '--nodes-per-role', 'x']).status).toBe(2);
  });

  test('help exits 0 and lists the exit codes', () => {
    const result = runCli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('3 missing\nprerequisites');
  });

  // Runs the checkout's command line as "nobody", who must be able to read it and its loader.
  const nobody = { uid: 65534, gid: 65534 };
  const asNobody = canRunAsUser('the command line test without root', nobody, [cli, join(root, 'lib/rehearsal/rehearse.ts'), require.resolve('tsx/package.json', { paths: [root] })]) ? test : test.skip;
  asNobody('without root it says what is missing and exits 3', () => {
    const fixture = synthFixture([{ plugin: 'flannel' }]);
    chmodSync(fixture.outdir, 0o755);
    try {
      // The unprivileged "nobody" user: the stack is readable, the namespaces are not creatable.
      const result = spawnSync(process.execPath, ['--import', 'tsx', cli, 'rehearse', fixture.stackDir], { cwd: root, encoding: 'utf8', timeout: 60_000, ...nobody, env: { ...process.env, HOME: '/tmp' } });
      expect(result.stderr).toMatch(/the rehearsal cannot run here; it needs:\n {2}- root \(.*running as uid 65534/);
      expect(result.status).toBe(3);
    } finally {
      fixture.remove();
    }
  });
});

const integration = canRehearse() ? describe : describe.skip;

integration('cdktf-kubeadm-cluster CLI (network namespaces)', () => {
  test('rehearse prints the table and exits 0 for a working stack', () => {
    const fixture = synthFixture([{ plugin: 'weave-net' }]);
    try {
      const result = runCli(['rehearse', fixture.stackDir]);
      expect(result.stdout).toMatch(/^check +from +to +result +time$/m);
      expect(result.stdout).toMatch(/PASSED demo: \d+ checks: \d+ ok, 0 failed, 0 skipped in [\d.]+ s/);
      expect(result.status).toBe(0);
    } finally {
      fixture.remove();
    }
  });

  test('SIGINT mid-run cleans up: no namespace of the run is left, exit 130', async () => {
    const fixture = synthFixture([{ plugin: 'calico-ipip' }]);
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'rehearse', fixture.stackDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let prefix = '';
      let seenNamespaces: string[] = [];
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        prefix ||= /^(kr[0-9a-z]{6}-) /m.exec(stderr)?.[1] ?? '';
        if (prefix && /network built/.test(stderr) && seenNamespaces.length === 0) {
          seenNamespaces = namespaces().filter((n) => n.startsWith(prefix));
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(seenNamespaces.length).toBeGreaterThan(5);
      expect(stderr).toContain('SIGINT: stopping and removing');
      expect(code).toBe(130);
      expect(namespaces().filter((n) => n.startsWith(prefix))).toEqual([]);
    } finally {
      fixture.remove();
    }
  });

  test('cleanup removes namespaces of dead runs and keeps those of live ones', () => {
    const dead = spawnSync('true').pid!;
    const stale = `${runPrefix(dead, 0)}vpc`;
    const live = `${runPrefix(process.pid, 35)}vpc`;
    execFileSync('ip', ['netns', 'add', stale], { timeout: 5000 });
    execFileSync('ip', ['netns', 'add', live], { timeout: 5000 });
    try {
      const result = runCli(['cleanup']);
      expect(result.status).toBe(0);
      // Other test files may be rehearsing at the same time: their namespaces count among the kept.
      expect(result.stdout).toMatch(new RegExp(`^removed \\d+ namespaces: .*\\b${stale}\\b`, 'm'));
      expect(result.stdout).toMatch(new RegExp(`^kept \\d+ namespaces of rehearsals still running \\(--force removes them\\): .*\\b${live}\\b`, 'm'));
      expect(namespaces()).not.toContain(stale);
      expect(namespaces()).toContain(live);
    } finally {
      spawnSync('ip', ['netns', 'delete', stale], { timeout: 5000 });
      spawnSync('ip', ['netns', 'delete', live], { timeout: 5000 });
    }
  });
});
