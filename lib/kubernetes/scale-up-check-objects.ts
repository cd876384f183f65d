/**
 * The Deployment the scale-up check creates through the API and removes again, as the JSON the
 * API server takes. Its pods ask for little, but no two may share a node (required anti-affinity by
 * host name) and they tolerate every taint, so the check asks for one pod more than the cluster has
 * schedulable nodes: that pod fits nowhere until the cluster autoscaler adds a node, which it does
 * because its simulation of a new node of an autoscaled pool (the scheduler's predicates,
 * inter-pod anti-affinity among them) finds room for it. No pod's size has to be guessed against
 * instance types the check does not know.
 */

export const SCALE_UP_DEPLOYMENT_NAME = 'scale-up-check';
export const SCALE_UP_LABELS: Readonly<Record<string, string>> = { app: 'kubeadm-scale-up-check' };
/** What each pod asks for: enough to be counted, little enough to fit any node. */
export const SCALE_UP_POD_REQUESTS = { cpu: '10m', memory: '16Mi' } as const;
/** Where the script puts the replica count into the Deployment it creates. */
export const REPLICAS_PLACEHOLDER = 'REPLICAS_PLACEHOLDER';

/**
 * The Deployment, with `REPLICAS_PLACEHOLDER` (unquoted: the script replaces it with a number) for
 * the count the script learns from the cluster.
 * @param image an image that sleeps with `sleep` (the check's own)
 */
export function scaleUpDeploymentJson(image: string): string {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SCALE_UP_DEPLOYMENT_NAME, labels: { ...SCALE_UP_LABELS } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { ...SCALE_UP_LABELS } },
      template: {
        metadata: { labels: { ...SCALE_UP_LABELS } },
        spec: {
          terminationGracePeriodSeconds: 1,
          tolerations: [{ operator: 'Exists' }],
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...SCALE_UP_LABELS } } }],
            },
          },
          containers: [
            {
              name: 'hold',
              image,
              command: ['sleep', '3600'],
              resources: { requests: { ...SCALE_UP_POD_REQUESTS }, limits: { memory: SCALE_UP_POD_REQUESTS.memory } },
            },
          ],
        },
      },
    },
  };
  return JSON.stringify(deployment).replace('"replicas":0', `"replicas":${REPLICAS_PLACEHOLDER}`);
}
