import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** The binding and library modules a fresh process has loaded after running `script`. */
function modulesLoadedBy(script: string): string[] {
  const program = `${script}; process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', program], { cwd: root, encoding: 'utf8', env: { ...process.env, CDKTF_OUTDIR: '/tmp/unused' } });
  return (JSON.parse(out) as string[]).map((file) => file.replace(/\\/g, '/'));
}

const loads = (modules: string[], fragment: string) => modules.some((m) => m.includes(fragment));

// A stack pays only for the bindings of the plugins and features it uses, and never for the rehearsal.
describe('provider bindings load on use', () => {
  test('importing the package loads no plugin binding and not the rehearsal', () => {
    const modules = modulesLoadedBy(`const lib = require(${JSON.stringify(join(root, 'lib'))}); if (typeof lib.rehearse !== 'function') throw new Error('no rehearse')`);
    expect(loads(modules, '/lib/index.ts')).toBe(true);
    for (const binding of ['daemon-set-v1', 'deployment-v1', 'job-v1', 'config-map-v1', 'provider-helm/lib/release', 'provider-aws/lib/lb/', 'data-aws-vpc']) {
      expect([binding, loads(modules, binding)]).toEqual([binding, false]);
    }
    expect(loads(modules, 'lib/rehearsal/rehearse.ts')).toBe(false);
  });

  test('a Weave Net cluster loads its own bindings and none of the other plugins or features', () => {
    const modules = modulesLoadedBy(`
      const { App, TerraformStack } = require('cdktf');
      const { KubeadmCluster, Cni } = require(${JSON.stringify(join(root, 'lib'))});
      const stack = new TerraformStack(new App(), 's');
      new KubeadmCluster(stack, 'c', { clusterName: 'demo', cni: Cni.weave(), apiAccessCidrs: ['192.0.2.0/24'] })`);
    expect(loads(modules, 'provider-kubernetes/lib/daemon-set-v1')).toBe(true);
    expect(loads(modules, 'provider-kubernetes/lib/job-v1')).toBe(true);
    for (const unused of ['config-map-v1', 'secret-v1', 'provider-random/lib/password', 'provider-helm/lib/release', 'provider-aws/lib/lb/', 'data-aws-vpc', 'data-aws-subnet', 'lib/rehearsal/rehearse.ts']) {
      expect([unused, loads(modules, unused)]).toEqual([unused, false]);
    }
  });
});
