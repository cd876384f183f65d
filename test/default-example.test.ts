import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** cdktf.json's app command, which `cdktf synth` and `cdktf deploy` run. */
const APP = JSON.parse(readFileSync(join(root, 'cdktf.json'), 'utf8')).app as string;

/** Runs the app command into a fresh folder, as `cdktf synth` would, without AWS credentials. */
function synthToDisk(): { json: Buffer; stdout: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-example-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
    for (const name of Object.keys(env).filter((k) => k.startsWith('AWS_'))) {
      delete env[name];
    }
    const stdout = execFileSync('sh', ['-c', APP], { cwd: root, env, encoding: 'utf8' });
    return { json: readFileSync(join(outdir, 'stacks/kubeadm-cluster/cdk.tf.json')), stdout };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('default example app', () => {
  test("cdktf.json runs the example without dependencies' source maps, as the README says", () => {
    expect(APP).toBe('node --require ./own-source-maps.js --import tsx examples/default/main.ts');
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.synth).toBe(APP);
  });

  test('prints the summary and synthesises byte-identical output twice', () => {
    const first = synthToDisk();
    const second = synthToDisk();
    expect(first.stdout).toContain('Address plan');
    expect(first.stdout).toContain('pods              10.32.0.0/12');
    expect(first.stdout).toContain('udp/6783-6784');
    expect(first.json.equals(second.json)).toBe(true);
    expect(first.json.toString()).not.toMatch(/access_key|secret_key/);
  });
});
