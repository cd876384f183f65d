import { readFileSync, statSync } from 'node:fs';
import { packagesFor, PACKAGES_BY_MINOR } from '../lib/bootstrap/node-packages';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { etcdToolsProgram } from '../lib/operations/etcd-tools-program';
import { NodeSandbox } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';

// etcdctl and etcdutl copied from kubeadm's etcd image with ctr (a stand-in that "mounts" an image
// as a folder holding the image's /usr/local/bin).

const IMAGE = 'registry.k8s.io/etcd:3.6.8-0';


describe('etcd tools from the etcd image', () => {
  test('pulls the pinned image in the k8s.io namespace, copies both tools and unmounts', () => {
    const s = new NodeSandbox();
    try {
      s.standIn('ctr', `
case "$3 $4" in
  'images pull') exit 0 ;;
  'images mount') mkdir -p "$6/usr/local/bin"; for t in etcd etcdctl etcdutl; do printf '#!/bin/sh\\necho %s\\n' "$t" > "$6/usr/local/bin/$t"; done ;;
  'images unmount') exit 0 ;;
  *) exit 2 ;;
esac`);
      const result = s.run(etcdToolsProgram({ image: IMAGE, binDir: s.path('/usr/local/bin') }));
      expect(result.status).toBe(0);
      expect(s.callLines('ctr').map((l) => l.replace(/\/tmp\/\S+/, 'DIR'))).toEqual([
        `ctr -n k8s.io images pull ${IMAGE}`,
        `ctr -n k8s.io images mount ${IMAGE} DIR`,
        'ctr -n k8s.io images unmount DIR',
      ]);
      for (const tool of ['etcdctl', 'etcdutl']) {
        expect(readFileSync(s.path(`/usr/local/bin/${tool}`), 'utf8')).toContain(tool);
        expect(statSync(s.path(`/usr/local/bin/${tool}`)).mode & 0o777).toBe(0o755);
      }
      expect(s.exists('/usr/local/bin/etcd')).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  test('an image without etcdutl is a failure that names it, and nothing is installed', () => {
    const s = new NodeSandbox();
    try {
      s.standIn('ctr', `
case "$3 $4" in
  'images mount') mkdir -p "$6/usr/local/bin"; printf '#!/bin/sh\\n' > "$6/usr/local/bin/etcdctl" ;;
  *) exit 0 ;;
esac`);
      const result = s.run(etcdToolsProgram({ image: IMAGE, binDir: s.path('/usr/local/bin') }));
      expect(result.status).toBe(1);
      expect(result.output).toContain(`${IMAGE} has no /usr/local/bin/etcdutl`);
      expect(s.exists('/usr/local/bin/etcdctl')).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  test('every supported minor pins an etcd image of the 3.6 series', () => {
    for (const minor of Object.keys(PACKAGES_BY_MINOR).map(Number)) {
      expect(PACKAGES_BY_MINOR[minor].etcdImage).toMatch(/^registry\.k8s\.io\/etcd:3\.6\.\d+-0$/);
    }
    expect(packagesFor(KubernetesVersion.of('1.36.4')).etcdImage).toBe(IMAGE);
  });

  test('is shellcheck-clean', () => {
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(etcdToolsProgram({ image: IMAGE }))).toBe('');
    }
  });
});
