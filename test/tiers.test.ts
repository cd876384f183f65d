import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The split between `npm test` (fast) and `npm run test:real` (real software), held so that a new
// test that runs a node program or a real tool cannot slip into the fast tier and push it past its
// 30 s budget unnoticed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { REAL_TIER } = require('./tiers.js') as { REAL_TIER: string[] };

const testDir = __dirname;
const testFiles = readdirSync(testDir).filter((f) => f.endsWith('.test.ts')).sort();
// This file names the patterns it looks for, so it is left out of its own scan.
const fast = testFiles.filter((f) => !REAL_TIER.includes(f) && f !== 'tiers.test.ts');

/** Support modules that run node programs, namespaces or real tools. */
const PROGRAM_RUNNERS = ['node-sandbox', 'bootstrap-node', 'rehearsal-machine', 'preloaded-python', 'kube-apiserver'];
/** Programs a fast-tier file may start itself: node, and sh for the README's own synth command. */
const FAST_PROGRAMS = new Set(['sh']);

describe('test tiers', () => {
  test('every real-tier file exists, once', () => {
    for (const file of REAL_TIER) {
      expect(existsSync(join(testDir, file))).toBe(true);
    }
    expect(new Set(REAL_TIER).size).toBe(REAL_TIER.length);
  });

  test.each(fast)('%s (fast tier) runs no node program, sandbox or real tool', (file) => {
    const source = readFileSync(join(testDir, file), 'utf8');
    const runners = PROGRAM_RUNNERS.filter((m) => source.includes(`./support/${m}'`));
    const started = [...source.matchAll(/\b(?:execFileSync|spawnSync|spawn|execFile)\(\s*'([^']+)'/g)]
      .map((m) => m[1])
      .filter((program) => !FAST_PROGRAMS.has(program));
    expect({ file, runners, started }).toEqual({ file, runners: [], started: [] });
  });

  test('the fast tier finds a program runner when one is used (negative control)', () => {
    const source = "import { Sandbox } from './support/node-sandbox';\nexecFileSync('openssl', []);";
    expect(PROGRAM_RUNNERS.some((m) => source.includes(`./support/${m}'`))).toBe(true);
    expect([...source.matchAll(/\b(?:execFileSync|spawnSync|spawn|execFile)\(\s*'([^']+)'/g)].map((m) => m[1])).toEqual(['openssl']);
  });
});
