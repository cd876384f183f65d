import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from 'cdktf';
import { DefaultExampleStack } from '../examples/default/stack';

const root = join(__dirname, '..');

function synthToDisk(): { json: Buffer; stdout: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-example-'));
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'examples/default/main.ts')], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    return { json: readFileSync(join(outdir, 'stacks/kubeadm-cluster/cdk.tf.json')), stdout };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('default example', () => {
  test('synthesises with validations and matches the snapshot', () => {
    const stack = new DefaultExampleStack(Testing.app(), 'kubeadm-cluster');
    const synthesised = Testing.synth(stack, true);
    expect(JSON.parse(synthesised)).toMatchSnapshot();
  });

  test('the app prints the plan table and synthesises byte-identical output twice', () => {
    const first = synthToDisk();
    const second = synthToDisk();
    expect(first.stdout).toContain('Address plan');
    expect(first.stdout).toContain('pods              10.32.0.0/12');
    expect(first.stdout).toContain('udp/6783-6784');
    expect(first.json.equals(second.json)).toBe(true);
  });

  test('stacks carry no AWS credentials and synthesise without them', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'kubeadm-nocreds-')) });
    const stack = new DefaultExampleStack(app, 'kubeadm-cluster');
    const json = Testing.synth(stack);
    expect(json).not.toMatch(/access_key|secret_key/);
    rmSync(app.outdir, { recursive: true, force: true });
  });
});
