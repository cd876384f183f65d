import type { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { bindings } from '../util/bindings';
import { SCALE_UP_DEPLOYMENT_NAME, SCALE_UP_LABELS, scaleUpDeploymentJson } from './scale-up-check-objects';
import { SCALE_UP_CHECK_SCRIPT } from './scale-up-check-script';

/** How long the check waits for the Deployment's pods to go. */
export const SCALE_UP_CLEANUP_WAIT_SECONDS = 120;

export interface ScaleUpCheckProps {
  readonly kubernetesProvider: KubernetesProvider;
  /** The check's namespace (the connectivity check's). */
  readonly namespace: string;
  /** The check's image: sh, grep, sed and curl. */
  readonly image: string;
  /** Where a pod finds its service account's token and CA. */
  readonly serviceAccountDir: string;
  /** Tolerates the control-plane taint, so that the Job runs on a cluster whose workers are all busy. */
  readonly toleration: { readonly key: string; readonly operator: string; readonly effect: string };
  /** How long to wait for the new node's pod to run: the autoscaler's own wait for a node it asked for. */
  readonly waitSeconds: number;
  /** What the check runs after: the connectivity check's Job and the autoscaler's release. */
  readonly dependsOn: readonly ITerraformDependable[];
}

/**
 * The scale-up check's Job and what it may do: create, read and delete Deployments and read pods
 * in the check's namespace, and list nodes.
 */
export function addScaleUpCheck(scope: Construct, props: ScaleUpCheckProps): JobV1 {
  const { ClusterRoleBindingV1, ClusterRoleV1, JobV1, RoleBindingV1, RoleV1, ServiceAccountV1 } = bindings;
  const provider = props.kubernetesProvider;
  const ns = props.namespace;
  const labels = { app: 'kubeadm-scale-up-check-client' };
  const account = new ServiceAccountV1(scope, 'scale-up-account', { provider, metadata: { name: 'scale-up-check', namespace: ns, labels }, automountServiceAccountToken: true });
  const subject = [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: ns }];
  const role = new RoleV1(scope, 'scale-up-role', {
    provider,
    metadata: { name: 'kubeadm-scale-up-check', namespace: ns, labels },
    rule: [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'get', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ],
  });
  const binding = new RoleBindingV1(scope, 'scale-up-role-binding', {
    provider,
    metadata: { name: 'kubeadm-scale-up-check', namespace: ns, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
    subject,
  });
  const nodeReader = new ClusterRoleV1(scope, 'scale-up-node-reader', { provider, metadata: { name: 'kubeadm-scale-up-check', labels }, rule: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }] });
  const nodeReaderBinding = new ClusterRoleBindingV1(scope, 'scale-up-node-reader-binding', {
    provider,
    metadata: { name: 'kubeadm-scale-up-check', labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: nodeReader.metadata.name },
    subject,
  });
  const selector = Object.entries(SCALE_UP_LABELS).map(([k, v]) => `${k}%3D${v}`).join('%2C');
  return new JobV1(scope, 'scale-up-check', {
    provider,
    dependsOn: [...props.dependsOn, binding, nodeReaderBinding],
    metadata: { name: 'scale-up-check', namespace: ns, labels },
    spec: {
      // One attempt: a second would ask for yet another node.
      backoffLimit: 0,
      activeDeadlineSeconds: props.waitSeconds + 2 * SCALE_UP_CLEANUP_WAIT_SECONDS + 120,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: account.metadata.name,
          terminationGracePeriodSeconds: SCALE_UP_CLEANUP_WAIT_SECONDS,
          toleration: [props.toleration],
          container: [
            {
              name: 'check',
              image: props.image,
              command: ['sh', '-c', SCALE_UP_CHECK_SCRIPT],
              env: [
                { name: 'SA_DIR', value: props.serviceAccountDir },
                { name: 'NAMESPACE', value: ns },
                { name: 'DEPLOYMENT_NAME', value: SCALE_UP_DEPLOYMENT_NAME },
                { name: 'SELECTOR', value: selector },
                { name: 'DEPLOYMENT_JSON', value: scaleUpDeploymentJson(props.image) },
                { name: 'SCALE_UP_WAIT_SECONDS', value: String(props.waitSeconds) },
                { name: 'CLEANUP_WAIT_SECONDS', value: String(SCALE_UP_CLEANUP_WAIT_SECONDS) },
              ],
              terminationMessagePolicy: 'FallbackToLogsOnError',
            },
          ],
        },
      },
    },
    waitForCompletion: true,
    timeouts: { create: `${Math.ceil((props.waitSeconds + 2 * SCALE_UP_CLEANUP_WAIT_SECONDS + 300) / 60)}m`, update: '60m' },
  });
}
