import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The package as a user gets it: packed, installed from the tarball into an app of its own with
// its own cdktf, provider packages and TypeScript 5 from the registry, compiled with that
// TypeScript and synthesised with plain node beside the app's own resources. Slow (an install),
// so it runs as `npm run test:package`, not in `npm test`.

const root = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The app's own pins: the newest release each peer range allows is what a user would get. */
const APP_DEPENDENCIES = ['cdktf@^0.21.0', 'constructs@^10.4.2', ...Object.keys(pkg.peerDependencies).filter((p: string) => p.startsWith('@cdktf/')).map((p: string) => `${p}@${pkg.peerDependencies[p]}`)];

const APP = `import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { AddressPlan, Cni, KubeadmCluster, rehearse } from 'cdktf-kubeadm-cluster';

const app = new App();
const stack = new TerraformStack(app, 'platform');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
// The app's own resource, beside the cluster.
const logs = new S3Bucket(stack, 'logs', { bucketPrefix: 'platform-logs-' });
const cluster = new KubeadmCluster(stack, 'cluster', { clusterName: 'consumer', cni: Cni.flannel(), zoneCount: 3 });
new TerraformOutput(stack, 'logs_bucket', { value: logs.bucket });
const plan: AddressPlan = cluster.plan;
const rehearsal: typeof rehearse = rehearse;
app.synth();
process.stdout.write(JSON.stringify({ pods: plan.podCidr, rehearse: typeof rehearsal }));
`;

function run(what: string, command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const started = Date.now();
  const output = execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  // eslint-disable-next-line no-console
  console.log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s\n${output.trim().split('\n').slice(-6).join('\n')}`);
  return output;
}

describe('the packed package in an app of its own', () => {
  const work = mkdtempSync(join(tmpdir(), 'kubeadm-consumer-'));
  const app = join(work, 'app');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('installs from the tarball with its peers, compiles with TypeScript 5, and synthesises with plain node', () => {
    run('npm pack', 'npm', ['pack', '--pack-destination', work, '--silent'], root);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toBe(`cdktf-kubeadm-cluster-${pkg.version}.tgz`);

    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, version: '1.0.0' }, null, 2));
    writeFileSync(join(app, 'main.ts'), APP);
    // As the README's install line says: the package, cdktf, constructs and the provider packages.
    run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tarball), ...APP_DEPENDENCIES, 'typescript@5', '@types/node@20'], app);

    const installed = JSON.parse(readFileSync(join(app, 'node_modules/cdktf-kubeadm-cluster/package.json'), 'utf8'));
    expect(installed.version).toBe(pkg.version);
    // The peers are the app's own, one copy each (npm ls fails on a missing or unmet peer).
    run('npm ls', 'npm', ['ls', 'cdktf', 'constructs', '@cdktf/provider-aws'], app);
    for (const peer of Object.keys(pkg.peerDependencies)) {
      expect([peer, existsSync(join(app, 'node_modules/cdktf-kubeadm-cluster/node_modules', peer))]).toEqual([peer, false]);
      expect([peer, existsSync(join(app, 'node_modules', peer, 'package.json'))]).toEqual([peer, true]);
    }
    expect(JSON.parse(readFileSync(join(app, 'node_modules/typescript/package.json'), 'utf8')).version).toMatch(/^5\./);

    // The library's declarations are checked too (no skipLibCheck).
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'es2022', module: 'commonjs', moduleResolution: 'node10', lib: ['es2022'], types: ['node'], strict: true, outDir: 'dist' }, include: ['main.ts'] }, null, 2));
    run('tsc (TypeScript 5)', process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app, '--listEmittedFiles'], app);

    // The preload the README puts in cdktf.json's app command resolves from the app.
    expect(execFileSync(process.execPath, ['--require', 'cdktf-kubeadm-cluster/own-source-maps', '-p', 'process.sourceMapsEnabled'], { cwd: app, encoding: 'utf8' }).trim()).toBe('false');

    const outdir = join(work, 'cdktf.out');
    const stdout = run('synth (plain node)', process.execPath, [join(app, 'dist/main.js')], app, { ...process.env, CDKTF_OUTDIR: outdir });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ pods: '10.244.0.0/16', rehearse: 'function' });
    const stack = JSON.parse(readFileSync(join(outdir, 'stacks/platform/cdk.tf.json'), 'utf8'));
    // The app's bucket beside the cluster's own (its service-account issuer's).
    expect(Object.keys(stack.resource.aws_s3_bucket)).toContain('logs');
    expect(Object.keys(stack.resource.aws_subnet)).toHaveLength(6);
    expect(Object.keys(stack.resource.kubernetes_daemon_set_v1)).toHaveLength(1);
    expect(stack.output.logs_bucket.value).toBe('${aws_s3_bucket.logs.bucket}');
    expect(stack.output.consumer_kubeconfig.sensitive).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`synthesised ${Object.values(stack.resource).reduce((n: number, r) => n + Object.keys(r as object).length, 0)} resources of ${Object.keys(stack.resource).length} types`);
  });
});
