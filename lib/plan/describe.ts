import type { AddressPlan } from './address-plan';
import { Cidr } from './cidr';
import { formatProblem } from './problems';

/** Renders rows as left-aligned columns. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * A whole number with thousands separators, as `toLocaleString('en-US')` writes it. Written out
 * because the first locale-aware call loads ICU's number formatting: 10 ms of every synth.
 */
export function withThousandsSeparators(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+$)/g, ',');
}

function addresses(cidr: string): string {
  return withThousandsSeparators(Cidr.parse(cidr).size);
}

export function describePlan(plan: AddressPlan): string {
  const rows: string[][] = [
    ['VPC', plan.vpcCidr, addresses(plan.vpcCidr), `${plan.usesExistingSubnets ? 'existing, ' : ''}${plan.zoneCount} zone${plan.zoneCount === 1 ? '' : 's'}`],
    ...plan.subnets.map((s) => [
      `subnet ${s.name}`,
      s.cidr,
      addresses(s.cidr),
      [s.zone ?? `zone #${s.zoneIndex}`, s.subnetId].filter(Boolean).join(' '),
    ]),
    ...plan.controlPlaneNodes.map((n) => [`control plane ${n.index}`, `${n.privateIp}/32`, '1', `in subnet ${n.subnetName}`]),
    ['pods', plan.podCidr, addresses(plan.podCidr), `max ${plan.maxNodes} nodes (${plan.nodeCount} planned)`],
    [
      'pods per node',
      `/${plan.nodeCidrMaskSize}`,
      withThousandsSeparators(plan.podAddressesPerNode + 2),
      `first: ${plan.nodePodCidr(0)}, up to ${plan.podsPerNode} pods`,
    ],
    ['services', plan.serviceCidr, addresses(plan.serviceCidr), `kubernetes ${plan.kubernetesServiceIp}, DNS ${plan.clusterDnsIp}`],
  ];
  const table = formatTable(['range', 'cidr', 'addresses', 'notes'], rows);
  const warnings = plan.warnings.map((w) => `warning: ${formatProblem(w)}`);
  return ['Address plan', table, ...warnings].join('\n');
}
