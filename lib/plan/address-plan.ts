import { Cidr } from './cidr';
import { describePlan } from './describe';
import { Problem, ProblemList, valueText } from './problems';
import { checkPropTypes, checkType, ExpectedType, LIST, NUMBER, STRING, STRING_LIST } from './prop-types';

/** Whether a subnet routes to the internet directly (public) or through NAT (private). */
export type SubnetRole = 'public' | 'private';

/** A subnet the user already has, declared with its CIDR so that the plan can be checked. */
export interface DeclaredSubnet {
  /**
   * Role of the subnet in the cluster. At least one subnet must be public: control-plane nodes sit
   * in the public subnets, where they get their Elastic IP or the internet-facing API load balancer.
   */
  readonly role: SubnetRole;
  /** The subnet's IPv4 CIDR as AWS reports it (AWS subnets are /16 to /28). */
  readonly cidr: string;
  /**
   * Availability zone name of the subnet, as AWS shows it (for example `eu-west-1a`). Zones are
   * numbered in the order they first appear.
   * @default - none, which is reported as a problem: every existing subnet needs its zone
   */
  readonly zone?: string;
  /**
   * Id of the subnet, carried through the plan for the constructs that adopt it.
   * @default - none
   */
  readonly subnetId?: string;
}

export interface AddressPlanProps {
  /**
   * The VPC's IPv4 range. AWS accepts /16 to /28.
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string;
  /**
   * Availability zone names to spread subnets over. Not allowed with `existingSubnets`, whose
   * zones are their own.
   * @default - `zoneCount` zones, named at deploy time from the region's available zones
   */
  readonly availabilityZones?: readonly string[];
  /**
   * Number of availability zones, when their names are left to deploy time. Not allowed with
   * `existingSubnets`, whose zones are their own.
   * @default - the length of `availabilityZones`, else 2
   */
  readonly zoneCount?: number;
  /**
   * Prefix length of each public subnet.
   * @default - the VPC split evenly into one public and one private subnet per zone
   */
  readonly publicSubnetMask?: number;
  /**
   * Prefix length of each private subnet.
   * @default - the VPC split evenly into one public and one private subnet per zone
   */
  readonly privateSubnetMask?: number;
  /**
   * Subnets that already exist (existing-VPC mode). When given, no subnets are allocated and these
   * are validated instead: each needs its zone, and at least one must be public.
   * @default - subnets are allocated from `vpcCidr`
   */
  readonly existingSubnets?: readonly DeclaredSubnet[];
  /**
   * The cluster's pod range (kubeadm `networking.podSubnet`, the network plugin's range).
   * @default '10.244.0.0/16'
   */
  readonly podCidr?: string;
  /**
   * The cluster's service range (kubeadm `networking.serviceSubnet`). At most a /12.
   * @default '10.96.0.0/12'
   */
  readonly serviceCidr?: string;
  /**
   * Prefix length of the pod range each node gets out of `podCidr`.
   * @default 24
   */
  readonly nodeCidrMaskSize?: number;
  /**
   * Number of control-plane nodes: 1, or 3 for a highly available control plane.
   * @default 1
   */
  readonly controlPlaneCount?: number;
  /**
   * The most worker nodes the cluster may ever run (the sum of every pool's maximum size).
   * @default 2
   */
  readonly workerCount?: number;
}

/** A subnet of the plan. */
export interface SubnetPlan {
  /** Stable name, for example `private-0`, used for construct ids. */
  readonly name: string;
  readonly role: SubnetRole;
  /** Index of its zone among the plan's zones. */
  readonly zoneIndex: number;
  /** Zone name, when known at synth time. */
  readonly zone?: string;
  readonly cidr: string;
  /** Id of an existing subnet (existing-VPC mode). */
  readonly subnetId?: string;
}

/** A control-plane node's fixed place in the network. */
export interface ControlPlaneNodePlan {
  readonly index: number;
  /** Name of the subnet it sits in. */
  readonly subnetName: string;
  readonly zoneIndex: number;
  /** Fixed private IP, clear of the addresses AWS reserves in the subnet. */
  readonly privateIp: string;
}

