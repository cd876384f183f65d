import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseStack, shared, type SynthesisedStack } from './synthesised-stack';

// Several test files hold every example's synthesised stack against different validators. Each
// example is synthesised once per state of the sources and the result shared through a folder
// named after a hash of everything that shapes it, so test files and workers reuse it, and any
// change to the library, the examples, the test helpers that synthesise or the installed packages
// gives a new folder.

const root = join(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

let cacheDir: string | undefined;

/** The folder that holds stacks synthesised from the current sources. */
export function synthesisedStacksDir(): string {
  if (cacheDir === undefined) {
    const hash = createHash('sha256');
    const helpers = ['example-synth.ts', 'cluster-synth.ts', 'synth.ts'].map((name) => join(__dirname, name));
    for (const file of [...sourceFiles(join(root, 'lib')), ...sourceFiles(join(root, 'examples')), join(root, 'package-lock.json'), ...helpers]) {
      hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
    }
    // Beside the packages it depends on, owned by whoever installed them, as tools keep caches.
    cacheDir = join(root, 'node_modules/.cache/kubeadm-examples', hash.digest('hex').slice(0, 16));
  }
  return cacheDir;
}

const synthesised = new Map<string, SynthesisedStack>();

/** The example's stack as `cdktf synth` writes it (construct validations on), synthesised once. */
export function synthesisedExample(example: string): SynthesisedStack {
  const known = synthesised.get(example);
  if (known) {
    return known;
  }
  const file = join(synthesisedStacksDir(), `${example}.json`);
  let stack: SynthesisedStack;
  if (existsSync(file)) {
    stack = parseStack(readFileSync(file, 'utf8'));
  } else {
    // Loaded only to synthesise: a test file that reads cached stacks needs neither cdktf nor the library.
    const { App } = require('cdktf') as typeof import('cdktf');
    const { EXAMPLES, stackName } = require('../../examples/synth') as typeof import('../../examples/synth');
    const { synthExisting } = require('./synth') as typeof import('./synth');
    stack = synthExisting(EXAMPLES[example](new App({ outdir: join(tmpdir(), 'unused'), skipValidation: true }), stackName(example)));
    keepSynthesised(file, stack);
  }
  synthesised.set(example, shared(stack));
  return stack;
}

/** Keeps a synthesised stack for other test files and workers. */
export function keepSynthesised(file: string, stack: SynthesisedStack): void {
  try {
    mkdirSync(synthesisedStacksDir(), { recursive: true });
    // Written whole under another name first, so that a reader in another worker never sees half.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, stack.text);
    renameSync(partial, file);
  } catch {
    // A cache that cannot be written only costs the next test file a synth.
  }
}
