import { readFileSync, statSync } from 'node:fs';
import { packagesFor, PACKAGES_BY_MINOR } from '../lib/bootstrap/node-packages';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { etcdImageVersion, etcdToolsProgram, FIRST_ETCD_IMAGE_WITH_ETCDUTL } from '../lib/operations/etcd-tools-program';
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
  'images mount') mkdir -p "$6/usr/local/bin"; for t in etcd etcdctl etcdutl; do printf '#!/bin/sh\\necho "%s version: 3.6.8"\\necho "API version: 3.6"\\n' "$t" > "$6/usr/local/bin/$t"; done ;;
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

  test("a tool that does not report the image's etcd version is refused, and nothing is installed", () => {
    const s = new NodeSandbox();
    try {
      // etcdutl from another release (a mislabelled image, or the wrong architecture would fail to run at all).
      s.standIn('ctr', `
case "$3 $4" in
  'images mount') mkdir -p "$6/usr/local/bin"; printf '#!/bin/sh\\necho "etcdctl version: 3.6.8"\\n' > "$6/usr/local/bin/etcdctl"; printf '#!/bin/sh\\necho "etcdutl version: 3.5.21"\\n' > "$6/usr/local/bin/etcdutl" ;;
  *) exit 0 ;;
esac`);
      const result = s.run(etcdToolsProgram({ image: IMAGE, binDir: s.path('/usr/local/bin') }));
      expect(result.status).toBe(1);
      expect(result.output).toContain(`etcdutl from ${IMAGE} does not report version 3.6.8 (it printed: etcdutl version: 3.5.21); nothing installed`);
      expect(s.exists('/usr/local/bin/etcdctl')).toBe(false);
      expect(s.exists('/usr/local/bin/etcdutl')).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  test('refuses, at synth, a tag built before etcdutl was in the image', () => {
    // Up to 3.6.4-0 the tags were built by kubernetes/kubernetes cluster/images/etcd (etcd and etcdctl only).
    expect(() => etcdToolsProgram({ image: 'registry.k8s.io/etcd:3.6.4-0' })).toThrow(
      'etcd image registry.k8s.io/etcd:3.6.4-0 has no etcdutl (tags before 3.6.5-0 were built by kubernetes/kubernetes cluster/images/etcd with etcd and etcdctl only); pin 3.6.5-0 or later in PACKAGES_BY_MINOR',
    );
    expect(() => etcdToolsProgram({ image: 'registry.k8s.io/etcd:3.5.21-0' })).toThrow('has no etcdutl');
    expect(() => etcdToolsProgram({ image: 'quay.io/coreos/etcd:v3.6.8' })).toThrow('expected registry.k8s.io/etcd:<version>-<revision>');
    expect(etcdImageVersion('registry.k8s.io/etcd:3.6.5-0')).toBe('3.6.5');
    expect(etcdImageVersion('registry.k8s.io/etcd:3.7.0-0')).toBe('3.7.0');
    expect(FIRST_ETCD_IMAGE_WITH_ETCDUTL).toBe('3.6.5-0');
  });

  test('every supported minor pins an etcd image of the 3.6 series, one that ships etcdutl', () => {
    for (const minor of Object.keys(PACKAGES_BY_MINOR).map(Number)) {
      expect(etcdImageVersion(PACKAGES_BY_MINOR[minor].etcdImage)).toMatch(/^3\.6\.\d+$/);
    }
    expect(packagesFor(KubernetesVersion.of('1.36.4')).etcdImage).toBe(IMAGE);
  });

  test('is shellcheck-clean', () => {
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(etcdToolsProgram({ image: IMAGE }))).toBe('');
    }
  });
});