/** Upper bound of availability zones any AWS region offers today. */
export const MAX_ZONES = 6;
/** kubelet's default `maxPods`. */
export const KUBELET_DEFAULT_MAX_PODS = 110;
/** Offset of the first control-plane IP in its subnet: AWS reserves offsets 0 to 3 and the last. */
export const CONTROL_PLANE_IP_OFFSET = 10;

/** The type of every property of `AddressPlanProps`, checked before anything reads them. */
export const ADDRESS_PLAN_PROP_TYPES: { readonly [K in keyof AddressPlanProps]-?: ExpectedType } = {
  vpcCidr: STRING('10.0.0.0/16'),
  availabilityZones: STRING_LIST(['eu-west-1a', 'eu-west-1b']),
  zoneCount: NUMBER(2),
  publicSubnetMask: NUMBER(18),
  privateSubnetMask: NUMBER(18),
  existingSubnets: LIST("[{ role: 'public', cidr: '10.0.0.0/24', zone: 'eu-west-1a', subnetId: 'subnet-0123456789abcdef0' }]"),
  podCidr: STRING('10.244.0.0/16'),
  serviceCidr: STRING('10.96.0.0/12'),
  nodeCidrMaskSize: NUMBER(24),
  controlPlaneCount: NUMBER(1),
  workerCount: NUMBER(2),
};

const DEFAULTS = {
  vpcCidr: '10.0.0.0/16',
  zoneCount: 2,
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  nodeCidrMaskSize: 24,
  controlPlaneCount: 1,
  workerCount: 2,
} as const;

/** Ranges a cluster range must stay clear of, and why. */
export const RESERVED_RANGES: ReadonlyArray<{ readonly cidr: string; readonly why: string }> = [
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.0.0/16', why: 'link-local, where the instance metadata service lives' },
  { cidr: '172.17.0.0/16', why: "the container runtime's default bridge" },
];

/** Private address space; ranges outside it belong to someone on the internet. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map(Cidr.parse);

/**
 * The cluster's address plan: VPC, subnets, control-plane IPs, pod, per-node pod and service
 * ranges, checked together so that none of them overlap and the capacity holds.
 */
export class AddressPlan {
  /**
   * Builds and validates a plan. Throws a `ClusterConfigError` listing every problem found.
   */
  public static create(props: AddressPlanProps = {}): AddressPlan {
    return new AddressPlan(props);
  }

  public readonly vpcCidr: string;
  public readonly podCidr: string;
  public readonly serviceCidr: string;
  public readonly nodeCidrMaskSize: number;
  public readonly controlPlaneCount: number;
  public readonly workerCount: number;
  /** Zone names when known at synth time; otherwise undefined and `zoneCount` holds the count. */
  public readonly availabilityZones?: readonly string[];
  public readonly zoneCount: number;
  /** Whether the subnets were declared by the user (existing VPC) rather than allocated. */
  public readonly usesExistingSubnets: boolean;
  public readonly subnets: readonly SubnetPlan[];
  public readonly controlPlaneNodes: readonly ControlPlaneNodePlan[];
  /** The `kubernetes` Service's cluster IP: the first address of the service range. */
  public readonly kubernetesServiceIp: string;
  /** The cluster DNS Service's IP: the tenth address of the service range. */
  public readonly clusterDnsIp: string;
  /** How many nodes can get a pod range: 2^(nodeCidrMaskSize - pod prefix). */
  public readonly maxNodes: number;
  /** Pod addresses in each node's range, less its network and broadcast addresses. */
  public readonly podAddressesPerNode: number;
  /** Pods a node can run: kubelet's default `maxPods`, or fewer if its range is smaller. */
  public readonly podsPerNode: number;
  /** Things that work but deserve a second look. */
  public readonly warnings: readonly Problem[];

  private readonly pod: Cidr;

