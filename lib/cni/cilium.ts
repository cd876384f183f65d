import { Construct } from 'constructs';
import { PortRule } from '../network/ports';
import { ProblemList } from '../plan/problems';
import { CniInstallation, CniInstallContext, CniPlugin, Datapath } from './cni-plugin';
import { bindings } from '../util/bindings';
import { chartValues, checkChartVersion, portValue } from './common';
import { ciliumPorts } from './ports';

/** Where Cilium takes each node's pod range from. */
export class CiliumIpam {
  /**
   * Cilium's operator carves node ranges out of the cluster's pod range itself (`cluster-pool`),
   * each the plan's `nodeCidrMaskSize` long. Cilium's recommended mode.
   */
  public static clusterPool(): CiliumIpam {
    return new CiliumIpam('cluster-pool');
  }

  /**
   * Each node's range is the `spec.podCIDR` kube-controller-manager assigned (`kubernetes`), as
   * with Flannel; useful when other tools read node.spec.podCIDR.
   */
  public static kubernetes(): CiliumIpam {
    return new CiliumIpam('kubernetes');
  }

  private constructor(
    /** The chart's `ipam.mode`. */
    public readonly mode: 'cluster-pool' | 'kubernetes',
  ) {}
}

export interface CiliumOptions {
  /**
   * Version of the `cilium` chart (and so of Cilium).
   * @default CILIUM_CHART_VERSION
   */
  readonly version?: string;
  /**
   * IP address management mode.
   * @default CiliumIpam.clusterPool()
   */
  readonly ipam?: CiliumIpam;
  /**
   * Encrypts pod traffic between nodes with WireGuard; the node security groups then also allow
   * UDP 51871.
   * @default false
   */
  readonly wireguard?: boolean;
}

/** Chart repository of Cilium's own releases. */
export const CILIUM_CHART_REPOSITORY = 'https://helm.cilium.io/';
/**
 * Pinned chart version: the newest 1.19 patch release (2026-09-16) when this was written. A pin
 * keeps every apply installing the same thing; bump it deliberately.
 */
export const CILIUM_CHART_VERSION = '1.19.8';
/**
 * Default pod range. Cilium's own cluster-pool default, 10.0.0.0/8, covers the whole of the usual
 * VPC ranges (10.0.0.0/16 here), so pods would shadow the nodes' own addresses; the Kubernetes
 * community's usual 10.244.0.0/16 stays clear of them.
 */
export const CILIUM_DEFAULT_POD_CIDR = '10.244.0.0/16';

/**
 * Cilium, through its Helm chart (the only install method upstream supports), in VXLAN tunnel
 * mode with the pod range from the address plan. kube-proxy stays in place (kubeadm installs it),
 * so Cilium does not replace it.
 */
export class Cilium implements CniPlugin {
  public readonly name = 'cilium';
  public readonly defaultPodCidr = CILIUM_DEFAULT_POD_CIDR;
  public readonly ports: readonly PortRule[];
  /** VXLAN on the kernel's port 8472; agents health-check each other on TCP 4240. */
  public readonly datapath: Datapath = { encapsulation: 'vxlan', port: 8472, controlPorts: [4240] };
  public readonly version: string;
  public readonly ipam: CiliumIpam;
  public readonly wireguard: boolean;

  constructor(options: CiliumOptions = {}) {
    const problems = new ProblemList();
    this.version = options.version ?? CILIUM_CHART_VERSION;
    this.ipam = options.ipam ?? CiliumIpam.clusterPool();
    this.wireguard = options.wireguard ?? false;
    checkChartVersion(problems, 'cilium.version', this.version, false, CILIUM_CHART_VERSION);
    problems.throwIfAny();
    this.ports = ciliumPorts({ wireguard: this.wireguard });
  }

  /** The chart values, as an object (serialised to YAML for the release). */
  public values(context: Pick<CniInstallContext, 'plan' | 'apiServerHost' | 'apiServerPort' | 'guaranteedNodeCount'>): object {
    const { plan } = context;
    return {
      // The agent talks to the API server directly rather than through the kubernetes Service,
      // whose address works only once kube-proxy has programmed the node.
      k8sServiceHost: context.apiServerHost,
      k8sServicePort: portValue(context.apiServerPort),
      // Encapsulated: AWS routes only addresses it knows (instances' own), so pod addresses must
      // travel inside node-to-node packets.
      routingMode: 'tunnel',
      tunnelProtocol: 'vxlan',
      ipam:
        this.ipam.mode === 'cluster-pool'
          ? {
              mode: 'cluster-pool',
              operator: {
                clusterPoolIPv4PodCIDRList: [plan.podCidr],
                clusterPoolIPv4MaskSize: plan.nodeCidrMaskSize,
              },
            }
          : { mode: 'kubernetes' },
      ...(this.wireguard ? { encryption: { enabled: true, type: 'wireguard' } } : {}),
      // The chart runs two operators on different nodes; a cluster sure of only one node has room
      // for one, and the release would wait for the second forever.
      operator: { replicas: (context.guaranteedNodeCount ?? plan.nodeCount) >= 2 ? 2 : 1 },
    };
  }

  public install(scope: Construct, id: string, context: CniInstallContext): CniInstallation {
    const root = new Construct(scope, id);
    const { Release } = bindings;
    const release = new Release(root, 'release', {
      provider: context.helmProvider,
      dependsOn: [...context.dependsOn],
      name: 'cilium',
      repository: CILIUM_CHART_REPOSITORY,
      chart: 'cilium',
      version: this.version,
      namespace: 'kube-system',
      values: [chartValues(this.values(context))],
      // The release is done when the agents run on every node, which includes pulling images on
      // freshly booted nodes; the provider's 5 minutes are tight for that.
      timeout: 900,
    });
    return { resources: [release] };
  }
}
