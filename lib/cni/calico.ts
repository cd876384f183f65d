import { Construct } from 'constructs';
import { PortRule } from '../network/ports';
import { Cidr } from '../plan/cidr';
import { ProblemList } from '../plan/problems';
import { CniInstallation, CniInstallContext, CniPlugin, Datapath } from './cni-plugin';
import { bindings } from '../util/bindings';
import { chartValues, checkChartVersion } from './common';
import { CalicoEncapsulation, calicoPorts } from './ports';

/** How Calico carries pod traffic between nodes. */
export class CalicoEncapsulationMode {
  /** VXLAN on UDP 4789, always on. Needs only one UDP port between nodes. */
  public static readonly VXLAN = new CalicoEncapsulationMode('VXLAN');
  /** IP-in-IP (IP protocol 4), always on. Slightly less overhead than VXLAN; routes learnt over BGP. */
  public static readonly IPIP = new CalicoEncapsulationMode('IPIP');

  private constructor(
    /** The IP pool's `encapsulation` value. */
    public readonly value: CalicoEncapsulation,
  ) {}
}

export interface CalicoOptions {
  /**
   * Version of the `tigera-operator` chart (and so of Calico).
   * @default CALICO_CHART_VERSION
   */
  readonly version?: string;
  /**
   * Encapsulation between nodes.
   * @default CalicoEncapsulationMode.VXLAN
   */
  readonly encapsulation?: CalicoEncapsulationMode;
  /**
   * Prefix length of the address blocks Calico hands to nodes out of the pod range. Calico
   * allocates these itself (a node takes more blocks as it fills), so it does not use the plan's
   * `nodeCidrMaskSize`. Calico accepts /20 to /32.
   * @default 26
   */
  readonly blockSize?: number;
}

/** Chart repository of Calico's releases. */
export const CALICO_CHART_REPOSITORY = 'https://docs.tigera.io/calico/charts';
/**
 * Pinned chart version: the newest v3.31 patch release when this was written. A pin keeps every
 * apply installing the same thing; bump it deliberately.
 */
export const CALICO_CHART_VERSION = 'v3.31.7';
/** Calico's own default pod range (CALICO_IPV4POOL_CIDR). */
export const CALICO_DEFAULT_POD_CIDR = '192.168.0.0/16';
/** Calico's default block size. */
export const CALICO_DEFAULT_BLOCK_SIZE = 26;
/** Calico refuses IPv4 blocks larger than a /20. */
const CALICO_MIN_BLOCK_SIZE = 20;

/**
 * Calico through the Tigera operator's Helm chart. Its CRDs have no typed Terraform resource and
 * `kubernetes_manifest` needs the API at plan time, so the chart, which installs the CRDs and the
 * Installation resource together, is the only way in one apply.
 */
export class Calico implements CniPlugin {
  public readonly name = 'calico';
  public readonly defaultPodCidr = CALICO_DEFAULT_POD_CIDR;
  public readonly ports: readonly PortRule[];
  /** Calico nodes peer over BGP (TCP 179) in both modes; IP-in-IP routes depend on it. */
  public readonly datapath: Datapath;
  public readonly version: string;
  public readonly encapsulation: CalicoEncapsulationMode;
  public readonly blockSize: number;

  constructor(options: CalicoOptions = {}) {
    const problems = new ProblemList();
    this.version = options.version ?? CALICO_CHART_VERSION;
    this.encapsulation = options.encapsulation ?? CalicoEncapsulationMode.VXLAN;
    this.blockSize = options.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE;
    checkChartVersion(problems, 'calico.version', this.version, true, CALICO_CHART_VERSION);
    if (!Number.isInteger(this.blockSize) || this.blockSize < CALICO_MIN_BLOCK_SIZE || this.blockSize > 32) {
      problems.add('calico.blockSize', this.blockSize, `Calico's IPv4 block size is a prefix length from ${CALICO_MIN_BLOCK_SIZE} to 32`, `use ${CALICO_DEFAULT_BLOCK_SIZE} (64 addresses per block) unless nodes need bigger blocks`);
    }
    problems.throwIfAny();
    this.ports = calicoPorts({ encapsulation: this.encapsulation.value });
    this.datapath = this.encapsulation === CalicoEncapsulationMode.VXLAN
      ? { encapsulation: 'vxlan', port: 4789, controlPorts: [179] }
      : { encapsulation: 'ipip', controlPorts: [179] };
  }

  /** The chart values, as an object (serialised to YAML for the release). */
  public values(context: Pick<CniInstallContext, 'plan'>): object {
    this.checkAgainstPlan(context.plan);
    return {
      installation: {
        // Self-managed (kubeadm): no provider-specific defaults.
        kubernetesProvider: '',
        calicoNetwork: {
          ipPools: [
            {
              cidr: context.plan.podCidr,
              blockSize: this.blockSize,
              encapsulation: this.encapsulation.value,
              // Pods reach beyond the cluster with the node's address, which the VPC routes.
              natOutgoing: 'Enabled',
              nodeSelector: 'all()',
            },
          ],
        },
      },
      // No kubernetesServiceEndpoint: the operator reaches the API through the kubernetes Service,
      // which kube-proxy (a host-network DaemonSet kubeadm installs) serves before any pod network
      // exists; and chart versions differ in whether they quote the port that setting writes into
      // a ConfigMap.
    };
  }

  public install(scope: Construct, id: string, context: CniInstallContext): CniInstallation {
    const values = this.values(context);
    const root = new Construct(scope, id);
    const { Release } = bindings;
    const release = new Release(root, 'release', {
      provider: context.helmProvider,
      dependsOn: [...context.dependsOn],
      name: 'calico',
      repository: CALICO_CHART_REPOSITORY,
      chart: 'tigera-operator',
      version: this.version,
      namespace: 'tigera-operator',
      createNamespace: true,
      values: [chartValues(values)],
      // Helm waits for the operator only; the operator then rolls out calico-node on its own.
      timeout: 900,
    });
    return { resources: [release] };
  }

  /** The block size must fit the plan's pod range, with a block for every node. */
  private checkAgainstPlan(plan: CniInstallContext['plan']): void {
    const problems = new ProblemList();
    const pod = Cidr.parse(plan.podCidr);
    if (this.blockSize < pod.prefix) {
      problems.add('calico.blockSize', this.blockSize, `a /${this.blockSize} block is larger than the pod range ${plan.podCidr}`, `use a block size of at least ${pod.prefix}, for example ${Math.max(pod.prefix, CALICO_DEFAULT_BLOCK_SIZE)}`);
    } else {
      const blocks = 2 ** (this.blockSize - pod.prefix);
      if (blocks < plan.nodeCount) {
        problems.add('calico.blockSize', this.blockSize, `${plan.podCidr} holds ${blocks} blocks of /${this.blockSize}, fewer than the ${plan.nodeCount} planned nodes, so some nodes would get no pod addresses`, `use a block size of at least ${pod.prefix + Math.ceil(Math.log2(plan.nodeCount))}, or a larger podCidr`);
      }
    }
    problems.throwIfAny();
  }
}
