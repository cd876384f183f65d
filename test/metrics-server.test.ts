import { parse } from 'yaml';
import { KubeadmCluster } from '../lib';
import { ec2PrivateDnsNameRegex, kubeletCsrApproverValues } from '../lib/addons/kubelet-csr-approver';
import { metricsServerValues } from '../lib/addons/metrics-server';
import { ClusterNetworkSource } from '../lib/network/network-source';
import { NatGateways } from '../lib/network/nat-gateways';
import { problemsThrownBy } from './support/problems';
import { synthStack } from './support/synth';
import { waitKinds } from './support/addon-waits';
import { synthesisedCluster } from './support/cluster-synth';

/**
 * The value keys the two charts read, as their values.yaml files list them: metrics-server chart
 * 3.13.1 (kubernetes-sigs/metrics-server `charts/metrics-server/values.yaml`; the deployment
 * renders `defaultArgs` followed by `args`) and kubelet-csr-approver chart 1.2.14
 * (postfinance/kubelet-csr-approver `charts/kubelet-csr-approver/values.yaml`, whose deployment
 * turns each setting into the flag of the same name). Neither chart has a values schema, so a
 * misspelt key would be ignored silently: these lists are what the values are held against.
 */
const METRICS_SERVER_KEYS_3_13_1 = {
  root: ['image', 'imagePullSecrets', 'nameOverride', 'fullnameOverride', 'serviceAccount', 'rbac', 'apiService', 'commonLabels', 'podLabels', 'podAnnotations', 'podSecurityContext', 'securityContext', 'priorityClassName', 'containerPort', 'hostNetwork', 'replicas', 'revisionHistoryLimit', 'updateStrategy', 'podDisruptionBudget', 'defaultArgs', 'args', 'livenessProbe', 'readinessProbe', 'service', 'addonResizer', 'metrics', 'serviceMonitor', 'resources', 'extraVolumeMounts', 'extraVolumes', 'nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints', 'dnsConfig', 'deploymentAnnotations', 'schedulerName', 'tmpVolume'],
  image: ['repository', 'tag', 'pullPolicy'],
  // The chart's defaults, which the values leave in place.
  defaultArgs: ['--cert-dir=/tmp', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s'],
};
const KUBELET_CSR_APPROVER_KEYS_1_2_14 = [
  'providerRegex', 'maxExpirationSeconds', 'bypassDnsResolution', 'bypassHostnameCheck', 'allowedDnsNames', 'ignoreNonSystemNode', 'skipDenyStep', 'providerIpPrefixes', 'loggingLevel', 'namespace',
  'image', 'imagePullSecrets', 'nameOverride', 'fullnameOverride', 'metrics', 'serviceAccount', 'podAnnotations', 'podSecurityContext', 'securityContext', 'resources', 'nodeSelector', 'tolerations', 'affinity', 'rbac', 'env', 'dnsPolicy',
];

describe('metrics-server values', () => {
  const values = metricsServerValues() as any;

  test('use only keys chart 3.13.1 reads', () => {
    for (const key of Object.keys(values)) {
      expect([key, METRICS_SERVER_KEYS_3_13_1.root.includes(key)]).toEqual([key, true]);
    }
    for (const key of Object.keys(values.image)) {
      expect([key, METRICS_SERVER_KEYS_3_13_1.image.includes(key)]).toEqual([key, true]);
    }
  });

  test('verify kubelets: no --kubelet-insecure-tls among the arguments, the image pinned to the chart\'s app version', () => {
    const args = [...METRICS_SERVER_KEYS_3_13_1.defaultArgs, ...values.args];
    expect(args.filter((a: string) => a.startsWith('--kubelet-insecure-tls'))).toEqual([]);
    expect(values).not.toHaveProperty('defaultArgs');
    expect(values.image).toEqual({ repository: 'registry.k8s.io/metrics-server/metrics-server', tag: 'v0.8.1' });
  });
});

describe('kubelet-csr-approver values', () => {
  const values = kubeletCsrApproverValues({ region: 'eu-west-1', vpcCidr: '10.0.0.0/16' }) as any;

  test('use only keys chart 1.2.14 reads', () => {
    for (const key of Object.keys(values)) {
      expect([key, KUBELET_CSR_APPROVER_KEYS_1_2_14.includes(key)]).toEqual([key, true]);
    }
  });

  test('admit addresses of the VPC only and make the name resolve to them', () => {
    expect(values.providerIpPrefixes).toEqual(['10.0.0.0/16']);
    expect(values.bypassDnsResolution).toBe(false);
    expect(values).not.toHaveProperty('bypassHostnameCheck');
    expect(values).not.toHaveProperty('allowedDnsNames');
  });

  test("providerRegex admits EC2's private DNS names of the region and nothing else", () => {
    const regex = new RegExp(values.providerRegex);
    for (const name of ['ip-10-0-0-4.eu-west-1.compute.internal', 'i-0123456789abcdef0.eu-west-1.compute.internal', 'ip-10-0-128-10.ec2.internal']) {
      expect([name, regex.test(name)]).toEqual([name, true]);
    }
    for (const name of [
      'ip-10-0-0-4',
      'ip-10-0-0-4.eu-west-2.compute.internal',
      'ec2-203-0-113-7.eu-west-1.compute.amazonaws.com',
      'ip-10-0-0-4.eu-west-1.compute.internal.example.com',
      'evil.ip-10-0-0-4.eu-west-1.compute.internal',
      'ip-10-0-0-4xeu-west-1.compute.internal',
    ]) {
      expect([name, regex.test(name)]).toEqual([name, false]);
    }
    expect(ec2PrivateDnsNameRegex('us-east-1')).toContain('us-east-1\\.compute\\.internal');
  });
});

describe('KubeadmCluster with metrics-server (the default)', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
  const releases = synth.resources('helm_release');
  const [, approver] = releases.find(([, r]) => r.chart === 'kubelet-csr-approver')!;
  const [, metrics] = releases.find(([, r]) => r.chart === 'metrics-server')!;
  const [ccmKey] = releases.find(([, r]) => r.chart === 'aws-cloud-controller-manager')!;

  test('the pinned charts in kube-system, both after the cloud controller manager and the network plugin', () => {
    expect(approver).toMatchObject({ provider: 'helm.demo', repository: 'https://postfinance.github.io/kubelet-csr-approver', version: '1.2.14', namespace: 'kube-system', create_namespace: false });
    expect(metrics).toMatchObject({ provider: 'helm.demo', repository: 'https://kubernetes-sigs.github.io/metrics-server', version: '3.13.1', namespace: 'kube-system', create_namespace: false });
    for (const release of [approver, metrics]) {
      expect(release.depends_on).toContain(`helm_release.${ccmKey}`);
      expect(release.depends_on.some((d: string) => d.startsWith('kubernetes_daemon_set_v1.'))).toBe(true);
    }
  });

  test('the approver waits for exactly the API, the pod network and initialised nodes: it runs on the control plane', () => {
    expect(waitKinds(approver)).toEqual(['the API readiness wait', 'the cloud controller manager', 'the network plugin']);
  });

  test('metrics-server waits for the same and for workers, not for the approver: they install side by side', () => {
    expect(waitKinds(metrics)).toEqual(['a worker group', 'the API readiness wait', 'the cloud controller manager', 'the network plugin']);
  });

  test("the approver's regex survives YAML and Terraform: the region's token, then EC2's names", () => {
    const values = parse(approver.values[0]);
    expect(values.providerIpPrefixes).toEqual(['10.0.0.0/16']);
    const regionToken = values.providerRegex.match(/\$\{data\.aws_region\.[^}]+\}/)![0];
    const regex = new RegExp(values.providerRegex.replace(regionToken, 'eu-west-1'));
    expect(regex.test('ip-10-0-0-4.eu-west-1.compute.internal')).toBe(true);
    expect(regex.test('ip-10-0-0-4.eu-west-1Xcompute.internal')).toBe(false);
  });

  test('workers ask the approver for serving certificates; control-plane kubelets do not (the cluster CA signs theirs on the node)', () => {
    const isControlPlane = ([id]: [string, unknown]) => id.includes('_control-plane_');
    const workers = synth.resources('aws_launch_template').filter((t) => !isControlPlane(t));
    const controlPlane = synth.resources('aws_launch_template').filter(isControlPlane);
    expect(workers.length).toBeGreaterThan(0);
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const userData of workers.map(([, t]) => JSON.stringify(t))) {
      expect(userData).toContain('rotate-server-certificates');
    }
    for (const [, instance] of controlPlane) {
      expect(JSON.stringify(instance)).not.toContain('rotate-server-certificates');
    }
  });

  test('is left out when turned off, without the cloud controller manager, or with workers in public subnets', () => {
    const charts = (props: object) =>
      synthStack((stack) => new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], ...props }))
        .resources('helm_release')
        .map(([, r]) => r.chart)
        .filter((c: string) => c === 'metrics-server' || c === 'kubelet-csr-approver');
    expect(charts({ metricsServer: false })).toEqual([]);
    expect(charts({ cloudControllerManager: false })).toEqual([]);
    expect(charts({ network: ClusterNetworkSource.newVpc({ natGateways: NatGateways.none() }) })).toEqual([]);
  });

  test('asking for it where the approver could not approve the workers is refused, with the fix', () => {
    const build = (props: object) => () => synthStack((stack) => new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], metricsServer: true, ...props }));
    expect(problemsThrownBy(build({ cloudControllerManager: false })).map((p) => [p.property, p.fix])).toEqual([['metricsServer', 'leave cloudControllerManager on, or metricsServer off']]);
    const publicWorkers = problemsThrownBy(build({ network: ClusterNetworkSource.newVpc({ natGateways: NatGateways.none() }) }));
    expect(publicWorkers.map((p) => [p.property, p.value])).toEqual([['metricsServer', 'true']]);
    expect(publicWorkers[0].fix).toContain('NatGateways.single()');
  });
});
