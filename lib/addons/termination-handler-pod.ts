/**
 * aws-node-termination-handler's pod in queue-processor mode, as plain values: its settings (the
 * environment its upstream chart, 0.27.6, renders for the Deployment) and its RBAC rules. The
 * chart cannot mount a projected token (it has no volume values), so the cluster builds the
 * Deployment itself from these facts and adds the web-identity pieces.
 */
import type { EnvVar } from './web-identity';

export const NTH_NAMESPACE = 'kube-system';
export const NTH_NAME = 'aws-node-termination-handler';
/** The handler's service account, the one its role trusts. */
export const NTH_SERVICE_ACCOUNT = 'aws-node-termination-handler';
/** The port of its health endpoint, `/healthz` (the chart's `probes.httpGet`). */
export const NTH_PROBE_PORT = 8080;
export const NTH_PROBE_PATH = '/healthz';
/** The user and group the image runs as (the chart's securityContext). */
export const NTH_USER_ID = 1000;

/**
 * How long the handler gives a node's pods to leave before it lets the instance go: within the
 * groups' termination hook (TERMINATION_HEARTBEAT_SECONDS), so a drain ends before the group
 * gives up waiting.
 */
export const NTH_NODE_TERMINATION_GRACE_SECONDS = 120;

export interface TerminationHandlerSettingsInput {
  readonly queueUrl: string;
  readonly region: string;
  /** The tag key the cluster's workers carry (and no other instance): the handler acts only on tagged instances. */
  readonly managedTag: string;
}

/**
 * The handler's environment besides the pod's own fields and the web identity. Nodes are found by
 * provider ID (the kubelets set it), only the cluster's tagged workers are drained (the EC2
 * events of the whole account reach the queue), and a node leaves the load balancers before its
 * pods are evicted.
 */
export function terminationHandlerSettings(input: TerminationHandlerSettingsInput): EnvVar[] {
  const settings: Record<string, string> = {
    ENABLE_PROBES_SERVER: 'true',
    PROBES_SERVER_PORT: String(NTH_PROBE_PORT),
    PROBES_SERVER_ENDPOINT: NTH_PROBE_PATH,
    LOG_LEVEL: 'info',
    JSON_LOGGING: 'false',
    LOG_FORMAT_VERSION: '1',
    ENABLE_PROMETHEUS_SERVER: 'false',
    CHECK_TAG_BEFORE_DRAINING: 'true',
    MANAGED_TAG: input.managedTag,
    USE_PROVIDER_ID: 'true',
    DRY_RUN: 'false',
    CORDON_ONLY: 'false',
    TAINT_NODE: 'false',
    ENABLE_OUT_OF_SERVICE_TAINT: 'false',
    EXCLUDE_FROM_LOAD_BALANCERS: 'true',
    DELETE_LOCAL_DATA: 'true',
    IGNORE_DAEMON_SETS: 'true',
    POD_TERMINATION_GRACE_PERIOD: '-1',
    NODE_TERMINATION_GRACE_PERIOD: String(NTH_NODE_TERMINATION_GRACE_SECONDS),
    EMIT_KUBERNETES_EVENTS: 'true',
    COMPLETE_LIFECYCLE_ACTION_DELAY_SECONDS: '-1',
    ENABLE_SQS_TERMINATION_DRAINING: 'true',
    AWS_REGION: input.region,
    QUEUE_URL: input.queueUrl,
    DELETE_SQS_MSG_IF_NODE_NOT_FOUND: 'false',
    WORKERS: '10',
    HEARTBEAT_INTERVAL: '-1',
    HEARTBEAT_UNTIL: '-1',
    SQS_MSG_VISIBILITY_TIMEOUT_SEC: '20',
  };
  return Object.entries(settings).map(([name, value]) => ({ name, value }));
}

/** Environment variables set from the pod's own fields, as the chart sets them. */
export const NTH_FIELD_ENV: ReadonlyArray<{ readonly name: string; readonly fieldPath: string }> = [
  { name: 'NODE_NAME', fieldPath: 'spec.nodeName' },
  { name: 'POD_NAME', fieldPath: 'metadata.name' },
  { name: 'NAMESPACE', fieldPath: 'metadata.namespace' },
];

export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/**
 * What the handler may do in the cluster: cordon, label and drain nodes (find them, evict their
 * pods, leave DaemonSet pods) and record events. The chart's rules, without its `extensions`
 * DaemonSet rule, an API group Kubernetes removed in 1.16.
 */
export const NTH_RBAC_RULES: readonly RbacRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch', 'update'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'get'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];
