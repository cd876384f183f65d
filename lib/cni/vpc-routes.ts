import { Construct } from 'constructs';
import type { PortRule } from '../network/ports';
import type { AddressPlan } from '../plan/address-plan';
import { ProblemList } from '../plan/problems';
import { checkRouteCapacity, DEFAULT_ROUTE_TABLE_QUOTA, MAX_ROUTE_TABLE_QUOTA } from '../plan/route-capacity';
import type { CniInstallation, CniInstallContext, CniPlugin, Datapath } from './cni-plugin';

export interface VpcRoutesOptions {
  /**
   * The account's quota of routes per route table (Amazon VPC quota L-93826ACB). Every node needs
   * one route in each route table of the node subnets, so the cluster's largest size must fit; set
   * this after raising the quota in Service Quotas.
   * @default 50 (the quota's default)
   */
  readonly routeTableQuota?: number;
}

/** The pod range when the cluster gives none: clear of the usual 10.0.0.0/16 VPCs and of the service range. */
export const VPC_ROUTES_DEFAULT_POD_CIDR = '10.200.0.0/16';

/**
 * The MTU of pod interfaces: the VPC's own. Inside a VPC, instances that support jumbo frames send
 * 9001-byte packets (Amazon EC2 User Guide, "Network maximum transmission unit (MTU) for your EC2
 * instance"); routed pod packets carry no extra header, so nothing is taken off.
 */
export const VPC_MTU = 9001;

/** Name of the CNI network, the bridge and the configuration file the nodes write. */
export const VPC_ROUTES_NETWORK = 'vpc-routes';
export const VPC_ROUTES_BRIDGE = 'cni0';
export const VPC_ROUTES_CNI_CONFIG_PATH = '/etc/cni/net.d/10-vpc-routes.conflist';

/**
 * The routed pod network, without an overlay: each node owns its `spec.podCIDR` (handed out by
 * kube-controller-manager from the plan's pod range) and the VPC's route tables send that range to
 * the node. Pods sit on a plain Linux bridge with addresses from `host-local` IPAM, packets cross
 * the VPC with their pod addresses, and the MTU is the VPC's.
 *
 * What it takes, all set up by the cluster (see docs/routed-network.md):
 * - a route per node in every route table of the cluster's tag, kept by a reconciler on the control
 *   plane (the AWS cloud controller manager's route controller manages only one table);
 * - source/destination checks off on every node;
 * - masquerading on the node for traffic that leaves the VPC and the pod range;
 * - security groups that admit the pod range. The plugin itself has no ports.
 */
export class VpcRoutes implements CniPlugin {
  public readonly name = 'vpc-routes';
  public readonly defaultPodCidr = VPC_ROUTES_DEFAULT_POD_CIDR;
  /** No agent talks between nodes; pod traffic itself is admitted by the pod-range rule. */
  public readonly ports: readonly PortRule[] = [];
  public readonly datapath: Datapath = { encapsulation: 'routed', controlPorts: [] };
  public readonly mtu = VPC_MTU;
  public readonly routeTableQuota: number;

  constructor(options: VpcRoutesOptions = {}) {
    const problems = new ProblemList();
    this.routeTableQuota = options.routeTableQuota ?? DEFAULT_ROUTE_TABLE_QUOTA;
    const quota = this.routeTableQuota;
    if (!Number.isInteger(quota) || quota < DEFAULT_ROUTE_TABLE_QUOTA || quota > MAX_ROUTE_TABLE_QUOTA) {
      problems.add('vpcRoutes.routeTableQuota', quota, `the quota of routes per route table is a whole number from ${DEFAULT_ROUTE_TABLE_QUOTA} (the default) to ${MAX_ROUTE_TABLE_QUOTA} (the most AWS raises it to)`, `set it to the value Service Quotas shows for L-93826ACB, or leave it out for ${DEFAULT_ROUTE_TABLE_QUOTA}`);
    }
    problems.throwIfAny();
  }

  /** Refuses a plan whose largest cluster needs more routes than a route table holds. */
  public checkPlan(problems: ProblemList, plan: Pick<AddressPlan, 'nodeCount'>): void {
    checkRouteCapacity(problems, { maxNodeCount: plan.nodeCount, routeTableQuota: this.routeTableQuota, property: 'cni.routeTableQuota' });
  }

  /**
   * The CNI configuration a node writes once it knows its range: the reference plugins `bridge`
   * (with `host-local` IPAM over the node's range) and `portmap`, from containernetworking/plugins,
   * which the kubelet package's kubernetes-cni dependency installs in /opt/cni/bin. The bridge does
   * not masquerade (its `ipMasq` would also hide pod addresses from pods on other nodes); the node's
   * own rule masquerades only traffic that leaves the VPC and the pod range.
   */
  public cniConfig(nodePodCidr: string): object {
    return {
      cniVersion: '1.0.0',
      name: VPC_ROUTES_NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: VPC_ROUTES_BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          mtu: this.mtu,
          ipam: { type: 'host-local', ranges: [[{ subnet: nodePodCidr }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    };
  }

  /**
   * Nothing to install in the cluster: the nodes write their own CNI configuration and the control
   * plane keeps the routes (both through the SSM channel, see `RoutedPodNetwork`).
   */
  public install(scope: Construct, id: string, _context: CniInstallContext): CniInstallation {
    new Construct(scope, id);
    return { resources: [] };
  }
}
