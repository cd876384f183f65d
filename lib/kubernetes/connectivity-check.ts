import type { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { bindings } from '../util/bindings';
import { CONNECTIVITY_SCRIPT } from './connectivity-script';

export interface ConnectivityCheckProps {
  readonly kubernetesProvider: KubernetesProvider;
  /** What the check runs after: the network plugin. */
  readonly dependsOn: readonly ITerraformDependable[];
  /**
   * Namespace the check's objects live in (created).
   * @default 'kubeadm-connectivity-check'
   */
  readonly namespace?: string;
  /**
   * How long to wait for workers to join and the check to pass.
   * @default '20m'
   */
  readonly timeout?: string;
  /**
   * Web server image the check reaches.
   * @default 'nginx:1.29-alpine'
   */
  readonly serverImage?: string;
  /**
   * Client image that runs the check (needs sh, nslookup and wget).
   * @default 'busybox:1.37'
   */
  readonly clientImage?: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
}

const APP_LABEL = 'kubeadm-connectivity-check';
const REPLICAS = 2;
// The control-plane node may host one replica, so a cluster with a single worker still has the two
// replicas on two different nodes.
const CONTROL_PLANE_TOLERATION = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };

/**
 * Proves the pod network after the deploy, as part of it: two nginx pods on two different nodes,
 * a Service, and a Job that reaches both pods by pod IP and the Service by cluster IP and DNS name.
 * If the pod network does not work, the Job fails and so does `cdktf deploy`.
 */
export class ConnectivityCheck extends Construct {
  public readonly job: JobV1;

  constructor(scope: Construct, id: string, props: ConnectivityCheckProps) {
    super(scope, id);
    const { DeploymentV1, JobV1, NamespaceV1, ServiceV1 } = bindings;
    const provider = props.kubernetesProvider;
    const timeout = props.timeout ?? '20m';
    const domain = props.clusterDomain ?? 'cluster.local';
    const labels = { app: APP_LABEL };

    const namespace = new NamespaceV1(this, 'namespace', {
      provider,
      dependsOn: [...props.dependsOn],
      metadata: { name: props.namespace ?? 'kubeadm-connectivity-check' },
    });
    const ns = namespace.metadata.name;

    const servers = new DeploymentV1(this, 'servers', {
      provider,
      metadata: { name: 'nginx', namespace: ns, labels },
      spec: {
        replicas: String(REPLICAS),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            toleration: [CONTROL_PLANE_TOLERATION],
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: [{ matchLabels: labels }] }],
              },
            },
            container: [
              {
                name: 'nginx',
                image: props.serverImage ?? 'nginx:1.29-alpine',
                port: [{ containerPort: 80, name: 'http' }],
                readinessProbe: { httpGet: { path: '/', port: '80' }, periodSeconds: 2 },
              },
            ],
          },
        },
      },
      timeouts: { create: timeout, update: timeout },
    });

    const service = new ServiceV1(this, 'service', {
      provider,
      metadata: { name: 'nginx', namespace: ns, labels },
      spec: { selector: labels, port: [{ port: 80, targetPort: 'http', name: 'http' }] },
    });
    // A headless Service answers DNS with every ready pod IP, so the Job finds the pods without API access.
    const headless = new ServiceV1(this, 'pods', {
      provider,
      metadata: { name: 'nginx-pods', namespace: ns, labels },
      spec: { selector: labels, clusterIp: 'None', port: [{ port: 80, targetPort: 'http', name: 'http' }] },
    });

    this.job = new JobV1(this, 'check', {
      provider,
      dependsOn: [servers, service, headless],
      metadata: { name: 'pod-network-check', namespace: ns, labels },
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: 600,
        template: {
          metadata: { labels: { app: `${APP_LABEL}-client` } },
          spec: {
            restartPolicy: 'Never',
            toleration: [CONTROL_PLANE_TOLERATION],
            container: [
              {
                name: 'check',
                image: props.clientImage ?? 'busybox:1.37',
                command: ['sh', '-c', CONNECTIVITY_SCRIPT],
                env: [
                  { name: 'PODS_DNS_NAME', value: `nginx-pods.${ns}.svc.${domain}` },
                  { name: 'EXPECTED_PODS', value: String(REPLICAS) },
                  { name: 'SERVICE_IP', value: service.spec.clusterIp },
                  { name: 'SERVICE_DNS_NAME', value: `nginx.${ns}.svc.${domain}` },
                ],
                terminationMessagePolicy: 'FallbackToLogsOnError',
              },
            ],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: timeout, update: timeout },
    });
  }
}
