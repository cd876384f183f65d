import { ADDONS_BY_MINOR, CLUSTER_AUTOSCALER_CHART, CLUSTER_AUTOSCALER_CHART_REPOSITORY, CLUSTER_AUTOSCALER_CHART_VERSION } from '../lib/addons/addon-versions';
import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, clusterAutoscalerArgs, clusterAutoscalerValues, MAX_NODE_PROVISION_MINUTES } from '../lib/addons/cluster-autoscaler';
import { ClusterAutoscaler } from '../lib/addons/cluster-autoscaler-options';
import { CLUSTER_AUTOSCALER_READ_ACTIONS, clusterAutoscalerPolicy } from '../lib/addons/cluster-autoscaler-policy';
import { terminationEventRules } from '../lib/addons/termination-events';
import { webIdentityPodSpec } from '../lib/addons/web-identity';
import { budgetMinutes, controlPlaneBootBudget } from '../lib/bootstrap/boot-budget';
import { joinConfiguration } from '../lib/bootstrap/kubeadm-config';
import { SUPPORTED_KUBERNETES_MINORS } from '../lib/bootstrap/kubernetes-version';
import { KubeadmCluster } from '../lib/cluster';
import type { KubeadmClusterProps } from '../lib/cluster-props';
import { autoscalingTags } from '../lib/nodes/autoscaling-tags';
import { LAUNCH_HEARTBEAT_SECONDS, TERMINATION_HOOK_NAME } from '../lib/nodes/lifecycle-hooks';
import { resolveWorkerPools, TaintEffect } from '../lib/nodes/worker-pool-options';
import { ClusterConfigError, ProblemList } from '../lib/plan/problems';
import { synthesisedExample } from './support/example-synth';
import { synthStack } from './support/synth';

// cluster-autoscaler (kubernetes/autoscaler, chart 9.59.0, releases 1.34.5, 1.35.2, 1.36.1): its
// versions, tags, permissions and chart values, and how it works with the termination handler's
// hooks and the Spot pools' capacity rebalance.

const pool = (options: Parameters<typeof resolveWorkerPools>[1][number]) => {
  const problems = new ProblemList();
  const [resolved] = resolveWorkerPools(problems, [options]);
  return { resolved, problems: problems.problems };
};

/** The synthesised autoscaled Spot example: its release, role, groups and the handler's rules. */
function example() {
  const json = synthesisedExample('autoscaled-spot').json;
  const releases = Object.values<any>(json.resource.helm_release);
  const release = releases.find((r) => r.chart === CLUSTER_AUTOSCALER_CHART);
  const roles = json.resource.aws_iam_role as Record<string, any>;
  const role = Object.values<any>(roles).find((r) => r.name.includes('-ca-'));
  const policies = json.resource.aws_iam_role_policy as Record<string, any>;
  const policy = Object.entries<any>(policies).find(([k]) => k.includes('cluster-autoscaler'))![1];
  const groups = json.resource.aws_autoscaling_group as Record<string, any>;
  const group = (name: string) => Object.values<any>(groups).find((g) => g.name === `autoscaled-spot-${name}`);
  return { json, release, role, policy: JSON.parse(policy.policy), group };
}

