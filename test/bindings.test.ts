import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');
const lib = JSON.stringify(join(root, 'lib'));

// One fresh process: which modules are loaded after importing the package, and after building a
// Weave Net cluster with it.
const program = `
  const loaded = () => Object.keys(require.cache).map((file) => file.replace(/\\\\\\\\/g, '/'));
  const lib = require(${lib});
  if (typeof lib.rehearse !== 'function') throw new Error('no rehearse');
  const afterImport = loaded();
  const { App, TerraformStack } = require('cdktf');
  const stack = new TerraformStack(new App({ outdir: '/tmp/unused' }), 's');
  new lib.KubeadmCluster(stack, 'c', { clusterName: 'demo', cni: lib.Cni.weave(), cloudControllerManager: false });
  const afterCluster = loaded();
  new lib.KubeadmCluster(stack, 'd', { clusterName: 'other', cni: lib.Cni.weave() });
  process.stdout.write(JSON.stringify({ afterImport, afterCluster, afterDefaults: loaded() }));
`;
const { afterImport, afterCluster, afterDefaults } = JSON.parse(execFileSync(process.execPath, ['--require', join(root, 'own-source-maps.js'), '--import', 'tsx', '-e', program], { cwd: root, encoding: 'utf8' })) as Record<string, string[]>;

const loads = (modules: string[], fragment: string) => modules.some((m) => m.includes(fragment));

// A stack pays only for the bindings of the plugins and features it uses, and never for the rehearsal.
describe('provider bindings load on use', () => {
  test('importing the package loads no plugin binding and not the rehearsal', () => {
    expect(loads(afterImport, '/lib/index.ts')).toBe(true);
    for (const binding of ['daemon-set-v1', 'deployment-v1', 'job-v1', 'config-map-v1', 'provider-helm/lib/release', 'provider-aws/lib/lb/', 'data-aws-vpc']) {
      expect([binding, loads(afterImport, binding)]).toEqual([binding, false]);
    }
    expect(loads(afterImport, 'lib/rehearsal/rehearse.ts')).toBe(false);
  });

  test('the cloud controller manager and the EBS driver, on by default, are Helm releases', () => {
    expect(loads(afterDefaults, 'provider-helm/lib/release')).toBe(true);
  });

  test('the destroy cleanup, on by default with the cloud integration, loads the Lambda bindings; a cluster without it does not', () => {
    for (const binding of ['provider-aws/lib/lambda-function/', 'provider-aws/lib/lambda-invocation/', 'provider-aws/lib/cloudwatch-log-group/']) {
      expect([binding, loads(afterImport, binding), loads(afterCluster, binding), loads(afterDefaults, binding)]).toEqual([binding, false, false, true]);
    }
  });

  test('a Weave Net cluster without the cloud integration loads its own bindings and none of the other plugins or features', () => {
    expect(loads(afterCluster, 'provider-kubernetes/lib/daemon-set-v1')).toBe(true);
    expect(loads(afterCluster, 'provider-kubernetes/lib/job-v1')).toBe(true);
    // The connectivity check's nginx configuration (its /client-address) is a ConfigMap.
    expect(loads(afterCluster, 'provider-kubernetes/lib/config-map-v1')).toBe(true);
    for (const unused of ['secret-v1', 'provider-random/lib/password', 'provider-helm/lib/release', 'provider-aws/lib/lb/', 'data-aws-vpc', 'lib/rehearsal/rehearse.ts']) {
      expect([unused, loads(afterCluster, unused)]).toEqual([unused, false]);
    }
  });
});

// bench/bindings.ts is the baseline the synth benchmark divides by: the bare stack plus every binding
// module the default example loads. A feature that loads a new binding must add it there too, or the
// benchmark refuses to run; this catches it in the fast tier instead.
describe('the synth benchmark baseline', () => {
  test('imports exactly the binding modules a cluster with defaults loads', () => {
    // The six providers' own modules are the bare stack's, which the baseline builds on.
    const notProvider = (m: string) => !m.endsWith('/lib/provider');
    const bindingModules = (files: string[]) =>
      [...new Set(files.map((f) => /node_modules\/(@cdktf\/provider-[a-z]+\/lib\/[a-z0-9-]+)\//.exec(f)?.[1]).filter((m): m is string => Boolean(m)))].filter(notProvider).sort();
    const baseline = [...require('node:fs').readFileSync(join(root, 'bench/bindings.ts'), 'utf8').matchAll(/^import '(@cdktf\/provider-[a-z]+\/lib\/[a-z0-9-]+)';$/gm)].map((m) => m[1]).filter(notProvider).sort();
    expect(baseline.length).toBeGreaterThan(40);
    expect(baseline).toEqual(bindingModules(afterDefaults));
  });
});
