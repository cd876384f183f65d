import { NGINX_CONFIG } from '../lib/kubernetes/connectivity-check';
import { EXAMPLES } from '../examples/synth';
import { validateCluster } from '../lib/cluster-validation';
import { CLOUD_CHECK_SCRIPT } from '../lib/kubernetes/cloud-check-script';
import { CONNECTIVITY_SCRIPT } from '../lib/kubernetes/connectivity-script';
import { problemsThrownBy } from './support/problems';
import { k8sObjectsOf, validateK8sObject } from './support/k8s-objects';
import { synthesisedExample } from './support/example-synth';
import { hasTool, shellcheck } from './support/validators';
import { synthesisedCluster } from './support/cluster-synth';

describe('connectivity check', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
  // The check's objects live in the namespace it creates, referenced by the namespace resource.
  const objects = k8sObjectsOf(synth.json).filter((o) => /^\$\{kubernetes_namespace_v1\..*connectivity-check.*\}$/.test(o.metadata?.namespace ?? '') || o.metadata?.name === 'kubeadm-connectivity-check');

  test('the servers answer /client-address with the address a request came from, and the Job knows its own', () => {
    const config = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(config.data['default.conf']).toBe(NGINX_CONFIG);
    expect(NGINX_CONFIG).toContain('location = /client-address {');
    expect(NGINX_CONFIG).toContain('return 200 "$remote_addr\\n";');
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.template.spec.containers[0].volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/nginx/conf.d/default.conf', subPath: 'default.conf', readOnly: true }]);
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'pod-network-check')!;
    expect(job.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'POD_IP')).toEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  });

  test('is a namespace, two nginx replicas on two nodes, a Service, a headless Service, a Job and its node reader', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubeadm-connectivity-check',
      'ClusterRoleBinding/kubeadm-connectivity-check',
      'ConfigMap/nginx-config',
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

  test('the nginx pods gain no privileges, open no raw sockets, and have probes, requests and a memory limit', () => {
    const [nginx] = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers;
    expect(nginx.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['NET_RAW'] } });
    expect(nginx.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } });
    expect(nginx.readinessProbe.httpGet).toEqual({ path: '/', port: 80 });
    expect(nginx.livenessProbe.httpGet).toEqual({ path: '/', port: 80 });
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
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(['SA_DIR', 'PODS_DNS_NAME', 'EXPECTED_PODS', 'SERVICE_IP', 'SERVICE_DNS_NAME', 'EXPECTED_NODES', 'NODE_WAIT_SECONDS', 'EGRESS_URL', 'POD_IP']);
    // The control-plane node and the default pool's two workers.
    expect(container.env.find((e: { name: string }) => e.name === 'EXPECTED_NODES').value).toBe('3');
    expect(container.image).toBe('curlimages/curl:8.16.0');
    expect(container.env.find((e: { name: string }) => e.name === 'SERVICE_IP').value).toMatch(/^\$\{kubernetes_service_v1\..*\.spec\[0\]\.cluster_ip\}$/);
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(`#!/bin/sh\n${CONNECTIVITY_SCRIPT}`, 'sh')).toBe('');
    }
  });
});

