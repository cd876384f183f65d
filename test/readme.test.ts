import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { DefaultExampleStack } from '../examples/default/stack';
import { EXAMPLES } from '../examples/synth';
import { describeDeployPath, estimateDeployPath } from '../lib/deploy-path';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The fenced block right after a `<!-- marker -->` line. */
function blockAfter(marker: string): string {
  const match = new RegExp(`<!-- ${marker} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) {
    throw new Error(`README has no block after <!-- ${marker} -->`);
  }
  return match[1];
}

describe('README', () => {
  test('the quick start is exactly the two commands', () => {
    expect(readme).toContain('```sh\nnpm ci && npm run synth\nnpm test\n```');
  });

  test('the usage example type-checks and synthesises', () => {
    const code = blockAfter('readme-example').replace("from 'cdktf-kubeadm-cluster'", "from '../lib'");
    // As written it deploys from the reader's machine: no documentation range in the API access.
    expect(code).not.toMatch(/\b(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+/);
    // Written inside the project so that it resolves the same packages as the library.
    const dir = mkdtempSync(join(root, 'test', '.readme-'));
    const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-readme-'));
    try {
      const file = join(dir, 'example.ts');
      writeFileSync(file, code.replace("'../lib'", `'${join(root, 'lib')}'`));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(root, 'tsconfig.json'), include: ['example.ts'] }));
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', dir], { encoding: 'utf8' });
      // Run as the README's app command runs an app.
      const stdout = execFileSync(process.execPath, ['--require', join(root, 'own-source-maps.js'), '--import', 'tsx', file], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: outdir }, encoding: 'utf8' });
      expect(stdout).toContain('Cluster demo');
      const stack = JSON.parse(readFileSync(join(outdir, 'stacks/kubernetes/cdk.tf.json'), 'utf8'));
      expect(Object.keys(stack.resource)).toContain('kubernetes_secret_v1');
      expect(stack.output.demo_kubeconfig.sensitive).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('the example list names every example and says which need edits', () => {
    const examples = Object.keys(EXAMPLES);
    for (const name of examples) {
      expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\| .* \\| .+ \\|$`, 'm'));
    }
    expect(readme).toMatch(/^\| `existing-vpc` \|.*\*\*needs your VPC's ids\*\*/m);
  });

  test('the network picture is the one the default example draws', () => {
    const stack = new DefaultExampleStack(new App({ outdir: join(tmpdir(), 'unused'), skipValidation: true }), 'kubeadm-cluster');
    expect(blockAfter('network-diagram')).toBe(stack.cluster.diagram());
  });

  test('the deploy-path estimate is the one `npm run synth` prints for the default example', () => {
    // Synthesised as the app does, so that blocks carry the construct paths the summary names.
    const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-readme-'));
    try {
      const app = new App({ outdir, skipValidation: true });
      const stack = new DefaultExampleStack(app, 'kubeadm-cluster');
      app.synth();
      const synthesised = JSON.parse(readFileSync(join(outdir, 'stacks/kubeadm-cluster/cdk.tf.json'), 'utf8'));
      expect(`${blockAfter('deploy-path')}`).toBe(`${describeDeployPath(estimateDeployPath(synthesised, { clusterPath: stack.cluster.node.path }))}\n`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
