import { existsSync } from 'node:fs';
import { SetupError } from '../lib/rehearsal/errors';
import { PROBE_SCRIPT } from '../lib/rehearsal/probe-process';
import { Sandbox } from '../lib/rehearsal/sandbox';

// Tools that do not exist: every test here must be refused before anything runs.
const tools = { ip: '/nonexistent/ip', nft: '/nonexistent/nft', bridge: '/nonexistent/bridge', icmp: { kind: 'perl' as const, path: '/nonexistent/perl' } };

describe('Sandbox', () => {
  const sandbox = new Sandbox(tools, 'kr00abc0-', new AbortController().signal);

  test.each([
    [['ip', 'link', 'add', 'x', 'type', 'bridge']],
    [['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'eth0']],
    [['ip', '-n', 'kr00abc0-vpc', 'link', 'add', 'x', 'type', 'bridge']],
    [['ip', 'netns', 'exec', 'other', 'tee', '/proc/sys/net/ipv4/ip_forward']],
    [['nft', 'add', 'table', 'ip', 'filter']],
  ])('refuses %j: not inside a namespace it created', async (argv) => {
    await expect(sandbox.run({ argv })).rejects.toThrow(SetupError);
    await expect(sandbox.run({ argv })).rejects.toThrow(/does not run inside one of this rehearsal's namespaces/);
  });

  test('refuses namespaces without its prefix', async () => {
    await expect(sandbox.createNamespace('default')).rejects.toThrow('refusing to use namespace default');
    await expect(sandbox.startProbe('other', { name: 'x', listen: [], icmp: tools.icmp })).rejects.toThrow('refusing to use namespace other');
  });

  test('refuses programs other than ip, bridge and nft', async () => {
    await expect(sandbox.run({ argv: ['sh', '-n', 'kr00abc0-vpc', '-c', 'true'] })).rejects.toThrow(/does not run inside|refusing to run sh/);
  });
});

test('the probe script is shipped next to the module that spawns it', () => {
  expect(PROBE_SCRIPT).toMatch(/lib\/rehearsal\/probe\.cjs$/);
  expect(existsSync(PROBE_SCRIPT)).toBe(true);
});
