import { NTH_IMAGE } from '../lib/addons/addon-versions';
import { TERMINATION_QUEUE_RETENTION_SECONDS } from '../lib/addons/node-termination-handler';
import { DRAINED_INSTANCE_STATES, terminationEventRules, terminationHandlerPolicy, terminationQueuePolicy } from '../lib/addons/termination-events';
import { NTH_NODE_TERMINATION_GRACE_SECONDS, NTH_RBAC_RULES, terminationHandlerSettings } from '../lib/addons/termination-handler-pod';
import { STS_AUDIENCE, WEB_IDENTITY_TOKEN_DIR, WEB_IDENTITY_TOKEN_FILE } from '../lib/addons/web-identity';
import { TERMINATION_HEARTBEAT_SECONDS, TERMINATION_HOOK_NAME } from '../lib/nodes/lifecycle-hooks';
import { k8sObjectsOf, validateK8sObject } from './support/k8s-objects';
import { synthesisedExample } from './support/example-synth';
import { waitKinds } from './support/addon-waits';
import { synthesisedCluster } from './support/cluster-synth';

/** The worker groups (control-plane nodes are groups of one, named <cluster>-control-plane-<i>). */
const workerGroupsOf = (json: any): any[] => Object.values<any>(json.resource.aws_autoscaling_group).filter((g) => !g.name.includes('-control-plane-'));

// Facts of aws/aws-node-termination-handler (chart 0.27.6, app 1.25.6, 2026-07 snapshot), held
// against what the cluster builds.

/** The EventBridge patterns of the upstream README's "Infrastructure Setup" (kOps builds the same). */
const UPSTREAM_PATTERNS = [
  { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-terminate Lifecycle Action'] },
  { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
  { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
  { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] },
  { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] } },
];

/** The IAM actions the upstream README lists for queue-processor mode. */
const UPSTREAM_ACTIONS = [
  'autoscaling:CompleteLifecycleAction', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeTags',
  'ec2:DescribeInstances', 'sqs:DeleteMessage', 'sqs:ReceiveMessage',
];

/** The states pkg/monitor/sqsevent/ec2-state-change-event.go drains on (`instanceStatesToDrain`). */
const UPSTREAM_DRAINED_STATES = 'stopping,stopped,shutting-down,terminated'.split(',');

/** Every variable the chart's templates/deployment.yaml can set on the container. */
const CHART_DEPLOYMENT_ENV = [
  'NODE_NAME', 'POD_NAME', 'NAMESPACE', 'ENABLE_PROBES_SERVER', 'PROBES_SERVER_PORT', 'PROBES_SERVER_ENDPOINT', 'LOG_LEVEL', 'JSON_LOGGING',
  'LOG_FORMAT_VERSION', 'ENABLE_PROMETHEUS_SERVER', 'PROMETHEUS_SERVER_PORT', 'CHECK_ASG_TAG_BEFORE_DRAINING', 'CHECK_TAG_BEFORE_DRAINING',
  'MANAGED_ASG_TAG', 'MANAGED_TAG', 'USE_PROVIDER_ID', 'DRY_RUN', 'CORDON_ONLY', 'TAINT_NODE', 'ENABLE_OUT_OF_SERVICE_TAINT',
  'EXCLUDE_FROM_LOAD_BALANCERS', 'DELETE_LOCAL_DATA', 'IGNORE_DAEMON_SETS', 'POD_TERMINATION_GRACE_PERIOD', 'NODE_TERMINATION_GRACE_PERIOD',
  'EMIT_KUBERNETES_EVENTS', 'COMPLETE_LIFECYCLE_ACTION_DELAY_SECONDS', 'KUBERNETES_EVENTS_EXTRA_ANNOTATIONS', 'WEBHOOK_URL', 'WEBHOOK_HEADERS',
  'WEBHOOK_PROXY', 'WEBHOOK_TEMPLATE_FILE', 'WEBHOOK_TEMPLATE', 'ENABLE_SQS_TERMINATION_DRAINING', 'AWS_REGION', 'AWS_ENDPOINT',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'QUEUE_URL', 'DELETE_SQS_MSG_IF_NODE_NOT_FOUND', 'WORKERS', 'HEARTBEAT_INTERVAL',
  'HEARTBEAT_UNTIL', 'SQS_MSG_VISIBILITY_TIMEOUT_SEC',
];

