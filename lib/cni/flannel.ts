import { Construct } from 'constructs';
import { PortRule } from '../network/ports';
import { ProblemList } from '../plan/problems';
import { CniInstallation, CniInstallContext, CniPlugin, Datapath } from './cni-plugin';
import { bindings } from '../util/bindings';
import { checkImageReference } from './common';
import { flannelPorts } from './ports';

/** The two images a Flannel DaemonSet runs: flanneld itself and the CNI plugin binary installer. */
export class FlannelImages {
  /** Flannel v0.28.9 with the flannel-cni-plugin v1.9.1-flannel3 its release manifest pins. */
  public static v0_28_9(): FlannelImages {
    return new FlannelImages('ghcr.io/flannel-io/flannel:v0.28.9', 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3');
  }

  /** Any other build, for example a mirror in a private registry. Both need a tag or digest. */
  public static custom(flannel: string, cniPlugin: string): FlannelImages {
    return new FlannelImages(flannel, cniPlugin);
  }

  private constructor(
    /** Image of flanneld and of the init container that writes the CNI configuration. */
    public readonly flannel: string,
    /** Image of the init container that copies the `flannel` CNI binary to the host. */
    public readonly cniPlugin: string,
  ) {}
}

export interface FlannelOptions {
  /**
   * Images of flanneld and the CNI plugin installer.
   * @default FlannelImages.v0_28_9()
   */
  readonly images?: FlannelImages;
  /**
   * Lets flanneld write its masquerade and forward rules with nftables instead of iptables
   * (net-conf.json `EnableNFTables`). Useful on hosts without iptables; kube-proxy must then run
   * in nftables mode too.
   * @default false
   */
  readonly enableNftables?: boolean;
}

/** Flannel's own default pod range (net-conf.json `Network` in its manifest). */
export const FLANNEL_DEFAULT_POD_CIDR = '10.244.0.0/16';

const NAMESPACE = 'kube-flannel';
const CONFIG_MAP = 'kube-flannel-cfg';

/**
 * Flannel, as the Kubernetes resources of its v0.28.9 release manifest, object for object and
 * field for field, with the pod range from the address plan and the VXLAN backend.
 *
 * Flannel's `--kube-subnet-mgr` takes each node's range from `spec.podCIDR`, which
 * kube-controller-manager assigns when kubeadm sets `networking.podSubnet`; so `Network` here and
 * the cluster's podSubnet must be the same range, which both read from the plan.
 */
export class Flannel implements CniPlugin {
  public readonly name = 'flannel';
  public readonly defaultPodCidr = FLANNEL_DEFAULT_POD_CIDR;
  public readonly ports: readonly PortRule[] = flannelPorts();
  /** The Linux kernel's VXLAN port, which flannel's vxlan backend uses by default; no control channel between nodes. */
  public readonly datapath: Datapath = { encapsulation: 'vxlan', port: 8472, controlPorts: [] };
  public readonly images: FlannelImages;
  public readonly enableNftables: boolean;

  constructor(options: FlannelOptions = {}) {
    const problems = new ProblemList();
    this.images = options.images ?? FlannelImages.v0_28_9();
    this.enableNftables = options.enableNftables ?? false;
    checkImageReference(problems, 'flannel.images.flannel', this.images.flannel);
    checkImageReference(problems, 'flannel.images.cniPlugin', this.images.cniPlugin);
    problems.throwIfAny();
  }