  private constructor(input: AddressPlanProps) {
    const problems = new ProblemList();
    const warnings = new ProblemList();

    // Everything below reads only properties of the right type; a range of the wrong type is
    // unknown (not defaulted), so that nothing is checked against a range the user did not give.
    const props = checkPropTypes<AddressPlanProps>(problems, '', input, ADDRESS_PLAN_PROP_TYPES);
    const range = (key: 'vpcCidr' | 'podCidr' | 'serviceCidr', example: string) =>
      (input as Record<string, unknown> | undefined)?.[key] !== undefined && props[key] === undefined ? undefined : parseRange(problems, key, props[key] ?? DEFAULTS[key], example);
    const vpc = range('vpcCidr', '10.0.0.0/16');
    const pod = range('podCidr', DEFAULTS.podCidr);
    const service = range('serviceCidr', DEFAULTS.serviceCidr);
    const nodeMask = props.nodeCidrMaskSize ?? DEFAULTS.nodeCidrMaskSize;
    const controlPlaneCount = props.controlPlaneCount ?? DEFAULTS.controlPlaneCount;
    const workerCount = props.workerCount ?? DEFAULTS.workerCount;
    const existingSubnets = props.existingSubnets ?? undefined;
    const zones = resolveZones(problems, props);

    if (vpc && (vpc.prefix < 16 || vpc.prefix > 28)) {
      problems.add('vpcCidr', vpc.toString(), `a /${vpc.prefix} VPC is outside what AWS accepts (/16 to /28)`, 'use a prefix length from /16 to /28, for example 10.0.0.0/16');
    }
    if (service && service.prefix < 12) {
      problems.add('serviceCidr', service.toString(), 'the service range is larger than /12, which kube-apiserver refuses', 'use a /12 or smaller range, for example 10.96.0.0/12');
    }
    if (service && service.prefix > 28) {
      problems.add('serviceCidr', service.toString(), 'the service range must hold the cluster DNS IP (its tenth address) and more services', 'use a /28 or larger range, for example 10.96.0.0/12');
    }
    if (!Number.isInteger(controlPlaneCount) || (controlPlaneCount !== 1 && controlPlaneCount !== 3)) {
      problems.add('controlPlaneCount', controlPlaneCount, 'a control plane has 1 node, or 3 for etcd quorum with one node lost', 'set controlPlaneCount to 1 or 3');
    }
    if (!Number.isInteger(workerCount) || workerCount < 0) {
      problems.add('workerCount', workerCount, 'the number of workers must be a whole number of 0 or more', 'set workerCount to the sum of every worker pool\'s maximum size');
    }

    if (pod) {
      checkNodeMask(problems, warnings, pod, nodeMask, controlPlaneCount + Math.max(0, workerCount));
    }

    const { subnets, ranges: subnetCidrs } = existingSubnets !== undefined
      ? declaredSubnets(problems, vpc, existingSubnets)
      : allocatedSubnets(vpc ? allocateSubnets(problems, vpc, zones, props) : []);

    const clusterRanges: Array<[string, Cidr | undefined]> = [['vpcCidr', vpc], ['podCidr', pod], ['serviceCidr', service]];
    if (pod) {
      checkClear(problems, 'podCidr', pod, vpc, subnetCidrs, []);
    }
    if (service) {
      checkClear(problems, 'serviceCidr', service, vpc, subnetCidrs, pod ? [['podCidr', pod]] : []);
    }
    for (const [property, range] of clusterRanges) {
      if (!range) {
        continue;
      }
      for (const reserved of RESERVED_RANGES) {
        if (range.overlaps(Cidr.parse(reserved.cidr))) {
          problems.add(property, range.toString(), `overlaps ${reserved.cidr} (${reserved.why})`, `choose a range clear of ${reserved.cidr}`);
        }
      }
      if (!PRIVATE_RANGES.some((p) => p.contains(range))) {
        warnings.add(property, range.toString(), 'is public address space (neither RFC 1918 nor 100.64.0.0/10): addresses in it that belong to others on the internet become unreachable from the cluster', 'prefer a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10');
      }
    }

    // Only a valid count is placed; a bad one is already reported.
    const controlPlaneNodes = controlPlaneCount === 1 || controlPlaneCount === 3 ? placeControlPlane(problems, subnets, controlPlaneCount) : [];

    problems.throwIfAny();

    // All inputs are valid from here on.
    this.vpcCidr = vpc!.toString();
    this.pod = pod!;
    this.podCidr = pod!.toString();
    this.serviceCidr = service!.toString();
    this.nodeCidrMaskSize = nodeMask;
    this.controlPlaneCount = controlPlaneCount;
    this.workerCount = workerCount;
    this.availabilityZones = zones.names;
    this.zoneCount = existingSubnets !== undefined ? distinctZoneCount(subnets) : zones.count;
    this.usesExistingSubnets = existingSubnets !== undefined;
    this.subnets = subnets;
    this.controlPlaneNodes = controlPlaneNodes;
    this.kubernetesServiceIp = service!.address(1);
    this.clusterDnsIp = service!.address(10);
    this.maxNodes = 2 ** (nodeMask - pod!.prefix);
    this.podAddressesPerNode = 2 ** (32 - nodeMask) - 2;
    this.podsPerNode = Math.min(KUBELET_DEFAULT_MAX_PODS, this.podAddressesPerNode - 1);
    this.warnings = warnings.problems;
  }

