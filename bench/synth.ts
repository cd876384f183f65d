import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Synthesises the default example and two baselines, interleaved so that machine noise hits all
 * alike, under each runner, and prints median wall time, peak RSS and the ratios of each run:
 *
 * - bare: the six providers the example configures, and nothing else;
 * - bindings: the same plus every provider binding module the library loads for the example.
 *
 * Runners: the app command this repository documents (tsx without dependencies' source maps), tsx
 * as it comes (source maps for every module), and plain node on the compiled code.
 */
const runs = Number(process.env.BENCH_RUNS ?? 5);
const root = join(__dirname, '..');

type Target = 'example' | 'bare' | 'bindings';
const TARGETS: Record<Target, string> = {
  example: 'examples/default/main',
  bare: 'bench/bare',
  bindings: 'bench/bindings',
};

interface Runner {
  readonly name: string;
  /** The node arguments that run `target` (a path without extension). */
  readonly args: (target: string) => string[];
}

interface Sample {
  readonly ms: number;
  readonly rssMb: number;
  readonly bindings: string;
}

function runOnce(runner: Runner, target: string): Sample {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-bench-'));
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--require', join(root, 'bench/report-usage.cjs'), ...runner.args(target)], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) {
      throw new Error(`${runner.name} ${target} failed (exit ${result.status}):\n${result.stderr}`);
    }
    const rss = /BENCH_MAX_RSS_KB=(\d+)/.exec(result.stderr);
    const bindings = /BENCH_BINDINGS=(.*)/.exec(result.stderr);
    if (!rss || !bindings) {
      throw new Error(`${target} did not report its peak RSS and bindings`);
    }
    return { ms, rssMb: Number(rss[1]) / 1024, bindings: bindings[1] };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Compiles the library, the examples and the baselines as `npm run build` compiles the package. */
function compile(): string {
  const outDir = mkdtempSync(join(root, '.bench-'));
  const tsconfig = join(outDir, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({
    extends: join(root, 'tsconfig.build.json'),
    compilerOptions: { outDir, rootDir: root, declaration: false },
    include: [join(root, 'lib/**/*.ts'), join(root, 'examples/**/*.ts'), join(root, 'bench/bare.ts'), join(root, 'bench/bindings.ts')],
  }));
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: root, stdio: 'inherit' });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(join(root, 'copy-assets.cjs')) as { copyAssets: (outDir: string) => void }).copyAssets(outDir);
  return outDir;
}

const compiled = compile();
try {
  const runners: Runner[] = [
    { name: 'app command (tsx, own source maps)', args: (t) => ['--require', join(root, 'own-source-maps.js'), '--import', 'tsx', join(root, `${t}.ts`)] },
    { name: 'tsx as it comes', args: (t) => ['--import', 'tsx', join(root, `${t}.ts`)] },
    { name: 'plain node, compiled', args: (t) => [join(compiled, `${t}.js`)] },
  ];
  console.log(`synth benchmark: ${runs} interleaved runs each, medians (node ${process.version})`);
  for (const runner of runners) {
    const samples: Record<Target, Sample[]> = { example: [], bare: [], bindings: [] };
    runOnce(runner, TARGETS.bare); // warm the file-system cache and tsx's transform cache; not counted
    for (let i = 0; i < runs; i++) {
      for (const target of Object.keys(TARGETS) as Target[]) {
        samples[target].push(runOnce(runner, TARGETS[target]));
      }
    }
    const [exampleBindings, baselineBindings] = [samples.example[0].bindings, samples.bindings[0].bindings];
    if (exampleBindings !== baselineBindings) {
      throw new Error(`bench/bindings.ts loads other binding modules than the example:\n  example:  ${exampleBindings}\n  baseline: ${baselineBindings}`);
    }
    const summary = (target: Target) => ({
      ms: median(samples[target].map((s) => s.ms)),
      rssMb: median(samples[target].map((s) => s.rssMb)),
    });
    const example = summary('example');
    console.log(`\n${runner.name}`);
    for (const target of Object.keys(TARGETS) as Target[]) {
      const s = summary(target);
      console.log(`  ${target.padEnd(16)} ${s.ms.toFixed(0).padStart(6)} ms  ${s.rssMb.toFixed(0).padStart(5)} MB peak RSS`);
    }
    for (const baseline of ['bare', 'bindings'] as const) {
      const b = summary(baseline);
      console.log(`  example/${baseline.padEnd(8)} ${(example.ms / b.ms).toFixed(2).padStart(6)} x     ${(example.rssMb / b.rssMb).toFixed(2).padStart(5)} x`);
    }
  }
} finally {
  rmSync(compiled, { recursive: true, force: true });
}
