import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ownedResourceTags } from '../network/tags';
import { bindings } from '../util/bindings';
import { NTH_IMAGE } from './addon-versions';
import type { ClusterWorkloads } from './cluster-workloads';
import type { ServiceAccountIssuer } from './service-account-issuer';
import { terminationEventRules, terminationHandlerPolicy, terminationQueuePolicy } from './termination-events';
import {
  NTH_FIELD_ENV,
  NTH_NAME,
  NTH_NAMESPACE,
  NTH_PROBE_PATH,
  NTH_PROBE_PORT,
  NTH_RBAC_RULES,
  NTH_SERVICE_ACCOUNT,
  NTH_USER_ID,
  terminationHandlerSettings,
} from './termination-handler-pod';
import { WorkloadRole } from './workload-role';

/**
 * How long an event waits in the queue for the handler: a Spot warning is worth two minutes, a
 * group's termination hook five (the upstream setup's retention).
 */
export const TERMINATION_QUEUE_RETENTION_SECONDS = 300;

export interface NodeTerminationHandlerProps {
  readonly clusterName: string;
  /** The region (may be a Terraform token). */
  readonly region: string;
  readonly issuer: ServiceAccountIssuer;
  readonly workloads: ClusterWorkloads;
  /** Names of the cluster's worker groups, whose termination hooks the handler completes. */
  readonly groupNames: readonly string[];
  /** ARNs of the same groups (matched by name), for the handler's permission. */
  readonly groupArns: readonly string[];
  /** The tag key the worker groups put on their instances: the handler drains only instances with it. */
  readonly managedTag: string;
  /** How many control-plane nodes there are: the handler runs there, on two of them when it can. */
  readonly controlPlaneCount: number;
  /**
   * Whether EC2's rebalance recommendations reach the queue (the handler then drains the Spot node).
   * @default true
   */
  readonly rebalanceRecommendations?: boolean;
  /**
   * What the handler's pods wait for (the pod network: they reach AWS through it).
   * @default - the API server and the published issuer
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * aws-node-termination-handler in queue-processor mode: EventBridge puts the warnings that a node
 * is going (a worker group's termination hook, Spot interruptions and rebalance recommendations,
 * stopping instances, scheduled maintenance) into an SQS queue, and the handler cordons and drains
 * the node before it lets the instance go. It runs on the control plane, which no worker roll or
 * Spot reclaim takes away, as its own role by web identity.
 */
export class NodeTerminationHandler extends Construct {
  public readonly queue: SqsQueue;
  public readonly rules: CloudwatchEventRule[];
  public readonly role: WorkloadRole;
  public readonly deployment: DeploymentV1;

  constructor(scope: Construct, id: string, props: NodeTerminationHandlerProps) {
    super(scope, id);
    const name = `${props.clusterName}-nth`;
    this.queue = new SqsQueue(this, 'queue', {
      name,
      messageRetentionSeconds: TERMINATION_QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      tags: ownedResourceTags(props.clusterName, name),
    });
    this.rules = terminationEventRules(props.groupNames, { rebalanceRecommendations: props.rebalanceRecommendations ?? true }).map((rule) => {
      const resource = new CloudwatchEventRule(this, `rule-${rule.name}`, {
        name: `${name}-${rule.name}`,
        description: rule.description,
        eventPattern: JSON.stringify(rule.pattern),
        tags: ownedResourceTags(props.clusterName, `${name}-${rule.name}`),
      });
      new CloudwatchEventTarget(this, `target-${rule.name}`, { rule: resource.name, targetId: 'termination-queue', arn: this.queue.arn });
      return resource;
    });
    const queuePolicy = new SqsQueuePolicy(this, 'queue-policy', {
      queueUrl: this.queue.url,
      policy: JSON.stringify(terminationQueuePolicy(this.queue.arn, this.rules.map((rule) => rule.arn))),
    });

    this.role = new WorkloadRole(this, 'role', {
      clusterName: props.clusterName,
      issuer: props.issuer,
      namespace: NTH_NAMESPACE,
      serviceAccount: NTH_SERVICE_ACCOUNT,
      name: 'nth',
      region: props.region,
      policy: terminationHandlerPolicy({ queueArn: this.queue.arn, groupArns: props.groupArns }),
    });
    this.deployment = this.addHandler(props, queuePolicy);
  }

