/**
 * The dependency graph of a synthesised stack, read from its JSON, and the longest chain of waits
 * through it. Pure TypeScript (no cdktf), so that it runs on any `cdk.tf.json` and is tested on
 * hand-made graphs.
 */

/** The parts of a synthesised stack (`cdk.tf.json`) the graph is read from. */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, object>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, object>>>>;
  readonly provider?: Readonly<Record<string, readonly object[]>>;
}

/** One block of the stack: a resource, a data source or a provider configuration. */
export interface GraphNode {
  /** Terraform's address: `aws_vpc.x`, `data.aws_region.x`, `provider.helm.demo`. */
  readonly address: string;
  /** `aws_vpc`, `aws_region` (a data source's), `helm` (a provider's). */
  readonly type: string;
  readonly mode: 'resource' | 'data' | 'provider';
  /** The construct path cdktf recorded (`stack/cluster/network/vpc`), when it did. */
  readonly path?: string;
  readonly body: Readonly<Record<string, unknown>>;
  /** Addresses of the blocks Terraform creates or reads first: `depends_on`, references, its provider. */
  readonly needs: readonly string[];
}

export type DeployGraph = ReadonlyMap<string, GraphNode>;

// A reference inside an interpolation: `aws_vpc.x`, `data.aws_region.x`, not the tail of an
// attribute path (`….aws_vpc.x`).
const REFERENCE = /(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)/g;

/** The `${…}` interpolations of a string, nested braces (object expressions) included. */
function interpolations(text: string): string[] {
  const found: string[] = [];
  let start = text.indexOf('${');
  while (start !== -1) {
    let depth = 0;
    let end = start + 1;
    for (; end < text.length; end++) {
      if (text[end] === '{') {
        depth++;
      } else if (text[end] === '}' && --depth === 0) {
        break;
      }
    }
    found.push(text.slice(start + 2, end));
    start = text.indexOf('${', end);
  }
  return found;
}

function strings(value: unknown, into: string[]): string[] {
  if (typeof value === 'string') {
    into.push(value);
  } else if (Array.isArray(value)) {
    value.forEach((item) => strings(item, into));
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach((item) => strings(item, into));
  }
  return into;
}

function providerAddress(type: string, alias: unknown): string {
  return typeof alias === 'string' ? `provider.${type}.${alias}` : `provider.${type}`;
}

/**
 * The stack's blocks and what each waits for, as Terraform orders them: `depends_on`, every
 * reference to another block inside an interpolation, and the configuration of its provider (whose
 * own references, such as the cluster endpoint of the kubernetes provider, come before it).
 */
export function deployGraph(stack: StackJson): DeployGraph {
  const blocks: Array<Omit<GraphNode, 'needs'> & { refs: Set<string> }> = [];
  const sections: Array<['resource' | 'data', StackJson['resource']]> = [['resource', stack.resource], ['data', stack.data]];
  for (const [mode, section] of sections) {
    for (const [type, byName] of Object.entries(section ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        const { '//': meta, depends_on: dependsOn, ...rest } = body as Record<string, unknown>;
        const refs = new Set<string>(Array.isArray(dependsOn) ? dependsOn.filter((d): d is string => typeof d === 'string') : []);
        const prefix = mode === 'data' ? 'data.' : '';
        const path = (meta as { metadata?: { path?: string } } | undefined)?.metadata?.path;
        const provider = typeof rest.provider === 'string' ? `provider.${rest.provider}` : `provider.${type.split('_')[0]}`;
        refs.add(provider);
        blocks.push({ address: `${prefix}${type}.${name}`, type, mode, path, body: rest, refs });
      }
    }
  }
  for (const [type, configs] of Object.entries(stack.provider ?? {})) {
    for (const config of configs) {
      const alias = (config as { alias?: unknown }).alias;
      blocks.push({ address: providerAddress(type, alias), type, mode: 'provider', body: config as Record<string, unknown>, refs: new Set() });
    }
  }
  const known = new Set(blocks.map((b) => b.address));
  for (const block of blocks) {
    for (const expression of strings(block.body, []).flatMap(interpolations)) {
      for (const match of expression.matchAll(REFERENCE)) {
        block.refs.add(`${match[1] ?? ''}${match[2]}.${match[3]}`);
      }
    }
  }
  return new Map(
    blocks.map(({ refs, ...block }) => [block.address, { ...block, needs: [...refs].filter((r) => known.has(r) && r !== block.address).sort() }]),
  );
}

/** The longest chain of waits to a set of targets. */
export interface CriticalPath {
  /** Minutes from the start of the apply until the last target is done. */
  readonly minutes: number;
  /** The chain, first block first: each waits for the one before it, the last is a target. */
  readonly chain: readonly string[];
}

/**
 * The critical path: the chain of blocks, each waiting for the one before, whose durations add up
 * to the most, ending at one of `targets`. A block starts once everything it needs is done, so it
 * is done at its own duration after the latest of them. Ties go to the alphabetically first
 * block, so the same graph always gives the same chain.
 */
export function criticalPath(
  needs: ReadonlyMap<string, readonly string[]>,
  minutesOf: (node: string) => number,
  targets: readonly string[],
): CriticalPath {
  const done = new Map<string, { minutes: number; after?: string }>();
  const visiting: string[] = [];
  const finish = (node: string): number => {
    const known = done.get(node);
    if (known) {
      return known.minutes;
    }
    const edges = needs.get(node);
    if (edges === undefined) {
      throw new Error(`${visiting.at(-1) ?? 'the target list'} waits for ${node}, which is not in the graph`);
    }
    const loop = visiting.indexOf(node);
    if (loop !== -1) {
      throw new Error(`the dependency graph has a cycle, so no deploy order exists: ${[...visiting.slice(loop), node].join(' -> ')}`);
    }
    visiting.push(node);
    let latest: { minutes: number; after?: string } = { minutes: 0 };
    for (const edge of [...edges].sort()) {
      const minutes = finish(edge);
      // Edges are sorted, so on a tie the first stays.
      if (latest.after === undefined || minutes > latest.minutes) {
        latest = { minutes, after: edge };
      }
    }
    visiting.pop();
    const own = minutesOf(node);
    if (!(own >= 0)) {
      throw new Error(`${node} has no duration (${own}); give every block a duration of zero or more minutes`);
    }
    done.set(node, { minutes: latest.minutes + own, after: latest.after });
    return latest.minutes + own;
  };
  if (targets.length === 0) {
    throw new Error('no target to estimate the path to');
  }
  let last = [...targets].sort()[0];
  for (const target of [...targets].sort()) {
    if (finish(target) > finish(last)) {
      last = target;
    }
  }
  const chain: string[] = [];
  for (let node: string | undefined = last; node !== undefined; node = done.get(node)!.after) {
    chain.unshift(node);
  }
  return { minutes: done.get(last)!.minutes, chain };
}