describe('cluster autoscaler versions', () => {
  test('the image of each supported minor is that minor, the newest promoted patch', () => {
    expect(Object.fromEntries(SUPPORTED_KUBERNETES_MINORS.map((m) => [m, ADDONS_BY_MINOR[m].clusterAutoscalerImageTag]))).toEqual({ 34: 'v1.34.5', 35: 'v1.35.2', 36: 'v1.36.1' });
    for (const minor of SUPPORTED_KUBERNETES_MINORS) {
      expect(ADDONS_BY_MINOR[minor].clusterAutoscalerImageTag.startsWith(`v1.${minor}.`)).toBe(true);
    }
    expect([CLUSTER_AUTOSCALER_CHART_REPOSITORY, CLUSTER_AUTOSCALER_CHART, CLUSTER_AUTOSCALER_CHART_VERSION]).toEqual(['https://kubernetes.github.io/autoscaler', 'cluster-autoscaler', '9.59.0']);
  });

  test("the autoscaler's minor follows kubernetesVersion, and its release waits for the control plane's upgrade", () => {
    const props: KubeadmClusterProps = {
      clusterName: 'up', kubernetesVersion: '1.35.3', workerPools: [{ name: 'workers', desiredSize: 1, minSize: 1, maxSize: 3 }], clusterAutoscaler: ClusterAutoscaler.enabled(),
    };
    const stack = synthStack((s) => new KubeadmCluster(s, 'cluster', props));
    const release = Object.values<any>(stack.json.resource.helm_release).find((r) => r.chart === CLUSTER_AUTOSCALER_CHART);
    expect(release.values[0]).toContain('tag: v1.35.2');
    const associations = Object.keys(stack.json.resource.aws_ssm_association).filter((k) => k.includes('kubernetes-upgrade'));
    expect(release.depends_on).toContain(`aws_ssm_association.${associations[associations.length - 1]}`);
  });
});

describe('cluster autoscaler tags', () => {
  test('an autoscaled pool carries the discovery tags and the node-template tags of its labels, taints and resources', () => {
    const { resolved } = pool({
      name: 'spot', minSize: 0, desiredSize: 0, maxSize: 4, rootVolume: { sizeGiB: 50 },
      labels: { 'example.com/z': 'b', 'example.com/a': 'x' },
      taints: [{ key: 'example.com/spot', value: 'true', effect: TaintEffect.NO_SCHEDULE }, { key: 'example.com/batch', effect: TaintEffect.NO_EXECUTE }],
    });
    expect(autoscalingTags({ clusterName: 'demo', pool: resolved, podsPerNode: 58 })).toEqual([
      { key: 'k8s.io/cluster-autoscaler/enabled', value: 'true' },
      { key: 'k8s.io/cluster-autoscaler/demo', value: 'owned' },
      { key: 'k8s.io/cluster-autoscaler/node-template/label/example.com/a', value: 'x' },
      { key: 'k8s.io/cluster-autoscaler/node-template/label/example.com/z', value: 'b' },
      { key: 'k8s.io/cluster-autoscaler/node-template/taint/example.com/batch', value: ':NoExecute' },
      { key: 'k8s.io/cluster-autoscaler/node-template/taint/example.com/spot', value: 'true:NoSchedule' },
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage', value: '50Gi' },
      { key: 'k8s.io/cluster-autoscaler/node-template/resources/pods', value: '58' },
    ]);
  });

  test('the kubelet registers with the same labels and taints the tags announce', () => {
    const join = joinConfiguration(
      { apiServerHost: '10.0.0.10', clusterName: 'demo' } as any,
      { nodeLabels: { 'example.com/z': 'b', 'example.com/a': 'x' }, nodeTaints: [{ key: 'example.com/spot', value: 'true', effect: 'NoSchedule' }] },
    );
    expect(join.nodeRegistration.kubeletExtraArgs).toContainEqual({ name: 'node-labels', value: 'example.com/a=x,example.com/z=b' });
    expect(join.nodeRegistration.taints).toEqual([{ key: 'example.com/spot', value: 'true', effect: 'NoSchedule' }]);
    const plain = joinConfiguration({ apiServerHost: '10.0.0.10', clusterName: 'demo' } as any);
    expect(plain.nodeRegistration.taints).toBeUndefined();
    expect(plain.nodeRegistration.kubeletExtraArgs?.map((a) => a.name)).not.toContain('node-labels');
  });

  test("the example's Spot pool has the tags and its on-demand pool none, none propagating to instances", () => {
    const { group } = example();
    const spotTags = group('spot').tag.filter((t: any) => t.key.startsWith('k8s.io/cluster-autoscaler/'));
    expect(spotTags.map((t: any) => `${t.key}=${t.value}`)).toEqual([
      'k8s.io/cluster-autoscaler/enabled=true',
      'k8s.io/cluster-autoscaler/autoscaled-spot=owned',
      'k8s.io/cluster-autoscaler/node-template/label/example.com/capacity=spot',
      'k8s.io/cluster-autoscaler/node-template/taint/example.com/spot=true:NoSchedule',
      'k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage=30Gi',
      'k8s.io/cluster-autoscaler/node-template/resources/pods=110',
    ]);
    expect(spotTags.every((t: any) => t.propagate_at_launch === false)).toBe(true);
    expect(group('system').tag.some((t: any) => t.key.startsWith('k8s.io/cluster-autoscaler/'))).toBe(false);
    // Min and max are the pool's; the desired size is the autoscaler's after the first deploy.
    expect([group('spot').min_size, group('spot').max_size, group('spot').desired_capacity]).toEqual([0, 6, 0]);
    expect(group('spot').lifecycle.ignore_changes).toEqual(['desired_capacity']);
  });

  test('the default example has no autoscaler and no autoscaler tags', () => {
    const json = synthesisedExample('default').json;
    expect(Object.values<any>(json.resource.helm_release).some((r) => r.chart === CLUSTER_AUTOSCALER_CHART)).toBe(false);
    expect(JSON.stringify(json.resource.aws_autoscaling_group)).not.toContain('k8s.io/cluster-autoscaler');
  });
});