describe('connectivity check with the cloud check', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], cloudCheck: true });
  const objects = k8sObjectsOf(synth.json).filter((o) => /connectivity-check/.test(o.metadata?.namespace ?? '') || /^kubeadm-(connectivity|cloud)-check$/.test(o.metadata?.name ?? ''));
  const cloudJob = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'cloud-check')!;
  const env = (name: string) => cloudJob.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === name).value;

  test('adds a Job, its account and what it may do: create, read and delete Services, claims and pods in its namespace, read volumes', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kubeadm-cloud-check',
      'ClusterRole/kubeadm-connectivity-check',
      'ClusterRoleBinding/kubeadm-cloud-check',
      'ClusterRoleBinding/kubeadm-connectivity-check',
      'ConfigMap/nginx-config',
      'Deployment/nginx',
      'Job/cloud-check',
      'Job/pod-network-check',
      'Namespace/kubeadm-connectivity-check',
      'Role/kubeadm-cloud-check',
      'RoleBinding/kubeadm-cloud-check',
      'Service/nginx',
      'Service/nginx-pods',
      'ServiceAccount/cloud-check',
      'ServiceAccount/node-check',
    ]);
    const role = objects.find((o) => o.kind === 'Role')!;
    expect(role.metadata.namespace).toMatch(/kubernetes_namespace_v1/);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['services', 'persistentvolumeclaims', 'pods'], verbs: ['create', 'get', 'delete'] }]);
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'kubeadm-cloud-check')!;
    expect(clusterRole.rules).toEqual([{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get'] }]);
    for (const object of objects) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
  });

  test('runs after the pod network check and the EBS CSI driver, with the objects it creates and the script', () => {
    const [jobKey] = synth.resources('kubernetes_job_v1').find(([, j]) => j.metadata.name === 'cloud-check')!;
    const [networkJobKey] = synth.resources('kubernetes_job_v1').find(([, j]) => j.metadata.name === 'pod-network-check')!;
    const [ebsKey] = synth.resources('helm_release').find(([, r]) => r.chart === 'aws-ebs-csi-driver')!;
    const job = synth.json.resource.kubernetes_job_v1[jobKey];
    expect(job.depends_on).toContain(`kubernetes_job_v1.${networkJobKey}`);
    const networkJob = synth.json.resource.kubernetes_job_v1[networkJobKey];
    expect(JSON.stringify(synth.json.resource.kubernetes_namespace_v1)).toContain(`helm_release.${ebsKey}`);
    expect(networkJob.wait_for_completion).toBe(true);
    expect(job.wait_for_completion).toBe(true);
    expect(cloudJob.spec.template.spec.containers[0].command).toEqual(['sh', '-c', CLOUD_CHECK_SCRIPT]);
    expect(JSON.parse(env('SERVICE_JSON')).spec).toMatchObject({ type: 'LoadBalancer', selector: { app: 'kubeadm-connectivity-check' } });
    expect(JSON.parse(env('CLAIM_JSON')).spec.storageClassName).toBe('gp3');
    expect(JSON.parse(env('POD_JSON')).spec.volumes[0].persistentVolumeClaim.claimName).toBe(env('CLAIM_NAME'));
    // Its deadline leaves a whole second attempt, and the pod time to remove what it made when stopped.
    const waits = Number(env('VOLUME_WAIT_SECONDS')) + Number(env('LB_WAIT_SECONDS')) + Number(env('CLEANUP_WAIT_SECONDS'));
    expect(cloudJob.spec.activeDeadlineSeconds).toBe(2 * waits);
    expect(cloudJob.spec.template.spec.terminationGracePeriodSeconds).toBe(Number(env('CLEANUP_WAIT_SECONDS')));
  });

  test('is off by default, and refused without what it proves', () => {
    const plain = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
    expect(plain.resources('kubernetes_job_v1').map(([, j]) => j.metadata.name)).toEqual(['pod-network-check']);
    const problems = (props: object) =>
      problemsThrownBy(() => validateCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], cloudCheck: true, ...props })).map((p) => [p.property, p.fix]);
    expect(problems({ connectivityCheck: false })).toEqual([['cloudCheck', 'leave connectivityCheck on, or cloudCheck off']]);
    expect(problems({ ebsCsiDriver: false })).toEqual([['cloudCheck', 'leave cloudControllerManager and ebsCsiDriver on, or cloudCheck off']]);
    expect(problems({ cloudControllerManager: false })).toEqual([['cloudCheck', 'leave cloudControllerManager and ebsCsiDriver on, or cloudCheck off']]);
    expect(problems({})).toEqual([]);
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