  private addHandler(props: NodeTerminationHandlerProps, queuePolicy: SqsQueuePolicy): DeploymentV1 {
    const { ClusterRoleBindingV1, ClusterRoleV1, DeploymentV1, ServiceAccountV1 } = bindings;
    const { workloads } = props;
    const labels = { 'app.kubernetes.io/name': NTH_NAME, 'app.kubernetes.io/component': 'deployment' };
    const account = workloads.addKubernetesResource('node-termination-handler-account', ServiceAccountV1, {
      metadata: { name: NTH_SERVICE_ACCOUNT, namespace: NTH_NAMESPACE, labels },
      automountServiceAccountToken: true,
    });
    const role = workloads.addKubernetesResource('node-termination-handler-role', ClusterRoleV1, {
      metadata: { name: NTH_NAME, labels },
      rule: NTH_RBAC_RULES.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
    });
    const binding = workloads.addKubernetesResource('node-termination-handler-binding', ClusterRoleBindingV1, {
      metadata: { name: NTH_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: NTH_NAMESPACE }],
    });

    const podSpec = this.role.podSpec();
    const settings = terminationHandlerSettings({ queueUrl: this.queue.url, region: props.region, managedTag: props.managedTag });
    const set = new Set(settings.map((env) => env.name));
    const replicas = Math.min(2, props.controlPlaneCount);
    const user = String(NTH_USER_ID);
    return workloads.addKubernetesResource('node-termination-handler', DeploymentV1, {
      // Its calls fail until IAM can read the issuer, the role may act and events reach the queue.
      dependsOn: [...props.issuer.published, this.role.policy, queuePolicy, binding, ...(props.dependsOn ?? [])],
      metadata: { name: NTH_NAME, namespace: NTH_NAMESPACE, labels },
      spec: {
        replicas: String(replicas),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, 'k8s-app': NTH_NAME } },
          spec: {
            serviceAccountName: account.metadata.name,
            priorityClassName: 'system-cluster-critical',
            // The projected token is readable by this group, the image's own.
            securityContext: { fsGroup: user },
            nodeSelector: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' },
            toleration: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
            ...(replicas > 1
              ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: [{ matchLabels: labels }] }] } } }
              : {}),
            container: [
              {
                name: NTH_NAME,
                image: NTH_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                securityContext: {
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  runAsUser: user,
                  runAsGroup: user,
                  capabilities: { drop: ['ALL'] },
                },
                env: [
                  ...NTH_FIELD_ENV.map((env) => ({ name: env.name, valueFrom: { fieldRef: { fieldPath: env.fieldPath } } })),
                  ...settings,
                  ...podSpec.env.filter((env) => !set.has(env.name)),
                ],
                port: [{ name: 'liveness-probe', containerPort: NTH_PROBE_PORT, protocol: 'TCP' }],
                livenessProbe: { httpGet: { path: NTH_PROBE_PATH, port: String(NTH_PROBE_PORT) }, initialDelaySeconds: 5, periodSeconds: 5 },
                // A rollout replaces a replica only once the new one answers its probe server.
                readinessProbe: { httpGet: { path: NTH_PROBE_PATH, port: String(NTH_PROBE_PORT) }, periodSeconds: 5 },
                // It runs on control-plane nodes, beside etcd: a memory limit keeps a leak from
                // taking their memory. No CPU limit (see "What the defaults leave out" in the README).
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
                volumeMount: podSpec.volumeMounts.map((mount) => ({ ...mount })),
              },
            ],
            volume: podSpec.volumes.map((volume) => ({
              name: volume.name,
              projected: [{ sources: volume.projected.sources.map((source) => ({ serviceAccountToken: { ...source.serviceAccountToken } })) }],
            })),
          },
        },
      },
    });
  }
}
