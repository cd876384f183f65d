import type { Datapath } from '../cni/cni-plugin';
import type { NodeRole } from '../network/ports';
import { Cidr, numberToIp, parseIp } from '../plan/cidr';
import { RehearsalInputError } from './errors';
import type { DescribedCluster } from './network-description';

export interface TopologyOptions {
  /**
   * Nodes to emulate per role, capped by the plan's own counts. Two per role exercise every rule
   * between and within roles; more only repeat them.
   * @default 2
   */
  readonly nodesPerRole?: number;
  /**
   * Pods per node. Two show pods on one bridge reaching each other as well as other nodes.
   * @default 2
   */
  readonly podsPerNode?: number;
}

/** A pod of the emulated network. */
export interface RehearsalPod {
  /** `worker-0/pod-1`. */
  readonly name: string;
  readonly nodeName: string;
  readonly index: number;
  readonly ip: string;
}

/** A node of the emulated network. */
export interface RehearsalNode {
  /** `control-plane-0`, `worker-1`. */
  readonly name: string;
  readonly role: NodeRole;
  /** Position among all nodes; node i gets the i-th pod range, as kube-controller-manager hands them out. */
  readonly index: number;
  /** The node's private IP in its subnet (the "VPC"). */
  readonly ip: string;
  readonly subnetName: string;
  readonly subnetCidr: string;
  /** Logical id of the node's security group. */
  readonly groupId: string;
  /** The node's pod range (`node.spec.podCIDR`). */
  readonly podCidr: string;
  /** The pod bridge's address and the pods' gateway: the range's first host. */
  readonly gatewayIp: string;
  /** Address of the node's tunnel device: the range's network address, as Flannel gives its VTEP. */
  readonly tunnelIp: string;
  /** MAC of the node's VXLAN device, which peers' FDB and neighbour entries point to. */
  readonly tunnelMac: string;
  readonly pods: readonly RehearsalPod[];
}

/** The one Service the rehearsal's kube-proxy emulation load-balances. */
export interface RehearsalService {
  readonly ip: string;
  readonly port: number;
  readonly targetPort: number;
  /** Backends: the pods of one node, so that clients on every other node go across the network. */
  readonly endpoints: readonly RehearsalPod[];
}

/** Every address of the emulated cluster, planned without touching the machine. */
export interface Topology {
  readonly clusterName: string;
  readonly pluginName: string;
  readonly datapath: Datapath;
  readonly vpcCidr: string;
  readonly podCidr: string;
  readonly nodes: readonly RehearsalNode[];
  readonly service: RehearsalService;
  /** TCP port of the echo server every pod runs. */
  readonly echoPort: number;
}

/** Port of the pods' echo servers (a typical container port). */
export const ECHO_PORT = 8080;
/** Port of the emulated Service. */
export const SERVICE_PORT = 80;
/** Offset of the emulated Service's IP in the service range: clear of `kubernetes` (1) and DNS (10). */
export const SERVICE_IP_OFFSET = 11;
/** AWS reserves a subnet's first four addresses. */
const FIRST_USABLE_OFFSET = 4;

