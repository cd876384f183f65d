import type { DaemonSetV1SpecTemplateSpecContainerEnv } from '@cdktf/provider-kubernetes/lib/daemon-set-v1';
import type { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { PortRule } from '../network/ports';
import { ProblemList } from '../plan/problems';
import { stackProvider } from '../util/providers';
import { bindings } from '../util/bindings';
import { CniInstallation, CniInstallContext, CniPlugin, Datapath } from './cni-plugin';
import { checkImageReference } from './common';
import { weavePorts } from './ports';

/** The pair of images a Weave Net DaemonSet runs: the router (`weave-kube`) and the policy controller (`weave-npc`). */
export class WeaveImage {
  /** Weaveworks' last release, v2.8.1 (2021), as its release manifest pins it. Unmaintained since 2022. */
  public static upstream(): WeaveImage {
    return new WeaveImage('weaveworks/weave-kube:2.8.1', 'weaveworks/weave-npc:2.8.1');
  }

  /**
   * The community fork ("ReWeave", github.com/rajch/weave) that the Kubernetes documentation now
   * links to: the same manifest and settings, rebuilt with current dependencies. v2.9.0
   * (2024-12-22) is its latest release; it defaults iptables to the nft backend.
   */
  public static reweave(): WeaveImage {
    return new WeaveImage('rajchaudhuri/weave-kube:2.9.0', 'rajchaudhuri/weave-npc:2.9.0');
  }

  /** Any other build, for example a mirror in a private registry. Both need a tag or digest. */
  public static custom(kube: string, npc: string): WeaveImage {
    return new WeaveImage(kube, npc);
  }

  private constructor(
    /** Image of the init container and the router container. */
    public readonly kube: string,
    /** Image of the network policy controller container. */
    public readonly npc: string,
  ) {}
}

/**
 * Which iptables backend Weave Net's containers use. Both image lines read the variable
 * IPTABLES_BACKEND; left unset they guess from the rules already on the host.
 *
 * The values are `nft` and `legacy`: Weaveworks' script switches to nft only for `nft`, and the
 * ReWeave script switches to legacy only for `legacy`, so these two mean the same on both images
 * (the word `iptables`, which the old docs mention, would mean legacy on one and nft on the other).
 */
export class WeaveIptablesBackend {
  /** iptables-nft, the default of current distributions and of kube-proxy on them. */
  public static readonly NFT = new WeaveIptablesBackend('nft');
  /** iptables-legacy, for hosts whose other tools still write legacy rules. */
  public static readonly LEGACY = new WeaveIptablesBackend('legacy');

  private constructor(
    /** The value of IPTABLES_BACKEND. */
    public readonly value: string,
  ) {}
}

export interface WeaveOptions {
  /**
   * Images of the router and the policy controller.
   * @default WeaveImage.reweave() - the maintained fork; `WeaveImage.upstream()` gives Weaveworks' 2.8.1
   */
  readonly image?: WeaveImage;
  /**
   * MTU of the Weave network (WEAVE_MTU), a multiple of 4.
   * @default 8912 - suits the 9001-byte jumbo frames an AWS VPC carries (see WEAVE_AWS_MTU)
   */
  readonly mtu?: number;
  /**
   * Encrypts traffic between nodes: control traffic with NaCl, the fast datapath with IPsec ESP.
   * A random password is generated (random provider) and kept in a Secret the router reads, and
   * the node security groups then also allow ESP (IP protocol 50).
   * @default false
   */
  readonly encryption?: boolean;
  /**
   * The iptables backend (IPTABLES_BACKEND).
   * @default - unset: the containers detect the backend from the host's existing rules
   */
  readonly iptablesBackend?: WeaveIptablesBackend;
}

/** Weave Net's own default pod range (IPALLOC_RANGE when the manifest sets none). */
export const WEAVE_DEFAULT_POD_CIDR = '10.32.0.0/12';

/**
 * Default MTU on AWS. A VPC carries 9001-byte frames between instances. Weave's fast datapath needs
 * 84 to 87 bytes of headroom (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 = 50, plus 34
 * for ESP when encrypted; net/bridge.go and site/tasks/manage/fastdp.md) and wants a multiple of 4:
 * 9001 - 87 = 8914, rounded down to 8912, which holds with or without encryption. Weave's own
 * default of 1376 is sized for GCE's 1460-byte underlay and would waste most of each jumbo frame.
 * A path that cannot carry the size only falls back to the slower sleeve mode.
 */
export const WEAVE_AWS_MTU = 8912;
/** The smallest datagram every IPv4 host must accept (RFC 791); below it nothing works. */
const WEAVE_MIN_MTU = 576;

/** Key of the Secret entry that holds the encryption password. */
const PASSWORD_KEY = 'weave-passwd';

const NAME = 'weave-net';
const NAMESPACE = 'kube-system';
const LABELS = { name: NAME };

/**
 * Weave Net, as the Kubernetes resources of its v2.8.1 release manifest, object for object and
 * field for field, with the pod range, MTU, encryption and iptables backend set from the plan and
 * options, and the call home to Weaveworks' defunct version-check service turned off.
 */
export class WeaveNet implements CniPlugin {
  public readonly name = NAME;
  public readonly defaultPodCidr = WEAVE_DEFAULT_POD_CIDR;
  public readonly ports: readonly PortRule[];
  /** Fast datapath is VXLAN on UDP 6784; peers talk over TCP 6783. */
  public readonly datapath: Datapath = { encapsulation: 'vxlan', port: 6784, controlPorts: [6783] };
  public readonly image: WeaveImage;
  public readonly mtu: number;
  public readonly encryption: boolean;
  public readonly iptablesBackend?: WeaveIptablesBackend;

  constructor(options: WeaveOptions = {}) {
    const problems = new ProblemList();
    this.image = options.image ?? WeaveImage.reweave();
    this.mtu = options.mtu ?? WEAVE_AWS_MTU;
    this.encryption = options.encryption ?? false;
    this.iptablesBackend = options.iptablesBackend;

    checkImageReference(problems, 'weave.image.kube', this.image.kube);
    checkImageReference(problems, 'weave.image.npc', this.image.npc);
    if (!Number.isInteger(this.mtu) || this.mtu < WEAVE_MIN_MTU || this.mtu > WEAVE_AWS_MTU) {
      problems.add('weave.mtu', this.mtu, `Weave Net's MTU must be a whole number from ${WEAVE_MIN_MTU} to ${WEAVE_AWS_MTU} (AWS's 9001-byte frames less Weave's overhead)`, `use ${WEAVE_AWS_MTU} on AWS, or less if some path between nodes carries smaller frames`);
    } else if (this.mtu % 4 !== 0) {
      problems.add('weave.mtu', this.mtu, "Weave Net's fast datapath wants an MTU divisible by 4", `use ${this.mtu - (this.mtu % 4)}`);
    }
    problems.throwIfAny();

    this.ports = weavePorts({ encryption: this.encryption });
  }

  public install(scope: Construct, id: string, context: CniInstallContext): CniInstallation {
    const { ClusterRoleBindingV1, ClusterRoleV1, DaemonSetV1, RoleBindingV1, RoleV1, ServiceAccountV1 } = bindings;
    const root = new Construct(scope, id);
    const common = { provider: context.kubernetesProvider, dependsOn: [...context.dependsOn] };
    const created: ITerraformDependable[] = [];

    const serviceAccount = new ServiceAccountV1(root, 'service-account', {
      ...common,
      metadata: { name: NAME, namespace: NAMESPACE, labels: LABELS },
    });
    const clusterRole = new ClusterRoleV1(root, 'cluster-role', {
      ...common,
      metadata: { name: NAME, labels: LABELS },
      rule: [
        // Peers are found from nodes; pods and namespaces feed the network policy controller.
        { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['extensions'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
        // The router clears the NetworkUnavailable condition once it runs.
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch', 'update'] },
      ],
    });
    const clusterRoleBinding = new ClusterRoleBindingV1(root, 'cluster-role-binding', {
      ...common,
      metadata: { name: NAME, labels: LABELS },
      roleRef: { kind: 'ClusterRole', name: NAME, apiGroup: 'rbac.authorization.k8s.io' },
      subject: [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }],
    });
    const role = new RoleV1(root, 'role', {
      ...common,
      metadata: { name: NAME, namespace: NAMESPACE, labels: LABELS },
      rule: [
        // The IP allocator keeps its ring state in the ConfigMap weave-net.
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [NAME], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      ],
    });
    const roleBinding = new RoleBindingV1(root, 'role-binding', {
      ...common,
      metadata: { name: NAME, namespace: NAMESPACE, labels: LABELS },
      roleRef: { kind: 'Role', name: NAME, apiGroup: 'rbac.authorization.k8s.io' },
      subject: [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }],
    });
    created.push(serviceAccount, clusterRole, clusterRoleBinding, role, roleBinding);

    const routerEnv: DaemonSetV1SpecTemplateSpecContainerEnv[] = [
      { name: 'INIT_CONTAINER', value: 'true' },
      { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      // Weave allocates pod IPs itself from this range; it must be the cluster's pod range, which
      // kube-proxy also uses (clusterCIDR) to tell pod traffic from outside traffic.
      { name: 'IPALLOC_RANGE', value: context.plan.podCidr },
      { name: 'WEAVE_MTU', value: String(this.mtu) },
      // Turns off the router's call home for new versions: the service (checkpoint-api.weave.works)
      // went with Weaveworks, and nobody should answer for it from a cluster's nodes. The ReWeave
      // manifest sets the same.
      { name: 'CHECKPOINT_DISABLE', value: '1' },
    ];
    if (this.encryption) {
      const secret = this.passwordSecret(root, common);
      created.push(secret);
      routerEnv.push({ name: 'WEAVE_PASSWORD', valueFrom: { secretKeyRef: { name: PASSWORD_KEY, key: PASSWORD_KEY } } });
    }
    const npcEnv: DaemonSetV1SpecTemplateSpecContainerEnv[] = [
      { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
    ];
    if (this.iptablesBackend) {
      // Both containers write iptables rules, so both must use the same backend.
      routerEnv.push({ name: 'IPTABLES_BACKEND', value: this.iptablesBackend.value });
      npcEnv.push({ name: 'IPTABLES_BACKEND', value: this.iptablesBackend.value });
    }

    const xtablesLock = { name: 'xtables-lock', mountPath: '/run/xtables.lock', readOnly: false };
    const daemonSet = new DaemonSetV1(root, 'daemon-set', {
      ...common,
      // The objects it names (service account, RBAC, secret) go first, so the first pods start
      // with their permissions in place instead of crash-looping until they appear.
      dependsOn: [...context.dependsOn, ...created],
      metadata: { name: NAME, namespace: NAMESPACE, labels: LABELS },
      spec: {
        selector: { matchLabels: LABELS },
        // Gives each pod time to connect to its peers before the rollout moves to the next node.
        minReadySeconds: 5,
        strategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: LABELS },
          spec: {
            initContainer: [
              {
                // Installs the CNI plugin binaries and configuration on the host.
                name: 'weave-init',
                image: this.image.kube,
                command: ['/home/weave/init.sh'],
                securityContext: { privileged: true },
                volumeMount: [
                  { name: 'cni-bin', mountPath: '/host/opt' },
                  { name: 'cni-bin2', mountPath: '/host/home' },
                  { name: 'cni-conf', mountPath: '/host/etc' },
                  { name: 'lib-modules', mountPath: '/lib/modules' },
                  xtablesLock,
                ],
              },
            ],
            container: [
              {
                name: 'weave',
                command: ['/home/weave/launch.sh'],
                env: routerEnv,
                image: this.image.kube,
                readinessProbe: { httpGet: { host: '127.0.0.1', path: '/status', port: '6784' } },
                resources: { requests: { cpu: '50m' } },
                securityContext: { privileged: true },
                volumeMount: [
                  { name: 'weavedb', mountPath: '/weavedb' },
                  { name: 'dbus', mountPath: '/host/var/lib/dbus', readOnly: true },
                  { name: 'cni-machine-id', mountPath: '/host/etc/machine-id', readOnly: true },
                  xtablesLock,
                ],
              },
              {
                name: 'weave-npc',
                env: npcEnv,
                image: this.image.npc,
                resources: { requests: { cpu: '50m' } },
                securityContext: { privileged: true },
                volumeMount: [xtablesLock],
              },
            ],
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            hostPid: false,
            restartPolicy: 'Always',
            securityContext: { seLinuxOptions: {} },
            serviceAccountName: NAME,
            // Runs on every node, the control plane and not-ready nodes included: without it no
            // node ever becomes ready.
            toleration: [
              { effect: 'NoSchedule', operator: 'Exists' },
              { effect: 'NoExecute', operator: 'Exists' },
            ],
            volume: [
              { name: 'weavedb', hostPath: { path: '/var/lib/weave' } },
              { name: 'cni-bin', hostPath: { path: '/opt' } },
              { name: 'cni-bin2', hostPath: { path: '/home' } },
              { name: 'cni-conf', hostPath: { path: '/etc' } },
              { name: 'cni-machine-id', hostPath: { path: '/etc/machine-id' } },
              { name: 'dbus', hostPath: { path: '/var/lib/dbus' } },
              { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
              { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            ],
            priorityClassName: 'system-node-critical',
          },
        },
      },
    });
    created.push(daemonSet);
    return { resources: created };
  }

  /**
   * The encryption password: generated by the random provider (so it never appears in code or
   * plan output) and handed to the router through a Secret.
   */
  private passwordSecret(scope: Construct, common: { provider: CniInstallContext['kubernetesProvider']; dependsOn: ITerraformDependable[] }): SecretV1 {
    // One shared default random provider per stack (others use it for tokens): a second default
    // configuration of the same provider is a Terraform error.
    const { Password, SecretV1 } = bindings;
    const randomProvider = stackProvider(scope, RandomProvider, 'random');
    const password = new Password(scope, 'password', {
      provider: randomProvider,
      length: 64,
      // Letters and digits only: 380 bits is plenty, and nothing needs quoting anywhere.
      special: false,
    });
    return new SecretV1(scope, 'password-secret', {
      ...common,
      metadata: { name: PASSWORD_KEY, namespace: NAMESPACE, labels: LABELS },
      type: 'Opaque',
      data: { [PASSWORD_KEY]: password.result },
    });
  }
}