describe('cluster autoscaler permissions', () => {
  test('reads on *, and scaling only on the named groups that carry the cluster tag', () => {
    const doc = clusterAutoscalerPolicy({ clusterName: 'demo', groupArns: ['arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:*:autoScalingGroupName/demo-spot'] });
    expect(doc.Statement).toEqual([
      { Sid: 'DiscoverGroups', Effect: 'Allow', Action: CLUSTER_AUTOSCALER_READ_ACTIONS, Resource: ['*'] },
      {
        Sid: 'ScaleClusterGroups',
        Effect: 'Allow',
        Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        Resource: ['arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:*:autoScalingGroupName/demo-spot'],
        Condition: { StringEquals: { 'aws:ResourceTag/k8s.io/cluster-autoscaler/demo': 'owned' } },
      },
    ]);
    // Only Describe actions (and nothing that writes) on *.
    expect(CLUSTER_AUTOSCALER_READ_ACTIONS.every((a) => /^(autoscaling|ec2):Describe/.test(a))).toBe(true);
    // The lifecycle hooks are the handler's and the workers' to complete, never the autoscaler's.
    expect(JSON.stringify(doc)).not.toContain('CompleteLifecycleAction');
  });

  test("the example's role trusts only the autoscaler's service account and may scale only the Spot group", () => {
    const { role, policy } = example();
    const trust = JSON.parse(role.assume_role_policy);
    expect(JSON.stringify(trust.Statement[0].Condition.StringEquals)).toContain(`system:serviceaccount:kube-system:${CLUSTER_AUTOSCALER_SERVICE_ACCOUNT}`);
    const scaling = policy.Statement.find((s: any) => s.Sid === 'ScaleClusterGroups');
    expect(scaling.Resource).toHaveLength(1);
    expect(scaling.Resource[0]).toMatch(/autoScalingGroupName\/autoscaled-spot-spot$/);
  });
});

