import type { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { bindings } from '../util/bindings';
import { cloudCheckObjects, LOAD_BALANCER_SERVICE_NAME, VOLUME_CLAIM_NAME, VOLUME_POD_NAME } from './cloud-check-objects';
import { CLOUD_CHECK_SCRIPT } from './cloud-check-script';
import { CONNECTIVITY_SCRIPT } from './connectivity-script';
import { addScaleUpCheck } from './scale-up-check';

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
   * Client image that runs the check (needs sh, nslookup, wget, grep, awk and curl with CA
   * certificates).
   * @default 'curlimages/curl:8.16.0' - Alpine with busybox and curl
   */
  readonly clientImage?: string;
  /**
   * How many nodes must be Ready: the control plane plus each pool's minimum.
   * @default 1
   */
  readonly expectedNodes?: number;
  /**
   * An HTTPS address on the internet that pods must reach.
   * @default 'https://checkip.amazonaws.com'
   */
  readonly egressUrl?: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
  /**
   * Also prove the cloud integration, after the pod network: a second Job creates a Service of
   * type LoadBalancer in front of the nginx pods and reaches nginx through the AWS load balancer's
   * host name, has a pod write and read a file on a new EBS volume of `storageClass`, and deletes
   * both again, waiting until the load balancer and the volume are gone.
   * @default false
   */
  readonly cloudCheck?: boolean;
  /**
   * The StorageClass the cloud check's volume claim asks for.
   * @default 'gp3'
   */
  readonly storageClass?: string;
  /**
   * Also prove the cluster autoscaler, after the pod network check (and the cloud check): a Job
   * asks for one pod more than there are nodes, none sharing a node, waits up to `waitSeconds`
   * until the autoscaler's new node runs the last one, and deletes them again.
   * @default - no scale-up check
   */
  readonly scaleUpCheck?: { readonly waitSeconds: number; readonly dependsOn: readonly ITerraformDependable[] };
}

const APP_LABEL = 'kubeadm-connectivity-check';
/** Where a pod finds its service account's token and CA. */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** How long the cloud check waits for the volume, the load balancer, and their removal. */
export const CLOUD_CHECK_WAIT_SECONDS = { volume: 300, loadBalancer: 420, cleanup: 300 } as const;
const REPLICAS = 2;
/** How long the check waits for nodes to be Ready and initialised, within the Job's deadline. */
export const NODE_WAIT_SECONDS = 420;
// The control-plane node may host one replica, so a cluster with a single worker still has the two
// replicas on two different nodes.
const CONTROL_PLANE_TOLERATION = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };

/**
 * Proves the cluster works after the deploy, as part of it: two nginx pods on two different nodes,
 * a Service, and a Job that checks the nodes (enough of them Ready, each with its provider ID and
 * initialised by the cloud controller manager; it may list nodes and nothing else), reaches both
 * pods by pod IP and the Service by cluster IP and DNS name, and reaches the internet. If any of
 * it fails, the Job fails and so does `cdktf deploy`.
 */
/** nginx's default site, with `/client-address` answering the address a request came from. */
export const NGINX_CONFIG = [
  'server {',
  '    listen 80;',
  '    location = /client-address {',
  '        default_type text/plain;',
  '        return 200 "$remote_addr\\n";',
  '    }',
  '    location / {',
  '        root /usr/share/nginx/html;',
  '        index index.html;',
  '    }',
  '}',
  '',
].join('\n');

export class ConnectivityCheck extends Construct {
  public readonly job: JobV1;
  /** The cloud check's Job, with `cloudCheck`. */
  public readonly cloudJob?: JobV1;
  /** The scale-up check's Job, with `scaleUpCheck`. */
  public readonly scaleUpJob?: JobV1;