  /** The CNI configuration the init container copies to /etc/cni/net.d on each node. */
  public cniConfig(): object {
    return {
      name: 'cbr0',
      cniVersion: '0.3.1',
      plugins: [
        { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
        // Makes hostPort work for pods.
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    };
  }

  /** flanneld's network configuration: the cluster's pod range and the VXLAN backend. */
  public netConfig(podCidr: string): object {
    return {
      Network: podCidr,
      EnableNFTables: this.enableNftables,
      Backend: { Type: 'vxlan' },
    };
  }

  public install(scope: Construct, id: string, context: CniInstallContext): CniInstallation {
    const { ClusterRoleBindingV1, ClusterRoleV1, ConfigMapV1, DaemonSetV1, NamespaceV1, ServiceAccountV1 } = bindings;
    const root = new Construct(scope, id);
    const common = { provider: context.kubernetesProvider, dependsOn: [...context.dependsOn] };
    const appLabel = { 'k8s-app': 'flannel' };

    const namespace = new NamespaceV1(root, 'namespace', {
      ...common,
      metadata: {
        name: NAMESPACE,
        // flanneld needs host networking and NET_ADMIN, which the stricter Pod Security levels refuse.
        labels: { ...appLabel, 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    });
    // Namespaced objects wait for their namespace.
    const inNamespace = { ...common, dependsOn: [...context.dependsOn, namespace] };

    const clusterRole = new ClusterRoleV1(root, 'cluster-role', {
      ...common,
      metadata: { name: 'flannel', labels: appLabel },
      rule: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        // Node ranges come from node.spec.podCIDR; the VXLAN details of peers from node annotations.
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      ],
    });
    const clusterRoleBinding = new ClusterRoleBindingV1(root, 'cluster-role-binding', {
      ...common,
      metadata: { name: 'flannel', labels: appLabel },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flannel' },
      subject: [{ kind: 'ServiceAccount', name: 'flannel', namespace: NAMESPACE }],
    });
    const serviceAccount = new ServiceAccountV1(root, 'service-account', {
      ...inNamespace,
      metadata: { name: 'flannel', namespace: NAMESPACE, labels: appLabel },
    });
    const configMap = new ConfigMapV1(root, 'config-map', {
      ...inNamespace,
      metadata: { name: CONFIG_MAP, namespace: NAMESPACE, labels: { tier: 'node', ...appLabel, app: 'flannel' } },
      data: {
        'cni-conf.json': `${JSON.stringify(this.cniConfig(), null, 2)}\n`,
        'net-conf.json': `${JSON.stringify(this.netConfig(context.plan.podCidr), null, 2)}\n`,
      },
    });
    const before = [namespace, clusterRole, clusterRoleBinding, serviceAccount, configMap];

    const configVolumeMount = { name: 'flannel-cfg', mountPath: '/etc/kube-flannel/' };
    const daemonSet = new DaemonSetV1(root, 'daemon-set', {
      ...common,
      // Pods start only once their account, permissions and configuration exist.
      dependsOn: [...context.dependsOn, ...before],
      metadata: { name: 'kube-flannel-ds', namespace: NAMESPACE, labels: { tier: 'node', app: 'flannel', ...appLabel } },
      spec: {
        selector: { matchLabels: { app: 'flannel' } },
        template: {
          metadata: { labels: { tier: 'node', app: 'flannel' } },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerm: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }],
                },
              },
            },
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            // Runs on the control plane and on not-ready nodes: they become ready only through it.
            toleration: [{ operator: 'Exists', effect: 'NoSchedule' }],
            serviceAccountName: 'flannel',
            initContainer: [
              {
                name: 'install-cni-plugin',
                image: this.images.cniPlugin,
                command: ['cp'],
                args: ['-f', '/flannel', '/opt/cni/bin/flannel'],
                volumeMount: [{ name: 'cni-plugin', mountPath: '/opt/cni/bin' }],
              },
              {
                name: 'install-cni',
                image: this.images.flannel,
                command: ['/opt/bin/install-conf'],
                args: ['/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'],
                volumeMount: [{ name: 'cni', mountPath: '/etc/cni/net.d' }, configVolumeMount],
              },
            ],
            container: [
              {
                name: 'kube-flannel',
                image: this.images.flannel,
                command: ['/opt/bin/flanneld'],
                args: ['--ip-masq', '--kube-subnet-mgr', '--healthz-port=8081'],
                port: [{ name: 'healthz', containerPort: 8081, protocol: 'TCP' }],
                livenessProbe: { httpGet: { path: '/healthz', port: 'healthz' }, initialDelaySeconds: 10, periodSeconds: 30 },
                readinessProbe: { httpGet: { path: '/readyz', port: 'healthz' }, initialDelaySeconds: 5, periodSeconds: 10 },
                resources: { requests: { cpu: '100m', memory: '50Mi' } },
                // Not privileged: routes, VXLAN devices and masquerade rules need only these two.
                securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'EVENT_QUEUE_DEPTH', value: '5000' },
                  { name: 'CONT_WHEN_CACHE_NOT_READY', value: 'false' },
                ],
                volumeMount: [
                  { name: 'run', mountPath: '/run/flannel' },
                  configVolumeMount,
                  { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
                ],
              },
            ],
            volume: [
              { name: 'run', hostPath: { path: '/run/flannel' } },
              { name: 'cni-plugin', hostPath: { path: '/opt/cni/bin' } },
              { name: 'cni', hostPath: { path: '/etc/cni/net.d' } },
              { name: 'flannel-cfg', configMap: { name: CONFIG_MAP } },
              { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            ],
          },
        },
      },
    });
    return { resources: [...before, daemonSet] };
  }
}
