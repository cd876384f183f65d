import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** Runs `npm run synth`'s program into a fresh folder, as a user would, without AWS credentials. */
function synthToDisk(): { json: Buffer; stdout: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-example-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
    for (const name of Object.keys(env).filter((k) => k.startsWith('AWS_'))) {
      delete env[name];
    }
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples/default/main.ts')], { cwd: root, env, encoding: 'utf8' });
    return { json: readFileSync(join(outdir, 'stacks/kubeadm-cluster/cdk.tf.json')), stdout };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('default example app', () => {
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
