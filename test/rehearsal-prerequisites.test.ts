import { EXIT_CODES, MissingPrerequisitesError } from '../lib/rehearsal/errors';
import { checkPrerequisites, Environment } from '../lib/rehearsal/prerequisites';
import { parsePrefix, runPrefix, tableName } from '../lib/rehearsal/run-prefix';

const tools: Record<string, string> = { ip: '/usr/sbin/ip', nft: '/usr/sbin/nft', bridge: '/usr/sbin/bridge', perl: '/usr/bin/perl' };
const machine = (overrides: Partial<Environment> = {}): Environment => ({ platform: 'linux', uid: 0, which: (n) => tools[n], canOpen: () => true, ...overrides });

describe('checkPrerequisites', () => {
  test('finds the tools; pings with perl when ping is missing, with ping when present', () => {
    expect(checkPrerequisites(machine())).toEqual({ ...tools, icmp: { kind: 'perl', path: '/usr/bin/perl' } });
    expect(checkPrerequisites(machine({ which: (n) => ({ ...tools, ping: '/bin/ping' })[n] })).icmp).toEqual({ kind: 'ping', path: '/bin/ping' });
  });

  test('lists everything missing, with the package to install, as exit code 3', () => {
    let error: MissingPrerequisitesError | undefined;
    try {
      checkPrerequisites(machine({ uid: 1000, which: (n) => (n === 'ip' ? '/usr/sbin/ip' : undefined), canOpen: () => false }), { ipip: true });
    } catch (e) {
      error = e as MissingPrerequisitesError;
    }
    expect(error).toBeInstanceOf(MissingPrerequisitesError);
    expect(error!.exitCode).toBe(EXIT_CODES.missingPrerequisites);
    expect(error!.missing).toEqual([
      expect.stringMatching(/^root .*running as uid 1000/),
      'nft (Debian package nftables)',
      'bridge (Debian package iproute2)',
      expect.stringMatching(/^ping \(Debian package iputils-ping\) or perl/),
      expect.stringMatching(/^perl .* IP-in-IP tunnel/),
      expect.stringMatching(/^\/dev\/net\/tun/),
    ]);
    expect(() => checkPrerequisites(machine({ platform: 'darwin' }))).toThrow(/Linux .*this is darwin/);
  });
});

describe('run prefixes', () => {
  test('carry the process id, so leftovers of dead runs can be told apart', () => {
    const prefix = runPrefix(4194304, 37);
    expect(prefix).toMatch(/^kr[0-9a-z]{6}-$/);
    expect(parsePrefix(`${prefix}n0p1`)).toEqual({ prefix, pid: 4194304 });
    expect(parsePrefix('krypton')).toBeUndefined();
    expect(tableName(prefix)).toMatch(/^kr[0-9a-z]{6}$/);
  });
});
