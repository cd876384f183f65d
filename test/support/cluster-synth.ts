import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeadmClusterProps } from '../../lib';
import { keepSynthesised, synthesisedStacksDir } from './example-synth';
import { parseStack, shared, type SynthesisedStack } from './synthesised-stack';

// Many test files look into the same cluster, built from plain props, each from its own angle.
// Such a cluster is synthesised once per state of the sources and shared like the examples, so a
// test file that only reads the result loads neither cdktf nor the library.

/** Throws unless `value` is plain JSON data: such props say everything about the cluster they build. */
function assertPlain(value: unknown, path: string): void {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertPlain(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      assertPlain(item, `${path}.${key}`);
    }
    return;
  }
  throw new Error(`${path} is not plain data; build this cluster with synthStack instead`);
}

const synthesised = new Map<string, SynthesisedStack>();

/**
 * The stack that `synthStack` gives for `new KubeadmCluster(stack, 'cluster', props)`, synthesised
 * once for the current sources. `props` must be plain data.
 */
export function synthesisedCluster(props: KubeadmClusterProps): SynthesisedStack {
  assertPlain(props, 'props');
  const text = JSON.stringify(props);
  const known = synthesised.get(text);
  if (known) {
    return known;
  }
  const file = join(synthesisedStacksDir(), `cluster-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.json`);
  let stack: SynthesisedStack;
  if (existsSync(file)) {
    stack = parseStack(readFileSync(file, 'utf8'));
  } else {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { KubeadmCluster } = require('../../lib') as typeof import('../../lib');
    const { synthStack } = require('./synth') as typeof import('./synth');
    /* eslint-enable @typescript-eslint/no-require-imports */
    stack = synthStack((s) => new KubeadmCluster(s, 'cluster', JSON.parse(text) as KubeadmClusterProps));
    keepSynthesised(file, stack);
  }
  synthesised.set(text, shared(stack));
  return stack;
}
