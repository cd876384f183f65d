import { EXAMPLES } from '../examples/synth';
import { KubeadmCluster } from '../lib';
import { CONNECTIVITY_SCRIPT } from '../lib/kubernetes/connectivity-script';
import { k8sObjectsOf, validateK8sObject } from './support/k8s-objects';
import { synthesisedExample } from './support/example-synth';
import { synthStack } from './support/synth';
import { hasTool, shellcheck } from './support/validators';

describe('connectivity check', () => {
  const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] }));
  // The check's objects live in the namespace it creates, referenced by the namespace resource.
  const objects = k8sObjectsOf(synth.json).filter((o) => /^\$\{kubernetes_namespace_v1\..*connectivity-check.*\}$/.test(o.metadata?.namespace ?? '') || o.metadata?.name === 'kubeadm-connectivity-check');

  test('is a namespace, two nginx replicas on two nodes, a Service, a headless Service, a Job and its node reader', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubeadm-connectivity-check',
      'ClusterRoleBinding/kubeadm-connectivity-check',
      'Deployment/nginx',
      'Job/pod-network-check',
      'Namespace/kubeadm-connectivity-check',
      'Service/nginx',
      'Service/nginx-pods',
      'ServiceAccount/node-check',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]).toEqual({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: { app: 'kubeadm-connectivity-check' } },
    });
    expect(objects.find((o) => o.metadata.name === 'nginx-pods')!.spec.clusterIP).toBe('None');
  });

  test('the Job may list and read nodes, nothing else', () => {
    const role = objects.find((o) => o.kind === 'ClusterRole')!;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }]);
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: expect.stringMatching(/service_account_v1\..*metadata\[0\]\.name|node-check/), namespace: expect.stringMatching(/kubernetes_namespace_v1/) }]);
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.serviceAccountName).toMatch(/service_account_v1\..*metadata\[0\]\.name|node-check/);
  });

  test('every object validates against the kubernetes-models schemas', () => {
    for (const object of objects) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
  });

  test('a schema error would be caught', () => {
    const job = structuredClone(objects.find((o) => o.kind === 'Job')!);
    job.spec.backoffLimit = 'four';
    expect(() => validateK8sObject(job)).toThrow(/backoffLimit/);
  });

  test('the Job reaches pods by IP and the Service by IP and DNS name, with a script shellcheck passes', () => {
    const job = objects.find((o) => o.kind === 'Job')!;
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['sh', '-c', CONNECTIVITY_SCRIPT]);
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(['SA_DIR', 'PODS_DNS_NAME', 'EXPECTED_PODS', 'SERVICE_IP', 'SERVICE_DNS_NAME', 'EXPECTED_NODES', 'NODE_WAIT_SECONDS', 'EGRESS_URL']);
    // The control-plane node and the default pool's two workers.
    expect(container.env.find((e: { name: string }) => e.name === 'EXPECTED_NODES').value).toBe('3');
    expect(container.image).toBe('curlimages/curl:8.16.0');
    expect(container.env.find((e: { name: string }) => e.name === 'SERVICE_IP').value).toMatch(/^\$\{kubernetes_service_v1\..*\.spec\[0\]\.cluster_ip\}$/);
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(`#!/bin/sh\n${CONNECTIVITY_SCRIPT}`, 'sh')).toBe('');
    }
  });
});

describe('every Kubernetes object of every example', () => {
  test.each(Object.keys(EXAMPLES))('%s validates against the kubernetes-models schemas', (example) => {
    const synth = synthesisedExample(example);
    const objects = k8sObjectsOf(synth.json);
    expect(objects.length).toBeGreaterThan(3);
    for (const object of objects) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
  });
});