  /** Every node the plan sizes for: control plane plus the most workers. */
  public get nodeCount(): number {
    return this.controlPlaneCount + this.workerCount;
  }

  /** Subnets of one role, in zone order. */
  public subnetsOf(role: SubnetRole): readonly SubnetPlan[] {
    return this.subnets.filter((s) => s.role === role);
  }

  /**
   * The pod range the `index`-th node can be given out of `podCidr`. kube-controller-manager hands
   * these out in order, so the first nodes get the first ranges.
   */
  public nodePodCidr(index: number): string {
    return this.pod.subrange(this.nodeCidrMaskSize, index).toString();
  }

  /** A readable table of the plan. */
  public describe(): string {
    return describePlan(this);
  }

  /** The plan as plain data, in a form stable enough to store in the synthesised stack. */
  public toJSON(): AddressPlanData {
    return {
      vpcCidr: this.vpcCidr,
      zoneCount: this.zoneCount,
      ...(this.availabilityZones ? { availabilityZones: [...this.availabilityZones] } : {}),
      subnets: this.subnets.map((s) => ({ ...s })),
      controlPlaneNodes: this.controlPlaneNodes.map((n) => ({ ...n })),
      podCidr: this.podCidr,
      nodeCidrMaskSize: this.nodeCidrMaskSize,
      serviceCidr: this.serviceCidr,
      kubernetesServiceIp: this.kubernetesServiceIp,
      clusterDnsIp: this.clusterDnsIp,
      maxNodes: this.maxNodes,
      podsPerNode: this.podsPerNode,
      controlPlaneCount: this.controlPlaneCount,
      workerCount: this.workerCount,
    };
  }
}

/** The plan as plain data (see `AddressPlan.toJSON`). */
export interface AddressPlanData {
  readonly vpcCidr: string;
  readonly zoneCount: number;
  readonly availabilityZones?: string[];
  readonly subnets: SubnetPlan[];
  readonly controlPlaneNodes: ControlPlaneNodePlan[];
  readonly podCidr: string;
  readonly nodeCidrMaskSize: number;
  readonly serviceCidr: string;
  readonly kubernetesServiceIp: string;
  readonly clusterDnsIp: string;
  readonly maxNodes: number;
  readonly podsPerNode: number;
  readonly controlPlaneCount: number;
  readonly workerCount: number;
}

function parseRange(problems: ProblemList, property: string, text: string, example: string): Cidr | undefined {
  const parsed = Cidr.tryParse(text);
  if (typeof parsed === 'string') {
    const canonical = /the range it names is (\S+)/.exec(parsed);
    problems.add(property, text, parsed, canonical ? `write it as ${canonical[1]}` : `write a CIDR such as ${example}`);
    return undefined;
  }
  return parsed;
}

interface Zones {
  readonly names?: readonly string[];
  readonly count: number;
}

