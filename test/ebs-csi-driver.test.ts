import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1';
import { parse } from 'yaml';
import { ebsCsiDriverValues } from '../lib/addons/ebs-csi-driver';
import { ebsCsiDriverPolicy } from '../lib/addons/ebs-csi-policy';
import { webIdentityPodSpec } from '../lib/addons/web-identity';
import { KubeadmCluster } from '../lib';
import { problemsThrownBy } from './support/problems';
import { synthStack } from './support/synth';
import { waitKinds } from './support/addon-waits';
import { synthesisedCluster } from './support/cluster-synth';

/**
 * The keys of aws-ebs-csi-driver chart 2.64.0 that these values use, as its values.schema.json
 * allows them (root and `controller` have additionalProperties false, so a misspelt key fails the
 * install). The schema itself is not vendored here; these are the keys checked against it.
 */
const SCHEMA_KEYS_2_64_0 = {
  root: ['additionalDaemonSets', 'awsAccessSecret', 'controller', 'customLabels', 'debugLogs', 'defaultStorageClass', 'enabled', 'fips', 'fullnameOverride', 'global', 'helmTester', 'image', 'imagePullSecrets', 'nameOverride', 'node', 'nodeAllocatableUpdatePeriodSeconds', 'nodeComponentOnly', 'proxy', 'sidecars', 'storageClasses', 'useOldCSIDriver', 'volumeSnapshotClasses'],
  controller: ['additionalArgs', 'affinity', 'batching', 'containerSecurityContext', 'defaultFsType', 'deploymentAnnotations', 'dnsConfig', 'enableMetrics', 'enableNodeLocalVolumes', 'enablePrometheusAnnotations', 'env', 'envFrom', 'extraCreateMetadata', 'extraVolumeTags', 'httpEndpoint', 'initContainers', 'k8sTagClusterId', 'logLevel', 'loggingFormat', 'nameOverride', 'nodeSelector', 'otelTracing', 'podAnnotations', 'podDisruptionBudget', 'podLabels', 'priorityClassName', 'region', 'replicaCount', 'resources', 'revisionHistoryLimit', 'sdkDebugLog', 'securityContext', 'serviceAccount', 'serviceMonitor', 'socketDirVolume', 'tolerations', 'topologySpreadConstraints', 'updateStrategy', 'userAgentExtra', 'volumeModificationFeature', 'volumeMounts', 'volumes'],
  'controller.serviceAccount': ['create', 'name', 'annotations', 'automountServiceAccountToken'],
};

/** aws-ebs-csi-driver docs/example-iam-policy.json (commit 050d130f), statements in order. */
const UPSTREAM_EXAMPLE_POLICY = [
  { Action: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'ec2:DescribeVolumeStatus'], Resource: '*' },
  { Action: ['ec2:CreateSnapshot', 'ec2:ModifyVolume'], Resource: 'arn:aws:ec2:*:*:volume/*' },
  { Action: ['ec2:CopyVolumes'], Resource: ['arn:aws:ec2:*:*:volume/vol-*'] },
  { Action: ['ec2:AttachVolume', 'ec2:DetachVolume'], Resource: ['arn:aws:ec2:*:*:volume/*', 'arn:aws:ec2:*:*:instance/*'] },
  { Action: ['ec2:CreateVolume', 'ec2:EnableFastSnapshotRestores'], Resource: 'arn:aws:ec2:*:*:snapshot/*' },
  { Action: ['ec2:CreateTags'], Resource: ['arn:aws:ec2:*:*:volume/*', 'arn:aws:ec2:*:*:snapshot/*'], Condition: { StringEquals: { 'ec2:CreateAction': ['CreateVolume', 'CreateSnapshot', 'CopyVolumes'] } } },
  { Action: ['ec2:DeleteTags'], Resource: ['arn:aws:ec2:*:*:volume/*', 'arn:aws:ec2:*:*:snapshot/*'] },
  { Action: ['ec2:CreateVolume', 'ec2:CopyVolumes'], Resource: 'arn:aws:ec2:*:*:volume/*', Condition: { StringLike: { 'aws:RequestTag/ebs.csi.aws.com/cluster': 'true' } } },
  { Action: ['ec2:CreateVolume', 'ec2:CopyVolumes'], Resource: 'arn:aws:ec2:*:*:volume/*', Condition: { StringLike: { 'aws:RequestTag/CSIVolumeName': '*' } } },
  { Action: ['ec2:DeleteVolume'], Resource: 'arn:aws:ec2:*:*:volume/*', Condition: { StringLike: { 'ec2:ResourceTag/ebs.csi.aws.com/cluster': 'true' } } },
  { Action: ['ec2:DeleteVolume'], Resource: 'arn:aws:ec2:*:*:volume/*', Condition: { StringLike: { 'ec2:ResourceTag/CSIVolumeName': '*' } } },
  { Action: ['ec2:DeleteVolume'], Resource: 'arn:aws:ec2:*:*:volume/*', Condition: { StringLike: { 'ec2:ResourceTag/kubernetes.io/created-for/pvc/name': '*' } } },
  { Action: ['ec2:CreateSnapshot'], Resource: 'arn:aws:ec2:*:*:snapshot/*', Condition: { StringLike: { 'aws:RequestTag/CSIVolumeSnapshotName': '*' } } },
  { Action: ['ec2:CreateSnapshot'], Resource: 'arn:aws:ec2:*:*:snapshot/*', Condition: { StringLike: { 'aws:RequestTag/ebs.csi.aws.com/cluster': 'true' } } },
  { Action: ['ec2:DeleteSnapshot'], Resource: 'arn:aws:ec2:*:*:snapshot/*', Condition: { StringLike: { 'ec2:ResourceTag/CSIVolumeSnapshotName': '*' } } },
  { Action: ['ec2:DeleteSnapshot'], Resource: 'arn:aws:ec2:*:*:snapshot/*', Condition: { StringLike: { 'ec2:ResourceTag/ebs.csi.aws.com/cluster': 'true' } } },
];