/** The chart's templates/clusterrole.yaml rules (with `emitKubernetesEvents`). */
const CHART_RULES = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch', 'update'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'get'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: ['extensions'], resources: ['daemonsets'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

const GROUP_ARN = 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/demo-workers';

describe('termination events', () => {
  test('are the upstream patterns, the group events narrowed to the cluster\'s groups and the state changes to those drained', () => {
    const rules = terminationEventRules(['demo-workers', 'demo-spot']);
    expect(rules.map((r) => r.name)).toEqual(['asg-termination', 'spot-interruption', 'rebalance', 'state-change', 'scheduled-change']);
    const patterns = rules.map((r) => r.pattern as { detail?: Record<string, unknown> });
    // Without the narrowing each pattern is upstream's, in upstream's order.
    const widened = patterns.map((p, i) => {
      if (i === 0 || i === 3) {
        const { detail: _narrowing, ...rest } = p;
        return rest;
      }
      return p;
    });
    expect(widened).toEqual(UPSTREAM_PATTERNS);
    expect(patterns[0].detail).toEqual({ AutoScalingGroupName: ['demo-workers', 'demo-spot'] });
    expect(patterns[3].detail).toEqual({ state: [...DRAINED_INSTANCE_STATES] });
    expect([...DRAINED_INSTANCE_STATES]).toEqual(UPSTREAM_DRAINED_STATES);
  });

  test('a cluster without worker groups has no group rule (an empty name list would match nothing anyway, and EventBridge refuses it)', () => {
    expect(terminationEventRules([]).map((r) => r.name)).toEqual(['spot-interruption', 'rebalance', 'state-change', 'scheduled-change']);
  });

  test('rule names fit EventBridge\'s 64 characters with the longest cluster name', () => {
    for (const rule of terminationEventRules(['g'])) {
      expect(`${'c'.repeat(40)}-nth-${rule.name}`.length).toBeLessThanOrEqual(64);
    }
  });

  test('only EventBridge may send to the queue, only from the cluster\'s rules, only over TLS', () => {
    const policy = terminationQueuePolicy('arn:queue', ['arn:rule-1', 'arn:rule-2']);
    const allow = policy.Statement.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual([
      {
        Sid: 'ClusterEventRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: 'arn:queue',
        Condition: { ArnEquals: { 'aws:SourceArn': ['arn:rule-1', 'arn:rule-2'] } },
      },
    ]);
    expect(policy.Statement.find((s) => s.Effect === 'Deny')).toMatchObject({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });
});

describe('the handler\'s permissions', () => {
  const policy = terminationHandlerPolicy({ queueArn: 'arn:queue', groupArns: [GROUP_ARN] });

  test('are exactly the upstream list, with no wildcard action', () => {
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect([...actions].sort()).toEqual([...UPSTREAM_ACTIONS].sort());
    expect(actions.some((a) => a.includes('*'))).toBe(false);
  });

  test('reach only the cluster\'s queue and groups; only calls without resources name none', () => {
    const byAction = (action: string) => policy.Statement.find((s) => s.Action.includes(action))!.Resource;
    expect(byAction('sqs:ReceiveMessage')).toEqual(['arn:queue']);
    expect(byAction('sqs:DeleteMessage')).toEqual(['arn:queue']);
    expect(byAction('autoscaling:CompleteLifecycleAction')).toEqual([GROUP_ARN]);
    const unscoped = policy.Statement.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    expect(unscoped.sort()).toEqual(['autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeTags', 'ec2:DescribeInstances']);
  });

  test('without worker groups there is no lifecycle permission', () => {
    const actions = terminationHandlerPolicy({ queueArn: 'arn:queue', groupArns: [] }).Statement.flatMap((s) => s.Action);
    expect(actions).not.toContain('autoscaling:CompleteLifecycleAction');
  });
});

describe('the handler\'s settings', () => {
  const settings = terminationHandlerSettings({ queueUrl: 'https://sqs/queue', region: 'eu-west-1', managedTag: 'cdktf-kubeadm-cluster/demo' });
  const value = (name: string) => settings.find((e) => e.name === name)?.value;

  test('are variables the chart sets, each once', () => {
    const names = settings.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !CHART_DEPLOYMENT_ENV.includes(n))).toEqual([]);
  });

  test('read the queue, find nodes by provider ID and act only on the cluster\'s tagged instances', () => {
    expect(value('ENABLE_SQS_TERMINATION_DRAINING')).toBe('true');
    expect(value('QUEUE_URL')).toBe('https://sqs/queue');
    expect(value('AWS_REGION')).toBe('eu-west-1');
    expect(value('USE_PROVIDER_ID')).toBe('true');
    expect(value('CHECK_TAG_BEFORE_DRAINING')).toBe('true');
    expect(value('MANAGED_TAG')).toBe('cdktf-kubeadm-cluster/demo');
    expect(value('DRY_RUN')).toBe('false');
    expect(value('CORDON_ONLY')).toBe('false');
    expect(value('EXCLUDE_FROM_LOAD_BALANCERS')).toBe('true');
  });

  test('end a drain well inside the groups\' termination hook', () => {
    expect(Number(value('NODE_TERMINATION_GRACE_PERIOD'))).toBe(NTH_NODE_TERMINATION_GRACE_SECONDS);
    expect(NTH_NODE_TERMINATION_GRACE_SECONDS + 60).toBeLessThanOrEqual(TERMINATION_HEARTBEAT_SECONDS);
    // Nothing extends the hook: no heartbeats, no delay after the drain.
    expect(value('HEARTBEAT_INTERVAL')).toBe('-1');
    expect(value('COMPLETE_LIFECYCLE_ACTION_DELAY_SECONDS')).toBe('-1');
  });

  test('RBAC is the chart\'s rules less the removed extensions API group', () => {
    const key = (r: { apiGroups: readonly string[]; resources: readonly string[] }) => `${r.apiGroups.join()}/${r.resources.join()}`;
    for (const rule of NTH_RBAC_RULES) {
      expect(CHART_RULES.find((c) => key(c) === key(rule))).toEqual({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] });
    }
    expect(CHART_RULES.filter((c) => !NTH_RBAC_RULES.some((r) => key(r) === key(c))).map(key)).toEqual(['extensions/daemonsets']);
  });
});