function resolveZones(problems: ProblemList, props: AddressPlanProps): Zones {
  const names = props.availabilityZones;
  if (props.existingSubnets !== undefined && props.existingSubnets !== null) {
    // The zones are the existing subnets' own; a second source of them could only disagree.
    for (const property of ['availabilityZones', 'zoneCount'] as const) {
      if (props[property] !== undefined) {
        problems.add(property, props[property], 'is ignored when existingSubnets is given: zones come from the existing subnets', `remove ${property} and give each existing subnet its zone`);
      }
    }
    return { names: undefined, count: 0 };
  }
  if (names) {
    const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
    if (duplicates.length > 0) {
      problems.add('availabilityZones', names, `names ${[...new Set(duplicates)].join(', ')} more than once`, 'list each zone once');
    }
    if (names.length === 0 || names.length > MAX_ZONES) {
      problems.add('availabilityZones', names, `lists ${names.length} zones`, `list from 1 to ${MAX_ZONES} zones`);
    }
    if (props.zoneCount !== undefined && props.zoneCount !== names.length) {
      problems.add('zoneCount', props.zoneCount, `differs from the ${names.length} zones in availabilityZones`, 'give either availabilityZones or zoneCount, not both');
    }
    return { names, count: names.length };
  }
  const count = props.zoneCount ?? DEFAULTS.zoneCount;
  if (!Number.isInteger(count) || count < 1 || count > MAX_ZONES) {
    problems.add('zoneCount', count, `zones are counted from 1 to ${MAX_ZONES} (the most any AWS region offers)`, `use a whole number from 1 to ${MAX_ZONES}`);
    return { count: 1 };
  }
  return { count };
}

function checkNodeMask(problems: ProblemList, warnings: ProblemList, pod: Cidr, nodeMask: number, nodesWanted: number): void {
  if (!Number.isInteger(nodeMask) || nodeMask <= pod.prefix) {
    problems.add('nodeCidrMaskSize', nodeMask, `each node's pod range must be smaller than the pod range ${pod.toString()}`, `use a whole number above ${pod.prefix}, for example ${Math.min(pod.prefix + 8, 24)}`);
    return;
  }
  if (nodeMask > 29) {
    problems.add('nodeCidrMaskSize', nodeMask, `a /${nodeMask} gives each node fewer than 8 pod addresses`, 'use 29 or less (24 gives 254 pod addresses per node)');
    return;
  }
  if (nodeMask - pod.prefix > 16) {
    problems.add('nodeCidrMaskSize', nodeMask, `kube-controller-manager refuses node ranges more than 16 bits longer than the pod range (/${pod.prefix})`, `use at most ${pod.prefix + 16}, or a smaller podCidr`);
    return;
  }
  const maxNodes = 2 ** (nodeMask - pod.prefix);
  if (nodesWanted > maxNodes) {
    problems.add('nodeCidrMaskSize', nodeMask, `${pod.toString()} split into /${nodeMask} ranges fits ${maxNodes} nodes, but ${nodesWanted} are planned (control plane + workers)`, `use a larger podCidr or a nodeCidrMaskSize of at least ${pod.prefix + Math.ceil(Math.log2(nodesWanted))}`);
  }
  const podAddresses = 2 ** (32 - nodeMask) - 2;
  if (podAddresses - 1 < KUBELET_DEFAULT_MAX_PODS) {
    warnings.add('nodeCidrMaskSize', nodeMask, `a /${nodeMask} leaves ${podAddresses - 1} pod IPs per node, fewer than kubelet's default maxPods of ${KUBELET_DEFAULT_MAX_PODS}`, 'use 25 or less, or lower kubelet maxPods to match');
  }
}

