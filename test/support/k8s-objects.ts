import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

// Turns the synthesised `kubernetes_*_v1` resources back into the Kubernetes objects the provider
// would send to the API server, so that they can be held against upstream manifests field by
// field and checked against the Kubernetes schemas.
//
// The converter is strict: it knows each Terraform attribute it may meet and the Kubernetes field
// it becomes, and throws on anything else, so a misspelt or unmapped attribute cannot slip
// through as an unknown field (the kubernetes-models schemas ignore unknown fields).
//
// It works on the configuration, not on Terraform state. The provider fills defaults into state
// (pod spec automount_service_account_token = true, dns_policy = ClusterFirst,
// termination_grace_period_seconds = 30, restart_policy = Always, DaemonSet
// revision_history_limit = 10, ...); each equals the API server's own default for an absent field,
// so leaving them out describes the same object.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: Json };
  [field: string]: Json;
}

/**
 * Where the upstream manifests are read from: `UPSTREAM_MANIFESTS` if set, else the reference
 * folder beside the repository. They are upstream's files, not this project's, so they are not in it.
 */
export const UPSTREAM_MANIFESTS = process.env.UPSTREAM_MANIFESTS ?? join(__dirname, '../../../shared/reference/upstream-manifests');

/**
 * Whether the upstream manifests can be read. Same policy as the validators: in CI their absence
 * fails the test file; locally the comparisons are skipped with the reason.
 */
export function hasUpstreamManifests(what: string, files: readonly string[]): boolean {
  const missing = files.filter((file) => !isReadable(join(UPSTREAM_MANIFESTS, file)));
  if (missing.length === 0) {
    return true;
  }
  const why = `cannot read ${missing.join(', ')} in ${UPSTREAM_MANIFESTS}; set UPSTREAM_MANIFESTS to the folder that holds them`;
  if (process.env.CI) {
    throw new Error(`${what} cannot run in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED ${what}: ${why}`);
  return false;
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The objects of an upstream manifest: every YAML document, with `kind: List` items flattened. */
export function loadUpstream(file: string): K8sObject[] {
  const text = readFileSync(join(UPSTREAM_MANIFESTS, file), 'utf8');
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS() as Json;
    if (value === null || value === undefined) {
      continue;
    }
    if (value.kind === 'List') {
      objects.push(...(value.items as K8sObject[]));
    } else {
      objects.push(value as K8sObject);
    }
  }
  return objects;
}

// ---------------------------------------------------------------------------------------------
// Terraform resource -> Kubernetes object

interface ResourceKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Top-level Terraform attributes besides `metadata`, and the Kubernetes field each becomes. */
  readonly fields: Readonly<Record<string, string>>;
}

const RESOURCE_KINDS: Readonly<Record<string, ResourceKind>> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace', fields: {} },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount', fields: { automount_service_account_token: 'automountServiceAccountToken' } },
  // The provider's `data` holds plain text and base64-encodes it for the API: that is `stringData`.
  kubernetes_secret_v1: { apiVersion: 'v1', kind: 'Secret', fields: { data: 'stringData', type: 'type', immutable: 'immutable' } },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap', fields: { data: 'data', immutable: 'immutable' } },
  kubernetes_cluster_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', fields: { rule: 'rules' } },
  kubernetes_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', fields: { rule: 'rules' } },
  kubernetes_cluster_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', fields: { role_ref: 'roleRef', subject: 'subjects' } },
  kubernetes_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', fields: { role_ref: 'roleRef', subject: 'subjects' } },
  kubernetes_daemon_set_v1: { apiVersion: 'apps/v1', kind: 'DaemonSet', fields: { spec: 'spec' } },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment', fields: { spec: 'spec' } },
  kubernetes_service_v1: { apiVersion: 'v1', kind: 'Service', fields: { spec: 'spec' } },
  kubernetes_job_v1: { apiVersion: 'batch/v1', kind: 'Job', fields: { spec: 'spec' } },
};

/**
 * Top-level attributes that steer Terraform or the provider and are not part of the object:
 * meta-arguments, cdktf's metadata, and the provider's wait switches.
 */
const TERRAFORM_ONLY = new Set(['//', 'provider', 'depends_on', 'lifecycle', 'count', 'for_each', 'timeouts', 'wait_for_rollout', 'wait_for_default_service_account', 'wait_for_completion']);

