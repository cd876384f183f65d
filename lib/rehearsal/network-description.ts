import type { Datapath } from '../cni/cni-plugin';
import type { NodeRole } from '../network/ports';
import { Cidr, parseIp } from '../plan/cidr';
import type { AddressPlanData } from '../plan/address-plan';
import { NETWORK_DESCRIPTION_KIND } from '../network-description';
import { RehearsalInputError } from './errors';
import { isRecord, securityGroupIdOf, TerraformJson } from './terraform-json';

/** The description format this reader understands. */
export const NETWORK_DESCRIPTION_VERSION = 1;

/**
 * A cluster's network as read back from a stack output (`DescribedCluster`, written by
 * `KubeadmCluster`), with the security groups as the logical ids of their resources.
 */
export interface DescribedCluster {
  /** Name of the stack output that carries it. */
  readonly outputName: string;
  readonly clusterName: string;
  readonly plan: AddressPlanData;
  readonly plugin: {
    readonly name: string;
    readonly datapath: Datapath;
  };
  /** Logical id of each role's `aws_security_group` resource. */
  readonly securityGroups: Readonly<Record<NodeRole, string>>;
}

/**
 * Every network description among the stack's outputs, in output order. Throws a
 * `RehearsalInputError` naming the output and field when one is malformed, since a half-read
 * description would rehearse a network other than the one synthesised.
 */
export function readNetworkDescriptions(stack: TerraformJson): DescribedCluster[] {
  const found: DescribedCluster[] = [];
  for (const [outputName, output] of Object.entries(stack.output ?? {})) {
    const value = output?.value;
    if (isRecord(value) && value.kind === NETWORK_DESCRIPTION_KIND) {
      found.push(parseDescription(outputName, value));
    }
  }
  return found;
}

/**
 * The descriptions to rehearse: the one named `clusterName`, or all of them. Throws when there is
 * none, or the name matches none (listing the names there are).
 */
export function selectDescriptions(all: readonly DescribedCluster[], clusterName?: string): DescribedCluster[] {
  if (all.length === 0) {
    throw new RehearsalInputError(
      `the stack has no output of kind "${NETWORK_DESCRIPTION_KIND}"; synthesise a stack with a KubeadmCluster in it (cdktf synth)`,
    );
  }
  if (clusterName === undefined) {
    return [...all];
  }
  const matching = all.filter((d) => d.clusterName === clusterName);
  if (matching.length === 0) {
    throw new RehearsalInputError(`no cluster named "${clusterName}" in the stack; it has ${all.map((d) => `"${d.clusterName}"`).join(', ')}`);
  }
  return matching;
}

function parseDescription(outputName: string, value: Record<string, unknown>): DescribedCluster {
  const where = `output "${outputName}"`;
  const fail = (field: string, why: string): never => {
    throw new RehearsalInputError(`${where}: ${field} ${why}`);
  };
  if (value.version !== NETWORK_DESCRIPTION_VERSION) {
    fail('version', `is ${JSON.stringify(value.version)}; this rehearsal reads version ${NETWORK_DESCRIPTION_VERSION} (use the rehearsal of the library version that synthesised the stack)`);
  }
  const clusterName = typeof value.clusterName === 'string' && value.clusterName !== '' ? value.clusterName : fail('clusterName', 'is missing');
  const plan = parsePlan(value.plan, (field, why) => fail(`plan.${field}`, why));
  const plugin = isRecord(value.plugin) ? value.plugin : fail('plugin', 'is missing');
  const name = typeof plugin.name === 'string' && plugin.name !== '' ? plugin.name : fail('plugin.name', 'is missing');
  const datapath = parseDatapath(plugin.datapath, (field, why) => fail(`plugin.datapath.${field}`, why));
  const groups = isRecord(value.securityGroups) ? value.securityGroups : fail('securityGroups', 'is missing');
  const groupOf = (role: NodeRole): string =>
    securityGroupIdOf(groups[role]) ?? fail(`securityGroups["${role}"]`, `is ${JSON.stringify(groups[role])}, not a reference such as "\${aws_security_group.NAME.id}"`);
  return {
    outputName,
    clusterName,
    plan,
    plugin: { name, datapath },
    securityGroups: { 'control-plane': groupOf('control-plane'), worker: groupOf('worker') },
  };
}

