import { PersistentVolumeClaim, Pod, Service } from 'kubernetes-models/v1';
import { cloudCheckObjects, VOLUME_POD_SCRIPT } from '../lib/kubernetes/cloud-check-objects';
import { hasTool, shellcheck } from './support/validators';

const objects = cloudCheckObjects({ serverLabels: { app: 'kubeadm-connectivity-check' }, serverPortName: 'http', storageClass: 'gp3', image: 'nginx:1.29-alpine' }) as any;

describe('cloud check objects', () => {
  test('validate against the kubernetes-models schemas, and a schema error would be caught', () => {
    expect(() => new Service(objects.service).validate()).not.toThrow();
    expect(() => new PersistentVolumeClaim(objects.claim).validate()).not.toThrow();
    expect(() => new Pod(objects.pod).validate()).not.toThrow();
    expect(() => new Pod({ ...objects.pod, spec: { ...objects.pod.spec, restartPolicy: 3 } }).validate()).toThrow(/restartPolicy/);
    expect(() => new PersistentVolumeClaim({ ...objects.claim, spec: { ...objects.claim.spec, accessModes: 'ReadWriteOnce' } }).validate()).toThrow(/accessModes/);
  });

  test("a load balancer in front of the check's nginx pods, on their named port", () => {
    expect(objects.service.spec).toEqual({ type: 'LoadBalancer', selector: { app: 'kubeadm-connectivity-check' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
    // Its own label differs from the pods', so it does not select itself into other selectors.
    expect(objects.service.metadata.labels).toEqual({ app: 'kubeadm-cloud-check' });
  });

  test('a 1 GiB claim on the given StorageClass, mounted by a pod that runs once', () => {
    expect(objects.claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '1Gi' } } });
    expect(objects.pod.spec.restartPolicy).toBe('Never');
    expect(objects.pod.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: objects.claim.metadata.name } }]);
    expect(objects.pod.spec.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(objects.pod.spec.containers[0].command).toEqual(['sh', '-c', VOLUME_POD_SCRIPT]);
  });

  test("the pod's program checks that /data is a mount, writes, flushes and reads back; no Terraform template sequence", () => {
    expect(VOLUME_POD_SCRIPT.split('\n').filter((l) => l.length > 0)).toEqual([
      'set -eu',
      'grep -q " /data " /proc/mounts',
      'echo kubeadm-cloud-check > /data/check',
      'sync',
      'test "$(cat /data/check)" = kubeadm-cloud-check',
      'echo "wrote and read /data/check"',
    ]);
    expect(JSON.stringify(objects)).not.toMatch(/[$%]\{/);
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(`#!/bin/sh\n${VOLUME_POD_SCRIPT}`, 'sh')).toBe('');
    }
  });
});