function allocateSubnets(problems: ProblemList, vpc: Cidr, zones: Zones, props: AddressPlanProps): SubnetPlan[] {
  const slotsNeeded = 2 * zones.count;
  const evenMask = vpc.prefix + Math.ceil(Math.log2(slotsNeeded));
  const masks: Record<SubnetRole, number> = {
    private: props.privateSubnetMask ?? evenMask,
    public: props.publicSubnetMask ?? evenMask,
  };
  let valid = true;
  for (const role of ['public', 'private'] as const) {
    const property = `${role}SubnetMask`;
    const mask = masks[role];
    if (!Number.isInteger(mask) || mask < 16 || mask > 28) {
      valid = false;
      if (props[property as 'publicSubnetMask' | 'privateSubnetMask'] === undefined) {
        problems.add('zoneCount', zones.count, `${vpc.toString()} cannot hold one public and one private subnet in each of ${zones.count} zones (each would be a /${mask}; AWS's smallest subnet is a /28)`, `use fewer zones or a larger vpcCidr`);
        break;
      }
      problems.add(property, mask, 'AWS subnets are /16 to /28', 'use a prefix length from 16 to 28');
    } else if (mask < vpc.prefix) {
      valid = false;
      problems.add(property, mask, `a /${mask} subnet is larger than the VPC ${vpc.toString()}`, `use a prefix length of at least ${vpc.prefix}`);
    }
  }
  if (!valid) {
    return [];
  }
  const needed = zones.count * (2 ** (32 - masks.private) + 2 ** (32 - masks.public));
  if (needed > vpc.size) {
    problems.add('zoneCount', zones.count, `${zones.count} zones of a /${masks.public} public and a /${masks.private} private subnet need ${needed} addresses, but ${vpc.toString()} has ${vpc.size}`, 'use fewer zones, smaller subnets (a larger publicSubnetMask or privateSubnetMask) or a larger vpcCidr');
    return [];
  }
  // Largest first keeps every subnet aligned on its own size with no gaps to compute.
  const requests = (['private', 'public'] as const)
    .flatMap((role) => Array.from({ length: zones.count }, (_, zoneIndex) => ({ role, zoneIndex, mask: masks[role] })))
    .sort((a, b) => a.mask - b.mask);
  let next = vpc.network;
  const subnets = requests.map(({ role, zoneIndex, mask }) => {
    const size = 2 ** (32 - mask);
    const cidr = vpc.subrange(mask, (next - vpc.network) / size);
    next += size;
    const zone = zones.names?.[zoneIndex];
    return { name: `${role}-${zoneIndex}`, role, zoneIndex, ...(zone ? { zone } : {}), cidr: cidr.toString() };
  });
  // Present public before private and each in zone order, whatever order they were packed in.
  return subnets.sort((a, b) => (a.role === b.role ? a.zoneIndex - b.zoneIndex : a.role === 'public' ? -1 : 1));
}

/** The plan's subnets, with the ranges overlap messages name them by. */
interface Subnets {
  readonly subnets: SubnetPlan[];
  readonly ranges: Array<[string, Cidr]>;
}

function allocatedSubnets(subnets: SubnetPlan[]): Subnets {
  return { subnets, ranges: subnets.map((s) => [`subnet ${s.name}`, Cidr.parse(s.cidr)]) };
}

function isSubnetRole(role: unknown): role is SubnetRole {
  return role === 'public' || role === 'private';
}

/** AWS's subnet size limits. */
const MIN_SUBNET_PREFIX = 16;
const MAX_SUBNET_PREFIX = 28;

/**
 * Checks the declared subnets. A subnet is planned only if it is valid; ranges keep every subnet
 * that parsed, named by its declared index, so that overlaps are still reported.
 */