describe('cluster autoscaler release', () => {
  const values = clusterAutoscalerValues({
    clusterName: 'demo', region: 'eu-west-1', imageTag: 'v1.36.1', options: ClusterAutoscaler.enabled(),
    podSpec: webIdentityPodSpec({ roleArn: 'arn:aws:iam::1:role/demo-ca-eu-west-1', region: 'eu-west-1' }),
  }) as any;

  test('discovers the groups by the two tags and runs on the control plane, off the host network, as the web-identity role', () => {
    expect(values.autoDiscovery).toEqual({ clusterName: 'demo', tags: ['k8s.io/cluster-autoscaler/enabled', 'k8s.io/cluster-autoscaler/demo'] });
    expect([values.cloudProvider, values.awsRegion, values.hostNetwork]).toEqual(['aws', 'eu-west-1', false]);
    expect(values.nodeSelector['node-role.kubernetes.io/control-plane']).toBe('');
    expect(values.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    // The chart sets AWS_REGION from awsRegion; a second one would be a duplicate variable.
    expect(Object.keys(values.extraEnv)).toEqual(['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_STS_REGIONAL_ENDPOINTS']);
    expect(values.extraVolumeMounts[0].mountPath).toBe('/var/run/secrets/eks.amazonaws.com/serviceaccount');
    expect(values.rbac.serviceAccount.name).toBe(CLUSTER_AUTOSCALER_SERVICE_ACCOUNT);
    // No static list of groups beside the discovery (the upstream README: not both).
    expect(JSON.stringify(values)).not.toContain('"autoscalingGroups"');
  });

  test('waits for a new node as long as a worker takes to register on a running cluster, within the launch hook', () => {
    const preJoin = budgetMinutes(controlPlaneBootBudget(2).filter((s) => !/^(kubeadm init|PKI)/.test(s.step)));
    expect(controlPlaneBootBudget(2).length - controlPlaneBootBudget(2).filter((s) => !/^(kubeadm init|PKI)/.test(s.step)).length).toBe(2);
    expect(MAX_NODE_PROVISION_MINUTES).toBeGreaterThanOrEqual(preJoin + 5);
    expect(MAX_NODE_PROVISION_MINUTES).toBeGreaterThan(15);
    expect(MAX_NODE_PROVISION_MINUTES * 60).toBeLessThan(LAUNCH_HEARTBEAT_SECONDS);
    expect(clusterAutoscalerArgs(ClusterAutoscaler.enabled({ scaleDownUnneededMinutes: 7, scaleDownUtilizationThreshold: 0.4 }))).toEqual({
      'max-node-provision-time': `${MAX_NODE_PROVISION_MINUTES}m0s`,
      'cordon-node-before-terminating': 'true',
      'scale-down-unneeded-time': '7m0s',
      'scale-down-utilization-threshold': '0.4',
    });
  });
});

describe('cluster autoscaler and the termination handler', () => {
  test("a scale-down's terminate still goes through the group's termination hook, which the handler hears", () => {
    const { json, group } = example();
    const spot = group('spot');
    expect(spot.initial_lifecycle_hook.map((h: any) => [h.name, h.lifecycle_transition])).toContainEqual([TERMINATION_HOOK_NAME, 'autoscaling:EC2_INSTANCE_TERMINATING']);
    const rules = Object.values<any>(json.resource.aws_cloudwatch_event_rule);
    const asg = rules.find((r) => r.name === 'autoscaled-spot-nth-asg-termination');
    expect(JSON.parse(asg.event_pattern).detail.AutoScalingGroupName).toContain('autoscaled-spot-spot');
    // The instance is the handler's to drain (its tag) and the autoscaler cordons before it terminates.
    expect(spot.tag).toContainEqual({ key: 'cdktf-kubeadm-cluster/autoscaled-spot/termination-handler', value: 'drain', propagate_at_launch: true });
    const release = example().release;
    expect(release.values[0]).toContain('cordon-node-before-terminating: "true"');
  });

  test('with the autoscaler, Spot rebalance recommendations are left to capacity rebalance, not drained as well', () => {
    const { json, group } = example();
    expect(group('spot').capacity_rebalance).toBe(true);
    const names = Object.values<any>(json.resource.aws_cloudwatch_event_rule).map((r) => r.name).sort();
    expect(names).toEqual(['autoscaled-spot-nth-asg-termination', 'autoscaled-spot-nth-scheduled-change', 'autoscaled-spot-nth-spot-interruption', 'autoscaled-spot-nth-state-change']);
    // Without it, the handler keeps draining on them.
    expect(terminationEventRules(['g']).map((r) => r.name)).toContain('rebalance');
    expect(terminationEventRules(['g'], { rebalanceRecommendations: false }).map((r) => r.name)).not.toContain('rebalance');
  });

  test("the release runs after the pod network and the cloud controller manager, like the handler", () => {
    const { release } = example();
    expect(release.depends_on.some((d: string) => d.startsWith('kubernetes_daemon_set_v1.'))).toBe(true);
    expect(release.depends_on.some((d: string) => d.includes('cloud-controller-manager'))).toBe(true);
    expect(release.values[0]).toContain('tag: v1.36.1');
    expect(release.version).toBe('9.59.0');
  });
});

describe('cluster autoscaler validation', () => {
  const problemsOf = (props: KubeadmClusterProps): string[] => {
    try {
      synthStack((s) => new KubeadmCluster(s, 'cluster', props));
    } catch (e) {
      if (e instanceof ClusterConfigError) {
        return e.problems.map((p) => `${p.property}: ${p.message}`);
      }
      throw e;
    }
    return [];
  };

  test('refuses an autoscaler without a pool to size, and an autoscaled pool without an autoscaler or room', () => {
    expect(problemsOf({ clusterName: 'demo', clusterAutoscaler: ClusterAutoscaler.enabled() })).toEqual([
      'clusterAutoscaler: no worker pool gives the autoscaler room: it sizes pools with maxSize > minSize that are not autoscaled: false',
    ]);
    expect(problemsOf({ clusterName: 'demo', workerPools: [{ name: 'w', desiredSize: 1, minSize: 1, maxSize: 3, autoscaled: true }] })).toEqual(['workerPools[0].autoscaled: the cluster runs no autoscaler']);
    expect(problemsOf({ clusterName: 'demo', workerPools: [{ name: 'w', desiredSize: 2, autoscaled: true }], clusterAutoscaler: ClusterAutoscaler.enabled() })).toEqual([
      'workerPools[0].autoscaled: the autoscaler sizes a pool between minSize (2) and maxSize (2), which leaves it nothing to do',
      'clusterAutoscaler: no worker pool gives the autoscaler room: it sizes pools with maxSize > minSize that are not autoscaled: false',
    ]);
    expect(problemsOf({ clusterName: 'demo', scaleUpCheck: true })).toEqual(['scaleUpCheck: the scale-up check proves the cluster autoscaler']);
    expect(problemsOf({
      clusterName: 'demo', workerPools: [{ name: 'w', desiredSize: 1, minSize: 1, maxSize: 3 }],
      clusterAutoscaler: ClusterAutoscaler.enabled({ scaleDownUnneededMinutes: 0, scaleDownUtilizationThreshold: 2 }),
    })).toEqual([
      'clusterAutoscaler.scaleDownUnneededMinutes: is a whole number of minutes from 1 to 1440',
      'clusterAutoscaler.scaleDownUtilizationThreshold: is a share of a node above 0 and at most 1',
    ]);
  });

  test("refuses labels the kubelet may not set and taints it cannot register, naming each", () => {
    const { problems } = pool({
      name: 'w', labels: { 'node-role.kubernetes.io/spot': '', 'example.com/ok': 'yes', 'bad key': 'x', 'example.com/v': 'not valid!' },
      taints: [{ key: 'example.com/a', effect: 'Sometimes' as TaintEffect }, { key: 'example.com/a', effect: TaintEffect.NO_SCHEDULE }],
    });
    expect(problems.map((p) => p.property)).toEqual([
      'workerPools[0].labels.node-role.kubernetes.io/spot',
      'workerPools[0].labels.bad key',
      'workerPools[0].labels.example.com/v',
      'workerPools[0].taints[0].effect',
      'workerPools[0].taints[1].key',
    ]);
    expect(pool({ name: 'w', labels: { 'node.kubernetes.io/pool': 'w' } }).problems).toEqual([]);
  });
});