type Fail = (field: string, why: string) => never;

function parseDatapath(value: unknown, fail: Fail): Datapath {
  if (!isRecord(value)) {
    return fail('', 'is missing');
  }
  const encapsulation = value.encapsulation;
  if (encapsulation !== 'vxlan' && encapsulation !== 'ipip' && encapsulation !== 'routed') {
    return fail('encapsulation', `is ${JSON.stringify(encapsulation)}, not "vxlan", "ipip" or "routed"`);
  }
  if (encapsulation === 'vxlan' && !isPort(value.port)) {
    return fail('port', `is ${JSON.stringify(value.port)}; a vxlan datapath needs its UDP port`);
  }
  const controlPorts = value.controlPorts ?? [];
  if (!Array.isArray(controlPorts) || !controlPorts.every(isPort)) {
    return fail('controlPorts', `is ${JSON.stringify(controlPorts)}, not a list of TCP ports`);
  }
  return { encapsulation, ...(isPort(value.port) ? { port: value.port } : {}), controlPorts: controlPorts as number[] };
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}

function parsePlan(value: unknown, fail: Fail): AddressPlanData {
  if (!isRecord(value)) {
    return fail('', 'is missing');
  }
  const cidr = (field: string): string => {
    const text = value[field];
    const parsed = typeof text === 'string' ? Cidr.tryParse(text) : 'is missing';
    return typeof parsed === 'string' ? fail(field, parsed) : parsed.toString();
  };
  const ip = (field: string, text: unknown): string => (typeof text === 'string' && parseIp(text) !== undefined ? text : fail(field, `is ${JSON.stringify(text)}, not an IPv4 address`));
  const count = (field: string, min: number): number => {
    const n = value[field];
    return typeof n === 'number' && Number.isInteger(n) && n >= min ? n : fail(field, `is ${JSON.stringify(n)}, not a whole number of at least ${min}`);
  };
  const subnets = Array.isArray(value.subnets) ? value.subnets : fail('subnets', 'is missing');
  const controlPlaneNodes = Array.isArray(value.controlPlaneNodes) ? value.controlPlaneNodes : fail('controlPlaneNodes', 'is missing');
  const nodeCidrMaskSize = count('nodeCidrMaskSize', 1);
  const podCidr = cidr('podCidr');
  if (nodeCidrMaskSize <= Cidr.parse(podCidr).prefix || nodeCidrMaskSize > 30) {
    fail('nodeCidrMaskSize', `/${nodeCidrMaskSize} does not split ${podCidr} into node ranges of at least 4 addresses`);
  }
  return {
    ...(value as unknown as AddressPlanData),
    vpcCidr: cidr('vpcCidr'),
    podCidr,
    serviceCidr: cidr('serviceCidr'),
    nodeCidrMaskSize,
    kubernetesServiceIp: ip('kubernetesServiceIp', value.kubernetesServiceIp),
    clusterDnsIp: ip('clusterDnsIp', value.clusterDnsIp),
    controlPlaneCount: count('controlPlaneCount', 1),
    workerCount: count('workerCount', 0),
    subnets: subnets.map((s: unknown, i: number) => {
      if (!isRecord(s) || typeof s.name !== 'string' || (s.role !== 'public' && s.role !== 'private')) {
        return fail(`subnets[${i}]`, `is ${JSON.stringify(s)}, not a subnet with a name and a role`);
      }
      const parsed = typeof s.cidr === 'string' ? Cidr.tryParse(s.cidr) : 'is missing';
      if (typeof parsed === 'string') {
        return fail(`subnets[${i}].cidr`, parsed);
      }
      return { name: s.name, role: s.role, zoneIndex: typeof s.zoneIndex === 'number' ? s.zoneIndex : i, cidr: parsed.toString() };
    }),
    controlPlaneNodes: controlPlaneNodes.map((n: unknown, i: number) => {
      if (!isRecord(n) || typeof n.subnetName !== 'string') {
        return fail(`controlPlaneNodes[${i}]`, `is ${JSON.stringify(n)}, not a node with a subnetName and a privateIp`);
      }
      return { index: i, subnetName: n.subnetName, zoneIndex: typeof n.zoneIndex === 'number' ? n.zoneIndex : 0, privateIp: ip(`controlPlaneNodes[${i}].privateIp`, n.privateIp) };
    }),
  };
}