/** Plans nodes, pods and the Service for a described cluster. Pure: same input, same addresses. */
export function planTopology(description: DescribedCluster, options: TopologyOptions = {}): Topology {
  const { plan } = description;
  const perRole = options.nodesPerRole ?? 2;
  const podsPerNode = options.podsPerNode ?? 2;
  if (!Number.isInteger(perRole) || perRole < 1 || perRole > 8) {
    throw new RehearsalInputError(`nodes per role is ${perRole}; use 1 to 8`);
  }
  if (!Number.isInteger(podsPerNode) || podsPerNode < 1 || podsPerNode > 8) {
    throw new RehearsalInputError(`pods per node is ${podsPerNode}; use 1 to 8`);
  }
  const subnetCidr = (name: string): string => {
    const subnet = plan.subnets.find((s) => s.name === name);
    if (!subnet) {
      throw new RehearsalInputError(`cluster "${description.clusterName}": control-plane node in subnet "${name}", which the plan does not list`);
    }
    return subnet.cidr;
  };

  const controlPlane = plan.controlPlaneNodes.slice(0, Math.min(perRole, plan.controlPlaneCount)).map((n) => ({
    role: 'control-plane' as const,
    ip: n.privateIp,
    subnetName: n.subnetName,
    subnetCidr: subnetCidr(n.subnetName),
  }));
  const workers = placeWorkers(description, Math.min(perRole, plan.workerCount), controlPlane.map((n) => n.ip));
  const pods = Cidr.parse(plan.podCidr);
  const maxNodes = 2 ** (plan.nodeCidrMaskSize - pods.prefix);
  const placed = [...controlPlane, ...workers];
  if (placed.length > maxNodes) {
    throw new RehearsalInputError(`${plan.podCidr} in /${plan.nodeCidrMaskSize} ranges fits ${maxNodes} nodes, fewer than the ${placed.length} to rehearse`);
  }
  if (2 ** (32 - plan.nodeCidrMaskSize) - 2 < podsPerNode + 1) {
    throw new RehearsalInputError(`a /${plan.nodeCidrMaskSize} node range cannot hold a gateway and ${podsPerNode} pods`);
  }

  const roleCounters: Record<NodeRole, number> = { 'control-plane': 0, worker: 0 };
  const nodes: RehearsalNode[] = placed.map((n, index) => {
    const name = `${n.role}-${roleCounters[n.role]++}`;
    const range = pods.subrange(plan.nodeCidrMaskSize, index);
    return {
      name,
      role: n.role,
      index,
      ip: n.ip,
      subnetName: n.subnetName,
      subnetCidr: n.subnetCidr,
      groupId: description.securityGroups[n.role],
      podCidr: range.toString(),
      gatewayIp: range.address(1),
      tunnelIp: range.address(0),
      // Locally administered (02), then "kr", then the node index.
      tunnelMac: `02:6b:72:00:${hex(index >> 8)}:${hex(index & 255)}`,
      pods: Array.from({ length: podsPerNode }, (_, p) => ({ name: `${name}/pod-${p}`, nodeName: name, index: p, ip: range.address(2 + p) })),
    };
  });

  const serviceRange = Cidr.parse(plan.serviceCidr);
  const endpointNode = nodes[nodes.length - 1];
  return {
    clusterName: description.clusterName,
    pluginName: description.plugin.name,
    datapath: description.plugin.datapath,
    vpcCidr: plan.vpcCidr,
    podCidr: plan.podCidr,
    nodes,
    service: {
      ip: serviceRange.address(Math.min(SERVICE_IP_OFFSET, serviceRange.size - 2)),
      port: SERVICE_PORT,
      targetPort: ECHO_PORT,
      endpoints: endpointNode ? endpointNode.pods : [],
    },
    echoPort: ECHO_PORT,
  };
}

/**
 * Workers go round the private subnets (all subnets if there are none), each at the lowest address
 * AWS would hand out that no control-plane node holds.
 */
function placeWorkers(description: DescribedCluster, count: number, taken: readonly string[]) {
  const { plan } = description;
  const privates = plan.subnets.filter((s) => s.role === 'private');
  const candidates = privates.length > 0 ? privates : plan.subnets;
  if (count > 0 && candidates.length === 0) {
    throw new RehearsalInputError(`cluster "${description.clusterName}": the plan has no subnet for workers`);
  }
  const used = new Set(taken.map((ip) => parseIp(ip)));
  return Array.from({ length: count }, (_, i) => {
    const subnet = candidates[i % candidates.length];
    const range = Cidr.parse(subnet.cidr);
    let address = range.network + FIRST_USABLE_OFFSET;
    while (used.has(address)) {
      address++;
    }
    if (address >= range.last) {
      throw new RehearsalInputError(`subnet ${subnet.name} (${subnet.cidr}) has no free address for a worker`);
    }
    used.add(address);
    return { role: 'worker' as const, ip: numberToIp(address), subnetName: subnet.name, subnetCidr: subnet.cidr };
  });
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** The pod on `node` that `pod` talks to in the cross-node checks: the one with the same index. */
export function counterpart(pod: RehearsalPod, node: RehearsalNode): RehearsalPod {
  return node.pods[pod.index % node.pods.length];
}