  constructor(scope: Construct, id: string, props: ConnectivityCheckProps) {
    super(scope, id);
    const { ClusterRoleBindingV1, ClusterRoleV1, ConfigMapV1, DeploymentV1, JobV1, NamespaceV1, ServiceAccountV1, ServiceV1 } = bindings;
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

    // nginx's default site, plus /client-address, which answers with the address a request came
    // from: the check holds it to its own pod's address (nothing translates pod-to-pod traffic).
    const serverConfig = new ConfigMapV1(this, 'server-config', {
      provider,
      metadata: { name: 'nginx-config', namespace: ns, labels },
      data: { 'default.conf': NGINX_CONFIG },
    });
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
                livenessProbe: { httpGet: { path: '/', port: '80' }, periodSeconds: 10 },
                // nginx's master starts as root, binds port 80 and switches its workers to the
                // nginx user, so it keeps those capabilities; it never needs raw sockets, nor to
                // gain privileges through a setuid program.
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['NET_RAW'] } },
                // A memory limit, no CPU limit (see "What the defaults leave out" in the README).
                // nginx starts a worker per CPU of the node, of about a megabyte each.
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
                volumeMount: [{ name: 'config', mountPath: '/etc/nginx/conf.d/default.conf', subPath: 'default.conf', readOnly: true }],
              },
            ],
            volume: [{ name: 'config', configMap: { name: serverConfig.metadata.name } }],
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

    // The Job may read the node list, nothing else.
    const account = new ServiceAccountV1(this, 'account', {
      provider,
      metadata: { name: 'node-check', namespace: ns, labels },
      automountServiceAccountToken: true,
    });
    const role = new ClusterRoleV1(this, 'node-reader', {
      provider,
      dependsOn: [namespace],
      metadata: { name: 'kubeadm-connectivity-check', labels },
      rule: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }],
    });
    const binding = new ClusterRoleBindingV1(this, 'node-reader-binding', {
      provider,
      metadata: { name: 'kubeadm-connectivity-check', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: ns }],
    });

    this.job = new JobV1(this, 'check', {
      provider,
      dependsOn: [servers, service, headless, binding],
      metadata: { name: 'pod-network-check', namespace: ns, labels },
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: 600,
        template: {
          metadata: { labels: { app: `${APP_LABEL}-client` } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: account.metadata.name,
            toleration: [CONTROL_PLANE_TOLERATION],
            container: [
              {
                name: 'check',
                image: props.clientImage ?? 'curlimages/curl:8.16.0',
                command: ['sh', '-c', CONNECTIVITY_SCRIPT],
                env: [
                  { name: 'SA_DIR', value: SA_DIR },
                  { name: 'PODS_DNS_NAME', value: `nginx-pods.${ns}.svc.${domain}` },
                  { name: 'EXPECTED_PODS', value: String(REPLICAS) },
                  { name: 'SERVICE_IP', value: service.spec.clusterIp },
                  { name: 'SERVICE_DNS_NAME', value: `nginx.${ns}.svc.${domain}` },
                  { name: 'EXPECTED_NODES', value: String(props.expectedNodes ?? 1) },
                  { name: 'NODE_WAIT_SECONDS', value: String(NODE_WAIT_SECONDS) },
                  { name: 'EGRESS_URL', value: props.egressUrl ?? 'https://checkip.amazonaws.com' },
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
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

    if (props.cloudCheck) {
      this.cloudJob = this.addCloudCheck({ ...props, namespace: ns, labels, image: props.clientImage ?? 'curlimages/curl:8.16.0', serverImage: props.serverImage ?? 'nginx:1.29-alpine', timeout });
    }
    if (props.scaleUpCheck) {
      // After the other checks: their pods would otherwise count on nodes the scale-up check counts.
      this.scaleUpJob = addScaleUpCheck(this, {
        kubernetesProvider: provider, namespace: ns, image: props.clientImage ?? 'curlimages/curl:8.16.0', serviceAccountDir: SA_DIR, toleration: CONTROL_PLANE_TOLERATION,
        waitSeconds: props.scaleUpCheck.waitSeconds, dependsOn: [this.job, ...(this.cloudJob ? [this.cloudJob] : []), ...props.scaleUpCheck.dependsOn],
      });
    }
  }

  /**
   * The cloud check's Job and what it may do: create, read and delete Services, claims and pods in
   * the check's namespace, and read PersistentVolumes (to see the volume go). It runs after the
   * pod network check, whose nginx pods the load balancer reaches.
   */
  private addCloudCheck(props: ConnectivityCheckProps & { namespace: string; labels: Record<string, string>; image: string; serverImage: string; timeout: string }): JobV1 {
    const { ClusterRoleBindingV1, ClusterRoleV1, JobV1, RoleBindingV1, RoleV1, ServiceAccountV1 } = bindings;
    const provider = props.kubernetesProvider;
    const labels = { app: 'kubeadm-cloud-check' };
    const account = new ServiceAccountV1(this, 'cloud-account', {
      provider,
      metadata: { name: 'cloud-check', namespace: props.namespace, labels },
      automountServiceAccountToken: true,
    });
    const role = new RoleV1(this, 'cloud-role', {
      provider,
      metadata: { name: 'kubeadm-cloud-check', namespace: props.namespace, labels },
      rule: [{ apiGroups: [''], resources: ['services', 'persistentvolumeclaims', 'pods'], verbs: ['create', 'get', 'delete'] }],
    });
    const binding = new RoleBindingV1(this, 'cloud-role-binding', {
      provider,
      metadata: { name: 'kubeadm-cloud-check', namespace: props.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: props.namespace }],
    });
    const volumeReader = new ClusterRoleV1(this, 'volume-reader', {
      provider,
      metadata: { name: 'kubeadm-cloud-check', labels },
      rule: [{ apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get'] }],
    });
    const volumeReaderBinding = new ClusterRoleBindingV1(this, 'volume-reader-binding', {
      provider,
      metadata: { name: 'kubeadm-cloud-check', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: volumeReader.metadata.name },
      subject: [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: props.namespace }],
    });
    const objects = cloudCheckObjects({ serverLabels: props.labels, serverPortName: 'http', storageClass: props.storageClass ?? 'gp3', image: props.serverImage });
    const waits = CLOUD_CHECK_WAIT_SECONDS;
    return new JobV1(this, 'cloud-check', {
      provider,
      dependsOn: [this.job, binding, volumeReaderBinding],
      metadata: { name: 'cloud-check', namespace: props.namespace, labels },
      spec: {
        backoffLimit: 1,
        activeDeadlineSeconds: 2 * (waits.volume + waits.loadBalancer + waits.cleanup),
        template: {
          metadata: { labels: { app: 'kubeadm-cloud-check-client' } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: account.metadata.name,
            // Time to delete the load balancer and the volume when the deadline stops it.
            terminationGracePeriodSeconds: waits.cleanup,
            toleration: [CONTROL_PLANE_TOLERATION],
            container: [
              {
                name: 'check',
                image: props.image,
                command: ['sh', '-c', CLOUD_CHECK_SCRIPT],
                env: [
                  { name: 'SA_DIR', value: SA_DIR },
                  { name: 'NAMESPACE', value: props.namespace },
                  { name: 'SERVICE_NAME', value: LOAD_BALANCER_SERVICE_NAME },
                  { name: 'CLAIM_NAME', value: VOLUME_CLAIM_NAME },
                  { name: 'POD_NAME', value: VOLUME_POD_NAME },
                  { name: 'SERVICE_JSON', value: JSON.stringify(objects.service) },
                  { name: 'CLAIM_JSON', value: JSON.stringify(objects.claim) },
                  { name: 'POD_JSON', value: JSON.stringify(objects.pod) },
                  { name: 'VOLUME_WAIT_SECONDS', value: String(waits.volume) },
                  { name: 'LB_WAIT_SECONDS', value: String(waits.loadBalancer) },
                  { name: 'CLEANUP_WAIT_SECONDS', value: String(waits.cleanup) },
                ],
                terminationMessagePolicy: 'FallbackToLogsOnError',
              },
            ],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: '40m', update: '40m' },
    });
  }
}