function declaredSubnets(problems: ProblemList, vpc: Cidr | undefined, declared: readonly DeclaredSubnet[]): Subnets {
  if (!Array.isArray(declared)) {
    problems.add('existingSubnets', declared, 'is not a list of subnets', 'give a list of { role, cidr, zone, subnetId }, one for each subnet the nodes may use');
    return { subnets: [], ranges: [] };
  }
  if (declared.length === 0) {
    problems.add('existingSubnets', '[]', 'no subnets were given', 'list the subnets the nodes may use, with their role, CIDR and zone');
    return { subnets: [], ranges: [] };
  }
  const subnets: SubnetPlan[] = [];
  const ranges: Array<[string, Cidr]> = [];
  const zoneNames: string[] = [];
  const counters: Record<SubnetRole, number> = { public: 0, private: 0 };
  declared.forEach((subnet, i) => {
    if (typeof subnet !== 'object' || subnet === null) {
      problems.add(`existingSubnets[${i}]`, subnet, 'is not a subnet declaration', 'give { role, cidr, zone, subnetId } for the subnet');
      return;
    }
    const before = problems.problems.length;
    const property = `existingSubnets[${i}].cidr`;
    checkType(problems, `existingSubnets[${i}].subnetId`, subnet.subnetId, STRING('subnet-0123456789abcdef0'));
    const cidr = subnet.cidr === undefined || checkType(problems, property, subnet.cidr, STRING('10.0.1.0/24')) ? parseRange(problems, property, subnet.cidr, '10.0.1.0/24') : undefined;
    if (cidr) {
      if (cidr.prefix < MIN_SUBNET_PREFIX || cidr.prefix > MAX_SUBNET_PREFIX) {
        problems.add(property, cidr.toString(), `a /${cidr.prefix} subnet is outside what AWS accepts (/${MIN_SUBNET_PREFIX} to /${MAX_SUBNET_PREFIX})`, `declare the subnet's CIDR exactly as AWS reports it: AWS subnets are /${MIN_SUBNET_PREFIX} to /${MAX_SUBNET_PREFIX}, so a /${cidr.prefix} cannot be one`);
      }
      if (vpc && !vpc.contains(cidr)) {
        problems.add(property, cidr.toString(), `lies outside the VPC ${vpc.toString()}`, 'declare the VPC CIDR and subnet CIDRs exactly as AWS reports them');
      }
      for (const [name, other] of ranges) {
        if (other.overlaps(cidr)) {
          problems.add(property, cidr.toString(), `overlaps ${name} (${other.toString()})`, 'declare each subnet once, with its own CIDR');
        }
      }
      // Named by its declared index, whatever happened to the subnets before it.
      ranges.push([`existingSubnets[${i}]`, cidr]);
    }
    const role = subnet.role;
    const roleKnown = isSubnetRole(role);
    if (!roleKnown) {
      problems.add(`existingSubnets[${i}].role`, role, 'is neither public nor private', "set role to 'public' or 'private'");
    }
    const zone = typeof subnet.zone === 'string' && subnet.zone.trim() !== '' ? subnet.zone : undefined;
    if (zone === undefined) {
      const what = `the ${roleKnown ? `${role} ` : ''}subnet ${valueText(subnet.cidr)}`;
      const missing = subnet.zone === undefined || subnet.zone === null || subnet.zone === '';
      problems.add(
        `existingSubnets[${i}].zone`,
        subnet.zone,
        missing ? `${what} has no availability zone, so the plan cannot tell which subnets share a zone` : `is not an availability zone name (for ${what})`,
        'give the availability zone name AWS shows for the subnet, for example "eu-west-1a"',
      );
    }
    // Zones are numbered in the order they first appear.
    let zoneIndex = zone === undefined ? -1 : zoneNames.indexOf(zone);
    if (zone !== undefined && zoneIndex < 0) {
      zoneIndex = zoneNames.push(zone) - 1;
    }
    // Only a subnet without problems is planned; the plan is refused anyway if any has one.
    if (!cidr || !isSubnetRole(role) || zone === undefined || problems.problems.length > before) {
      return;
    }
    subnets.push({
      name: `${role}-${counters[role]++}`,
      role,
      zoneIndex,
      zone,
      cidr: cidr.toString(),
      ...(subnet.subnetId ? { subnetId: subnet.subnetId } : {}),
    });
  });
  if (!declared.some((subnet) => subnet?.role === 'public')) {
    problems.add(
      'existingSubnets',
      declared.map((subnet) => `${valueText(subnet?.role)} ${valueText(subnet?.cidr)}`),
      'declares no public subnet, but control-plane nodes need one: their Elastic IP or the internet-facing API load balancer lives there, and Terraform reaches the API through it',
      "add a subnet routed to the VPC's internet gateway with role: 'public'",
    );
  }
  return { subnets, ranges };
}