/**
 * Every nested attribute the converter knows, and its Kubernetes name. The provider names
 * repeated blocks in the singular (`container`, `volume_mount`, `rule`); Kubernetes in the plural.
 */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  // object metadata
  name: 'name', namespace: 'namespace', labels: 'labels', annotations: 'annotations',
  // RBAC
  api_groups: 'apiGroups', resources: 'resources', resource_names: 'resourceNames', verbs: 'verbs', non_resource_urls: 'nonResourceURLs',
  api_group: 'apiGroup', kind: 'kind',
  // workload spec
  selector: 'selector', match_labels: 'matchLabels', match_expressions: 'matchExpressions', key: 'key', operator: 'operator', values: 'values',
  min_ready_seconds: 'minReadySeconds', revision_history_limit: 'revisionHistoryLimit',
  strategy: 'updateStrategy', type: 'type', rolling_update: 'rollingUpdate', max_unavailable: 'maxUnavailable', max_surge: 'maxSurge',
  template: 'template', metadata: 'metadata', spec: 'spec',
  // pod spec
  affinity: 'affinity', node_affinity: 'nodeAffinity',
  required_during_scheduling_ignored_during_execution: 'requiredDuringSchedulingIgnoredDuringExecution',
  node_selector_term: 'nodeSelectorTerms',
  container: 'containers', init_container: 'initContainers', volume: 'volumes', toleration: 'tolerations',
  dns_policy: 'dnsPolicy', host_network: 'hostNetwork', host_pid: 'hostPID', host_ipc: 'hostIPC',
  priority_class_name: 'priorityClassName', restart_policy: 'restartPolicy', service_account_name: 'serviceAccountName',
  node_selector: 'nodeSelector', security_context: 'securityContext', se_linux_options: 'seLinuxOptions',
  level: 'level', role: 'role', user: 'user',
  effect: 'effect', value: 'value',
  // containers
  image: 'image', image_pull_policy: 'imagePullPolicy', command: 'command', args: 'args', env: 'env',
  value_from: 'valueFrom', field_ref: 'fieldRef', api_version: 'apiVersion', field_path: 'fieldPath',
  secret_key_ref: 'secretKeyRef', config_map_key_ref: 'configMapKeyRef', optional: 'optional',
  port: 'port', container_port: 'containerPort', protocol: 'protocol',
  liveness_probe: 'livenessProbe', readiness_probe: 'readinessProbe', startup_probe: 'startupProbe',
  http_get: 'httpGet', host: 'host', path: 'path', scheme: 'scheme',
  initial_delay_seconds: 'initialDelaySeconds', period_seconds: 'periodSeconds', timeout_seconds: 'timeoutSeconds',
  success_threshold: 'successThreshold', failure_threshold: 'failureThreshold',
  requests: 'requests', limits: 'limits',
  privileged: 'privileged', capabilities: 'capabilities', add: 'add', drop: 'drop',
  allow_privilege_escalation: 'allowPrivilegeEscalation', read_only_root_filesystem: 'readOnlyRootFilesystem', run_as_non_root: 'runAsNonRoot',
  volume_mount: 'volumeMounts', mount_path: 'mountPath', read_only: 'readOnly', sub_path: 'subPath', mount_propagation: 'mountPropagation',
  host_path: 'hostPath', config_map: 'configMap', empty_dir: 'emptyDir',
  projected: 'projected', sources: 'sources', service_account_token: 'serviceAccountToken', audience: 'audience', expiration_seconds: 'expirationSeconds',
  fs_group: 'fsGroup', run_as_user: 'runAsUser', run_as_group: 'runAsGroup',
  // deployments, jobs, services
  replicas: 'replicas', backoff_limit: 'backoffLimit', active_deadline_seconds: 'activeDeadlineSeconds',
  pod_anti_affinity: 'podAntiAffinity', topology_key: 'topologyKey', label_selector: 'labelSelector',
  termination_message_policy: 'terminationMessagePolicy', termination_grace_period_seconds: 'terminationGracePeriodSeconds',
  target_port: 'targetPort', cluster_ip: 'clusterIP',
};

/** Blocks the provider types as a list of one that Kubernetes holds as a single object. */
const SINGLE_BLOCKS = new Set(['label_selector', 'projected']);

/** Attributes the provider types as strings and sends as integers. */
const INTEGER_STRINGS = new Set(['fs_group', 'run_as_user', 'run_as_group']);

/** Attributes whose value is a map of free keys (copied as is, keys untouched). */
const MAPS = new Set(['labels', 'annotations', 'match_labels', 'node_selector', 'requests', 'limits']);