describe('node termination handler in the default example', () => {
  const stack = synthesisedExample('default');
  const json = stack.json;
  const resources = (type: string) => Object.entries<Record<string, unknown>>(json.resource[type] ?? {}).filter(([name]) => name.includes('node-termination-handler'));
  const objects = k8sObjectsOf(json).filter((o) => o.metadata.name === 'aws-node-termination-handler');
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env = (name: string) => container.env.find((e: { name: string }) => e.name === name);

  test('is a queue with server-side encryption and the upstream retention, and one rule per event kind, each sending to it', () => {
    const [[queueName, queue]] = resources('aws_sqs_queue');
    expect(queue).toMatchObject({ name: 'demo-nth', sqs_managed_sse_enabled: true, message_retention_seconds: TERMINATION_QUEUE_RETENTION_SECONDS });
    const rules = resources('aws_cloudwatch_event_rule');
    expect(rules.map(([, r]) => r.name).sort()).toEqual(['demo-nth-asg-termination', 'demo-nth-rebalance', 'demo-nth-scheduled-change', 'demo-nth-spot-interruption', 'demo-nth-state-change']);
    const groupRule = rules.find(([, r]) => r.name === 'demo-nth-asg-termination')![1];
    const groupNames = workerGroupsOf(json).map((g: { name: string }) => g.name);
    expect(JSON.parse(groupRule.event_pattern as string).detail.AutoScalingGroupName).toEqual(groupNames);
    const targets = resources('aws_cloudwatch_event_target');
    expect(targets).toHaveLength(5);
    for (const [, target] of targets) {
      expect(target.arn).toBe(`\${aws_sqs_queue.${queueName}.arn}`);
    }
    expect(new Set(targets.map(([, t]) => t.rule)).size).toBe(5);
    const [[, queuePolicy]] = resources('aws_sqs_queue_policy');
    const sources = JSON.parse(queuePolicy.policy as string).Statement[0].Condition.ArnEquals['aws:SourceArn'];
    expect(sources.sort()).toEqual(rules.map(([name]) => `\${aws_cloudwatch_event_rule.${name}.arn}`).sort());
  });

  test('every worker group holds terminating instances with the hook the handler completes', () => {
    for (const group of workerGroupsOf(json) as Array<{ initial_lifecycle_hook: Array<Record<string, unknown>> }>) {
      expect(group.initial_lifecycle_hook).toContainEqual({
        name: TERMINATION_HOOK_NAME,
        lifecycle_transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        heartbeat_timeout: TERMINATION_HEARTBEAT_SECONDS,
        default_result: 'CONTINUE',
      });
    }
  });

  test('the handler\'s role is assumed only by its service account and may complete only the cluster\'s groups\' hooks', () => {
    const [[roleName, role]] = resources('aws_iam_role');
    const trust = JSON.parse(role.assume_role_policy as string);
    expect(JSON.stringify(trust.Statement[0].Condition.StringEquals)).toContain('system:serviceaccount:kube-system:aws-node-termination-handler');
    const [[, policy]] = resources('aws_iam_role_policy');
    expect(policy.role).toBe(`\${aws_iam_role.${roleName}.id}`);
    const statements = JSON.parse(policy.policy as string).Statement;
    const lifecycle = statements.find((s: { Action: string[] }) => s.Action.includes('autoscaling:CompleteLifecycleAction'));
    expect(lifecycle.Resource).toEqual([expect.stringMatching(/:autoScalingGroup:\*:autoScalingGroupName\/demo-workers$/)]);
    expect(env('AWS_ROLE_ARN').value).toBe(`\${aws_iam_role.${roleName}.arn}`);
  });

  test('its objects validate against the kubernetes-models schemas, and a schema error would be caught', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'ServiceAccount']);
    for (const object of objects) {
      expect(() => validateK8sObject(object)).not.toThrow();
    }
    const broken = structuredClone(deployment);
    broken.spec.template.spec.securityContext.fsGroup = 'thousand';
    expect(() => validateK8sObject(broken)).toThrow(/fsGroup/);
  });

  test('runs the pinned image on the control plane, as the image\'s non-root user with a read-only root', () => {
    expect(container.image).toBe(NTH_IMAGE);
    expect(NTH_IMAGE).toMatch(/^public\.ecr\.aws\/aws-ec2\/aws-node-termination-handler:v\d+\.\d+\.\d+$/);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' });
    expect(pod.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.hostNetwork).toBeUndefined();
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext.fsGroup).toBe(1000);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 8080 });
    expect(env('ENABLE_PROBES_SERVER').value).toBe('true');
  });

  test('requests CPU and memory, and may not use more than twice the memory it requests', () => {
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
  });

  test('calls AWS with a projected service-account token for STS, not the node\'s role', () => {
    expect(pod.volumes).toEqual([{ name: 'aws-iam-token', projected: { sources: [{ serviceAccountToken: { audience: STS_AUDIENCE, expirationSeconds: 86400, path: 'token' } }] } }]);
    expect(container.volumeMounts).toEqual([{ name: 'aws-iam-token', mountPath: WEB_IDENTITY_TOKEN_DIR, readOnly: true }]);
    expect(env('AWS_WEB_IDENTITY_TOKEN_FILE').value).toBe(WEB_IDENTITY_TOKEN_FILE);
    const names = container.env.map((e: { name: string }) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n: string) => !CHART_DEPLOYMENT_ENV.includes(n)).sort()).toEqual(['AWS_ROLE_ARN', 'AWS_STS_REGIONAL_ENDPOINTS', 'AWS_WEB_IDENTITY_TOKEN_FILE']);
  });

  test('acts on the workers, which carry the cluster\'s handler tag from launch, and never on the control plane', () => {
    const tag = env('MANAGED_TAG').value;
    expect(tag).toBe('cdktf-kubeadm-cluster/demo/termination-handler');
    for (const group of workerGroupsOf(json) as Array<{ tag: Array<{ key: string; value: string; propagate_at_launch: boolean }> }>) {
      expect(group.tag).toContainEqual({ key: tag, value: 'drain', propagate_at_launch: true });
    }
    // A drained control-plane node would come back from a stop still cordoned: its group never tags it.
    const controlPlane = Object.values<{ name: string; tag: Array<{ key: string }> }>(json.resource.aws_autoscaling_group).filter((g) => g.name.includes('-control-plane-'));
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const group of controlPlane) {
      expect(group.tag.map((t) => t.key)).not.toContain(tag);
    }
    expect(JSON.stringify(json.resource.aws_launch_template)).not.toContain(tag);
  });

  test('waits for exactly the API, the pod network, initialised nodes, the issuer, its permissions, its queue and its RBAC', () => {
    const [, deployment] = resources('kubernetes_deployment_v1')[0];
    expect(waitKinds(deployment)).toEqual(['the API readiness wait', "the cloud controller manager", "the handler's RBAC binding", 'the network plugin', 'the published issuer', "the queue's policy", "the role's policy"]);
  });

  test('starts once its role may act, events reach the queue and the pod network is up', () => {
    const dependsOn = (json.resource.kubernetes_deployment_v1 as Record<string, { depends_on: string[] }>)[resources('kubernetes_deployment_v1')[0][0]].depends_on;
    expect(dependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^aws_iam_role_policy\..*node-termination-handler/),
      expect.stringMatching(/^aws_sqs_queue_policy\./),
      expect.stringMatching(/^aws_iam_openid_connect_provider\./),
      expect.stringMatching(/^kubernetes_daemon_set_v1\..*cni/),
    ]));
  });
});