const podSpec = webIdentityPodSpec({ roleArn: 'arn:aws:iam::111122223333:role/demo-ebs-csi-eu-west-1', region: 'eu-west-1' });

describe('EBS CSI driver values', () => {
  const values = ebsCsiDriverValues({ clusterName: 'demo', region: 'eu-west-1', podSpec }) as any;

  test('use only keys the chart schema allows', () => {
    for (const key of Object.keys(values)) {
      expect([key, SCHEMA_KEYS_2_64_0.root.includes(key)]).toEqual([key, true]);
    }
    for (const key of Object.keys(values.controller)) {
      expect([key, SCHEMA_KEYS_2_64_0.controller.includes(key)]).toEqual([key, true]);
    }
    for (const key of Object.keys(values.controller.serviceAccount)) {
      expect([key, SCHEMA_KEYS_2_64_0['controller.serviceAccount'].includes(key)]).toEqual([key, true]);
    }
    // The schema has no host-network option for the controller: web identity is the way.
    expect(SCHEMA_KEYS_2_64_0.controller).not.toContain('hostNetwork');
  });

  test('the controller acts by web identity, in the region, tagging what it makes with the cluster', () => {
    expect(values.controller).toMatchObject({ region: 'eu-west-1', k8sTagClusterId: 'demo', serviceAccount: { name: 'ebs-csi-controller-sa' } });
    // Everything of the web identity but AWS_REGION, which the chart renders from controller.region:
    // one AWS_REGION on the container, not two.
    expect(values.controller.env).toEqual(podSpec.env.filter((e) => e.name !== 'AWS_REGION'));
    expect(values.controller.env.map((e: any) => e.name)).toEqual(['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_STS_REGIONAL_ENDPOINTS']);
    expect(podSpec.env.map((e) => e.name)).toContain('AWS_REGION');
    expect(values.controller.volumes).toEqual(podSpec.volumes);
    expect(values.controller.volumeMounts).toEqual(podSpec.volumeMounts);
  });

  test('one default StorageClass, encrypted gp3, bound where the pod runs, as the chart renders it', () => {
    expect(values.storageClasses).toHaveLength(1);
    // templates/storageclass.yaml: name, annotations and labels go to metadata, the rest beside the provisioner.
    const { name, annotations, labels, ...rest } = values.storageClasses[0];
    const rendered = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, annotations, ...(labels ? { labels } : {}) }, provisioner: 'ebs.csi.aws.com', ...rest };
    expect(() => new StorageClass(rendered).validate()).not.toThrow();
    expect(rendered).toMatchObject({
      metadata: { name: 'gp3', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      volumeBindingMode: 'WaitForFirstConsumer',
      parameters: { type: 'gp3', encrypted: 'true' },
    });
    expect(() => new StorageClass({ ...rendered, volumeBindingMode: 7 as unknown as string }).validate()).toThrow();
  });
});

describe('EBS CSI driver permissions', () => {
  test('are the upstream example policy, statement for statement', () => {
    const ours = ebsCsiDriverPolicy('aws').Statement.map(({ Action, Resource, Condition }) => ({ Action, Resource, ...(Condition ? { Condition } : {}) }));
    const upstream = UPSTREAM_EXAMPLE_POLICY.map((s) => ({ ...s, Resource: typeof s.Resource === 'string' ? [s.Resource] : s.Resource }));
    expect(ours).toEqual(upstream);
  });
});

describe('KubeadmCluster with the EBS CSI driver (the default)', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
  const [, release] = synth.resources('helm_release').find(([, r]) => r.chart === 'aws-ebs-csi-driver')!;
  const [ccmKey] = synth.resources('helm_release').find(([, r]) => r.chart === 'aws-cloud-controller-manager')!;

  test('the pinned chart in kube-system, after the cloud controller manager, with its role by web identity', () => {
    expect(release).toMatchObject({ provider: 'helm.demo', repository: 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver', version: '2.64.0', namespace: 'kube-system' });
    expect(release.depends_on).toContain(`helm_release.${ccmKey}`);
    const values = parse(release.values[0]);
    const [roleKey, role] = synth.resources('aws_iam_role').find(([, r]) => String(r.name).startsWith('demo-ebs-csi-'))!;
    expect(values.controller.env.find((e: any) => e.name === 'AWS_ROLE_ARN').value).toBe(`\${aws_iam_role.${roleKey}.arn}`);
    expect(Object.values(JSON.parse(role.assume_role_policy).Statement[0].Condition.StringEquals)).toEqual(['system:serviceaccount:kube-system:ebs-csi-controller-sa', 'sts.amazonaws.com']);
  });

  test('the release waits for exactly the API, the pod network, initialised nodes, workers, the issuer and its permissions', () => {
    expect(waitKinds(release)).toEqual(['a worker group', 'the API readiness wait', 'the cloud controller manager', 'the network plugin', 'the published issuer', "the role's policy"]);
  });

  test('is left out without the cloud controller manager, and asking for it without one is refused', () => {
    const without = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], cloudControllerManager: false });
    expect(without.resources('helm_release').filter(([, r]) => r.chart === 'aws-ebs-csi-driver')).toEqual([]);
    const problems = problemsThrownBy(() => synthStack((stack) => new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], cloudControllerManager: false, ebsCsiDriver: true })));
    expect(problems.map((p) => p.property)).toEqual(['ebsCsiDriver']);
  });
});