/** Attributes that are lists of plain strings. */
const STRING_LISTS = new Set(['api_groups', 'resources', 'resource_names', 'verbs', 'non_resource_urls', 'values', 'command', 'args', 'add', 'drop']);

function convertValue(key: string, value: Json, path: string): Json {
  if (MAPS.has(key) || STRING_LISTS.has(key)) {
    return value;
  }
  // A Service's selector is a plain label map; a workload's is a block with match_labels.
  if (key === 'selector' && value !== null && typeof value === 'object' && !Array.isArray(value) && !('match_labels' in value) && !('match_expressions' in value)) {
    return value;
  }
  if (SINGLE_BLOCKS.has(key) && Array.isArray(value) && value.length === 1) {
    return convertBlock(value[0], `${path}[0]`);
  }
  if (INTEGER_STRINGS.has(key) && typeof value === 'string') {
    return Number(value);
  }
  if (key === 'replicas' && typeof value === 'string') {
    return Number(value);
  }
  if (key === 'target_port' && typeof value === 'string') {
    return /^\d+$/.test(value) ? Number(value) : value;
  }
  if (Array.isArray(value)) {
    // A repeated block: `port` as a list is a container's ports (a probe's `port` is a scalar).
    return value.map((item, i) => convertBlock(item, `${path}[${i}]`));
  }
  if (value !== null && typeof value === 'object') {
    return convertBlock(value, path);
  }
  if (key === 'port' && typeof value === 'string') {
    // The provider types probe ports as strings and sends them as int-or-string: a string of
    // digits becomes a number (intstr.Parse), anything else stays a named port.
    return /^\d+$/.test(value) ? Number(value) : value;
  }
  return value;
}

function convertBlock(block: Json, path: string): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(block)) {
    const name = FIELD_NAMES[key];
    if (name === undefined) {
      throw new Error(`converter does not know the attribute ${path}.${key}; add it to FIELD_NAMES with its Kubernetes name`);
    }
    const converted = convertValue(key, value, `${path}.${key}`);
    out[key === 'port' && Array.isArray(value) ? 'ports' : name] = converted;
  }
  return out;
}

/** One synthesised `kubernetes_*_v1` resource as the Kubernetes object it creates. */
export function toK8sObject(resourceType: string, resource: Json): K8sObject {
  const kind = RESOURCE_KINDS[resourceType];
  if (!kind) {
    throw new Error(`converter does not know the resource type ${resourceType}`);
  }
  const object: Json = { apiVersion: kind.apiVersion, kind: kind.kind };
  for (const [key, value] of Object.entries(resource)) {
    if (TERRAFORM_ONLY.has(key)) {
      continue;
    }
    if (key === 'metadata') {
      object.metadata = convertBlock(value, `${resourceType}.metadata`);
    } else if (kind.fields[key] !== undefined) {
      object[kind.fields[key]] = key === 'data' ? value : convertValue(key, value, `${resourceType}.${key}`);
    } else {
      throw new Error(`converter does not know the attribute ${resourceType}.${key}`);
    }
  }
  return object as K8sObject;
}

/** Every Kubernetes object in a synthesised stack (its `kubernetes_*` resources). */
export function k8sObjectsOf(synthesised: Json): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const [type, resources] of Object.entries(synthesised.resource ?? {})) {
    if (!type.startsWith('kubernetes_')) {
      continue;
    }
    for (const resource of Object.values(resources as Record<string, Json>)) {
      objects.push(toK8sObject(type, resource));
    }
  }
  return objects;
}

// ---------------------------------------------------------------------------------------------
// Schema validation

const MODELS: Readonly<Record<string, new (data: Json) => { validate(): void }>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'batch/v1/Job': Job,
};

/** Validates an object against the kubernetes-models JSON schema of its kind; throws on errors. */
export function validateK8sObject(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) {
    throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  }
  new Model(object).validate();
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** One field where two sets of objects differ. `undefined` on a side means the field is absent there. */
export interface Difference {
  /** `Kind namespace/name` of the object. */
  readonly object: string;
  /** Path inside the object; empty when the whole object is missing on one side. */
  readonly path: string;
  readonly ours: Json;
  readonly upstream: Json;
}

