import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Synthesises the default example and a bare stack with the same providers, interleaved so that
 * machine noise hits both alike, and prints median wall time, peak RSS and their ratios.
 */
const runs = Number(process.env.BENCH_RUNS ?? 5);
const root = join(__dirname, '..');
const targets = {
  example: join(root, 'examples/default/main.ts'),
  bare: join(root, 'bench/bare.ts'),
};

interface Sample {
  readonly ms: number;
  readonly rssMb: number;
}

function runOnce(script: string): Sample {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-bench-'));
  try {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--require', join(root, 'bench/report-usage.cjs'), '--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) {
      throw new Error(`${script} failed (exit ${result.status}):\n${result.stderr}`);
    }
    const rss = /BENCH_MAX_RSS_KB=(\d+)/.exec(result.stderr);
    if (!rss) {
      throw new Error(`${script} did not report its peak RSS`);
    }
    return { ms, rssMb: Number(rss[1]) / 1024 };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const samples: Record<keyof typeof targets, Sample[]> = { example: [], bare: [] };
runOnce(targets.bare); // warm the file-system cache and tsx's transform cache; not counted
for (let i = 0; i < runs; i++) {
  for (const name of ['example', 'bare'] as const) {
    samples[name].push(runOnce(targets[name]));
  }
}

const summary = (name: keyof typeof targets) => ({
  ms: median(samples[name].map((s) => s.ms)),
  rssMb: median(samples[name].map((s) => s.rssMb)),
});
const example = summary('example');
const bare = summary('bare');
console.log(`synth benchmark: ${runs} interleaved runs each, medians (node ${process.version})`);
console.log(`  default example  ${example.ms.toFixed(0).padStart(6)} ms  ${example.rssMb.toFixed(0).padStart(5)} MB peak RSS`);
console.log(`  bare stack       ${bare.ms.toFixed(0).padStart(6)} ms  ${bare.rssMb.toFixed(0).padStart(5)} MB peak RSS`);
console.log(`  ratio            ${(example.ms / bare.ms).toFixed(2).padStart(6)} x     ${(example.rssMb / bare.rssMb).toFixed(2).padStart(5)} x`);