/**
 * Reports `range` overlapping the VPC (naming the subnets it hits) or, where the VPC is clear, any
 * of the other cluster ranges. The fix suggests a free range of the same size.
 */
function checkClear(problems: ProblemList, property: string, range: Cidr, vpc: Cidr | undefined, subnets: Array<[string, Cidr]>, others: Array<[string, Cidr]>): void {
  const taken: Cidr[] = [...(vpc ? [vpc] : []), ...subnets.map(([, c]) => c), ...others.map(([, c]) => c)];
  const fix = () => {
    const free = suggestFreeRange(range.prefix, taken);
    return `choose a range clear of it${free ? `, for example ${free}` : ''}`;
  };
  const hitSubnets = subnets.filter(([, c]) => c.overlaps(range));
  if (vpc && range.overlaps(vpc)) {
    const detail = hitSubnets.length > 0 ? `, including ${hitSubnets.map(([name, c]) => `${name} ${c.toString()}`).join(', ')}` : '';
    problems.add(property, range.toString(), `overlaps vpcCidr (${vpc.toString()})${detail}`, fix());
  } else {
    for (const [name, c] of hitSubnets) {
      problems.add(property, range.toString(), `overlaps ${name} (${c.toString()})`, fix());
    }
  }
  for (const [name, c] of others) {
    if (c.overlaps(range)) {
      problems.add(property, range.toString(), `overlaps ${name} (${c.toString()})`, fix());
    }
  }
}

const SUGGESTION_BASES = ['10.244.0.0', '10.96.0.0', '100.64.0.0', '10.128.0.0', '172.20.0.0', '192.168.0.0', '10.32.0.0'];

/** A private range of the given size that overlaps none of `taken` or the reserved ranges. */
export function suggestFreeRange(prefix: number, taken: readonly Cidr[]): string | undefined {
  const avoid = [...taken, ...RESERVED_RANGES.map((r) => Cidr.parse(r.cidr))];
  for (const base of SUGGESTION_BASES) {
    const candidate = Cidr.tryParse(`${base}/${prefix}`);
    const range = typeof candidate === 'string' ? undefined : candidate;
    if (range && PRIVATE_RANGES.some((p) => p.contains(range)) && !avoid.some((a) => a.overlaps(range))) {
      return range.toString();
    }
  }
  return undefined;
}

function distinctZoneCount(subnets: readonly SubnetPlan[]): number {
  return new Set(subnets.map((s) => s.zoneIndex)).size;
}

/**
 * Places the control-plane nodes round-robin over the public subnets, each at a fixed offset past
 * the addresses AWS reserves. An offset a subnet cannot hold is reported, never thrown.
 */
function placeControlPlane(problems: ProblemList, subnets: readonly SubnetPlan[], count: number): ControlPlaneNodePlan[] {
  // Control-plane nodes carry the public endpoint, so they go in public subnets. Plans without one
  // (declared subnets only) are reported where the subnets are checked.
  const candidates = subnets.filter((s) => s.role === 'public');
  const nodes: ControlPlaneNodePlan[] = [];
  if (candidates.length === 0) {
    return nodes;
  }
  for (let index = 0; index < count; index++) {
    const subnet = candidates[index % candidates.length];
    const cidr = Cidr.parse(subnet.cidr);
    const offset = CONTROL_PLANE_IP_OFFSET + Math.floor(index / candidates.length);
    // AWS reserves the last address of every subnet as well as the first four.
    if (offset >= cidr.size - 1) {
      problems.add('controlPlaneCount', count, `subnet ${subnet.name} (${subnet.cidr}) has no address at offset ${offset} for control-plane node ${index}`, 'use larger public subnets (a /28 holds three nodes)');
      continue;
    }
    nodes.push({ index, subnetName: subnet.name, zoneIndex: subnet.zoneIndex, privateIp: cidr.address(offset) });
  }
  return nodes;
}