describe('node termination handler options', () => {
  test('runs two replicas on different control-plane nodes when there are several', () => {
    const objects = k8sObjectsOf(synthesisedExample('ha-cilium').json);
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'aws-node-termination-handler')!;
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
  });

  test('a Spot pool replaces instances at risk of interruption before they are reclaimed; an on-demand pool does not', () => {
    const groups = Object.values<{ name: string; capacity_rebalance?: boolean }>(synthesisedExample('ha-cilium').json.resource.aws_autoscaling_group);
    expect(Object.fromEntries(groups.map((g) => [g.name, g.capacity_rebalance]))).toEqual({ 'ha-cilium-general': undefined, 'ha-cilium-spot': true });
  });

  test('nodeTerminationHandler: false leaves out the queue, rules, role and Deployment, and keeps the hooks', () => {
    const { json } = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['192.0.2.0/24'], nodeTerminationHandler: false });
    expect(json.resource.aws_sqs_queue).toBeUndefined();
    expect(json.resource.aws_cloudwatch_event_rule).toBeUndefined();
    expect(k8sObjectsOf(json).filter((o) => o.metadata.name === 'aws-node-termination-handler')).toEqual([]);
    expect(JSON.stringify(json.resource.aws_iam_role)).not.toContain('aws-node-termination-handler');
    for (const group of workerGroupsOf(json) as Array<{ initial_lifecycle_hook: Array<{ name: string }> }>) {
      expect(group.initial_lifecycle_hook.map((h) => h.name)).toContain(TERMINATION_HOOK_NAME);
    }
  });
});
