import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ASSETS, copyAssets } = require('../copy-assets.cjs') as { ASSETS: readonly string[]; copyAssets: (outDir: string) => void };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// What users install is the compiled package: it must build, load without TypeScript tooling, and
// carry the files its code opens at run time.
describe('published package', () => {
  // Inside the project, so that the compiled code resolves the project's dependencies.
  const outDir = mkdtempSync(join(root, '.package-test-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  test('compiles, and its entry point loads with plain node', () => {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { encoding: 'utf8' });
    copyAssets(outDir);
    for (const asset of ASSETS) {
      expect([asset, existsSync(join(outDir, 'lib', asset))]).toEqual([asset, true]);
    }
    expect(pkg.main).toBe('dist/lib/index.js');
    expect(pkg.types).toBe('dist/lib/index.d.ts');
    const exported = execFileSync(process.execPath, ['-e', `const l = require(${JSON.stringify(join(outDir, 'lib/index.js'))}); console.log(['KubeadmCluster', 'AddressPlan', 'Cni', 'rehearse'].map((n) => typeof l[n]).join())`], { cwd: root, encoding: 'utf8' });
    expect(exported.trim()).toBe('function,function,function,function');
    expect(existsSync(join(outDir, 'lib/index.d.ts'))).toBe(true);
  });

  test('the command line runs compiled', () => {
    const help = execFileSync(process.execPath, [join(outDir, 'bin/cli.js'), '--help'], { cwd: root, encoding: 'utf8' });
    expect(help).toContain('cdktf-kubeadm-cluster rehearse');
  });

  test('cdktf, constructs and the providers are peers with ranges, pinned exactly for development', () => {
    const peers = ['cdktf', 'constructs', ...['aws', 'helm', 'http', 'kubernetes', 'random', 'tls'].map((p) => `@cdktf/provider-${p}`)];
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(peers.sort());
    for (const peer of peers) {
      expect([peer, pkg.peerDependencies[peer]]).toEqual([peer, expect.stringMatching(/^\^\d+\.\d+\.\d+$/)]);
      expect([peer, pkg.devDependencies[peer]]).toEqual([peer, expect.stringMatching(/^\d+\.\d+\.\d+$/)]);
      expect(pkg.dependencies[peer]).toBeUndefined();
    }
    expect(Object.keys(pkg.dependencies)).toEqual(['yaml']);
    // Every package the library imports is a dependency or a peer.
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          walk(join(dir, entry.name));
        } else if (entry.name.endsWith('.ts')) {
          for (const match of readFileSync(join(dir, entry.name), 'utf8').matchAll(/(?:from |require\(|import\()'((?:@[\w-]+\/)?[\w-]+)/g)) {
            imported.add(match[1]);
          }
        }
      }
    };
    walk(join(root, 'lib'));
    const external = [...imported].filter((name) => !name.startsWith('node') && name !== 'node');
    expect(external.filter((name) => !(name in pkg.dependencies) && !(name in pkg.peerDependencies))).toEqual([]);
    expect(pkg.files).toContain('own-source-maps.js');
  });

  test('the build ships the files the compiled code opens beside it: the probe program, the node AWS command, the destroy cleanup and the route reconciler', () => {
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && node copy-assets.cjs dist');
    expect([...ASSETS].sort()).toEqual(['addons/cleanup/cleanup.py', 'bootstrap/node-files/aws-cli.py', 'network/routed/pod_routes.py', 'rehearsal/probe.cjs']);
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'bin/cdktf-kubeadm-cluster.js']));
    expect(pkg.bin['cdktf-kubeadm-cluster']).toBe('bin/cdktf-kubeadm-cluster.js');
  });
});