export function objectKey(object: K8sObject): string {
  return `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/**
 * What both sides go through before comparison, each step a representation choice rather than a
 * difference:
 * - a null field is an absent field (YAML `env:` with nothing after it is null, and Kubernetes
 *   treats null as unset);
 * - the JSON documents inside a ConfigMap are compared as data, so a difference shows at the
 *   field inside the document (whitespace is checked separately where it matters).
 */
export function normalise(object: K8sObject): K8sObject {
  const copy = dropNulls(structuredClone(object));
  if (copy.kind === 'ConfigMap' && copy.data) {
    for (const [key, value] of Object.entries(copy.data)) {
      if (key.endsWith('.json') && typeof value === 'string') {
        copy.data[key] = JSON.parse(value);
      }
    }
  }
  return copy;
}

function dropNulls(value: Json): Json {
  if (Array.isArray(value)) {
    return value.map(dropNulls);
  }
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && v !== undefined) {
        out[k] = dropNulls(v);
      }
    }
    return out;
  }
  return value;
}

/** Every difference between our objects and upstream's, after `normalise`. */
export function compareObjects(ours: readonly K8sObject[], upstream: readonly K8sObject[]): Difference[] {
  const differences: Difference[] = [];
  const ourByKey = new Map(ours.map((o) => [objectKey(o), normalise(o)]));
  const upstreamByKey = new Map(upstream.map((o) => [objectKey(o), normalise(o)]));
  for (const [key, upstreamObject] of upstreamByKey) {
    const ourObject = ourByKey.get(key);
    if (!ourObject) {
      differences.push({ object: key, path: '', ours: undefined, upstream: upstreamObject });
    } else {
      diffValues(key, '', ourObject, upstreamObject, differences);
    }
  }
  for (const [key, ourObject] of ourByKey) {
    if (!upstreamByKey.has(key)) {
      differences.push({ object: key, path: '', ours: ourObject, upstream: undefined });
    }
  }
  return differences;
}

function joinPath(path: string, key: string): string {
  const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === '' ? segment : segment.startsWith('[') ? `${path}${segment}` : `${path}.${segment}`;
}

function isNamedList(value: Json): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((v) => v !== null && typeof v === 'object' && typeof v.name === 'string');
}

function diffValues(object: string, path: string, ours: Json, upstream: Json, out: Difference[]): void {
  if (isNamedList(ours) && isNamedList(upstream)) {
    // Containers, env, volumes and mounts are matched by name, so one added entry reads as one
    // difference, not as every later entry shifted; their order is compared on its own.
    const ourNames = (ours as Json[]).map((v) => v.name as string);
    const upstreamNames = (upstream as Json[]).map((v) => v.name as string);
    const common = ourNames.filter((n) => upstreamNames.includes(n));
    const upstreamCommon = upstreamNames.filter((n) => ourNames.includes(n));
    if (common.join('\u0000') !== upstreamCommon.join('\u0000')) {
      out.push({ object, path: `${path}#order`, ours: common, upstream: upstreamCommon });
    }
    for (const name of new Set([...upstreamNames, ...ourNames])) {
      diffValues(object, `${path}[${name}]`, (ours as Json[]).find((v) => v.name === name), (upstream as Json[]).find((v) => v.name === name), out);
    }
    return;
  }
  if (Array.isArray(ours) && Array.isArray(upstream)) {
    for (let i = 0; i < Math.max(ours.length, upstream.length); i++) {
      diffValues(object, `${path}[${i}]`, ours[i], upstream[i], out);
    }
    return;
  }
  const ourIsObject = ours !== null && typeof ours === 'object' && !Array.isArray(ours);
  const upstreamIsObject = upstream !== null && typeof upstream === 'object' && !Array.isArray(upstream);
  if (ourIsObject && upstreamIsObject) {
    for (const key of new Set([...Object.keys(upstream), ...Object.keys(ours)])) {
      diffValues(object, joinPath(path, key), ours[key], upstream[key], out);
    }
    return;
  }
  if (JSON.stringify(ours) !== JSON.stringify(upstream)) {
    out.push({ object, path, ours, upstream });
  }
}

/** A difference from upstream that the project makes on purpose, with the reason. */
export interface DocumentedDifference {
  readonly object: string;
  readonly path: string;
  readonly reason: string;
}

/**
 * Splits differences into those a documented exception explains and those nothing explains, and
 * reports exceptions that explain nothing (a stale exception would hide a future regression).
 */
export function checkAgainstDocumented(differences: readonly Difference[], documented: readonly DocumentedDifference[]): { unexplained: Difference[]; unused: DocumentedDifference[] } {
  const matches = (d: Difference, e: DocumentedDifference) => d.object === e.object && d.path === e.path;
  return {
    unexplained: differences.filter((d) => !documented.some((e) => matches(d, e))),
    unused: documented.filter((e) => !differences.some((d) => matches(d, e))),
  };
}
