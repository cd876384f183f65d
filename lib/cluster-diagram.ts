import type { ClusterSummaryInput } from './cluster-summary';
import { formatPortRule, NodeRole } from './network/ports';

export type ClusterDiagramInput = Pick<ClusterSummaryInput, 'clusterName' | 'plan' | 'cni' | 'rules' | 'pools'> & {
  /** Whether workers sit in the private subnets (NAT) or the public ones. */
  readonly workersInPrivateSubnets: boolean;
};

const ROLE_NODE: Readonly<Record<NodeRole, string>> = { 'control-plane': 'cp', worker: 'wk' };

/**
 * A Mermaid flowchart of the cluster's network: zones and subnets with their ranges, where the
 * nodes sit, the pod and service ranges, and which traffic each group admits from which.
 */
export function renderClusterDiagram(input: ClusterDiagramInput): string {
  const { plan } = input;
  const lines = ['flowchart LR'];
  const id = (text: string) => text.replace(/[^A-Za-z0-9]/g, '_');
  lines.push(`  internet((internet))`);
  lines.push(`  subgraph vpc["VPC ${plan.vpcCidr}"]`);
  const zones = [...new Set(plan.subnets.map((s) => s.zoneIndex))].sort((a, b) => a - b);
  for (const zone of zones) {
    const subnets = plan.subnets.filter((s) => s.zoneIndex === zone);
    const zoneName = subnets[0].zone ?? `zone ${zone}`;
    lines.push(`    subgraph ${id(`zone-${zone}`)}["${zoneName}"]`);
    for (const subnet of subnets) {
      const nodes = plan.controlPlaneNodes.filter((n) => n.subnetName === subnet.name).map((n) => `control plane ${n.index}: ${n.privateIp}`);
      const hostsWorkers = (subnet.role === 'private') === input.workersInPrivateSubnets;
      const content = [...nodes, ...(hostsWorkers ? input.pools.map((p) => `worker pool ${p.name}`) : [])];
      lines.push(`      ${id(subnet.name)}["${subnet.role} ${subnet.cidr}${content.length ? `<br/>${content.join('<br/>')}` : ''}"]`);
    }
    lines.push('    end');
  }
  lines.push('  end');
  lines.push(`  cp["control-plane group"]`);
  lines.push(`  wk["worker group"]`);
  lines.push(`  pods{{"pods ${plan.podCidr}<br/>/${plan.nodeCidrMaskSize} per node, ${input.cni.name}"}}`);
  lines.push(`  services{{"services ${plan.serviceCidr}<br/>DNS ${plan.clusterDnsIp}"}}`);
  for (const subnet of plan.subnets) {
    if (plan.controlPlaneNodes.some((n) => n.subnetName === subnet.name)) {
      lines.push(`  ${id(subnet.name)} -.- cp`);
    }
    if ((subnet.role === 'private') === input.workersInPrivateSubnets && input.pools.length > 0) {
      lines.push(`  ${id(subnet.name)} -.- wk`);
    }
  }
  if (input.cni.datapath.encapsulation === 'routed') {
    // No tunnel: the VPC's route tables carry each node's range to that node.
    lines.push(`  vpc -- "route tables: one route per node's /${plan.nodeCidrMaskSize}, no tunnel" --> pods`);
  }
  lines.push('  cp --- pods');
  lines.push('  wk --- pods');
  lines.push('  pods --- services');
  // One edge per (source group, target group), labelled with everything it admits.
  const edges = new Map<string, string[]>();
  for (const rule of input.rules) {
    if (rule.direction !== 'ingress') {
      continue;
    }
    const from = rule.peerRole ? ROLE_NODE[rule.peerRole] : rule.cidr === plan.vpcCidr ? 'vpc' : rule.cidr === plan.podCidr ? 'pods' : 'internet';
    const key = `${from} --> ${ROLE_NODE[rule.group]}`;
    const label = rule.protocol === 'all' ? 'all' : formatPortRule({ protocol: rule.protocol, fromPort: rule.fromPort, toPort: rule.toPort });
    const labels = edges.get(key) ?? [];
    if (!labels.includes(label)) {
      labels.push(label);
    }
    edges.set(key, labels);
  }
  // Keys differ first in a lowercase letter, where code-unit order is the locale's order, and
  // comparing code units spares loading ICU's collation.
  for (const [key, labels] of [...edges.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [from, to] = key.split(' --> ');
    lines.push(`  ${from} -- "${labels.join(', ')}" --> ${to}`);
  }
  return `${lines.join('\n')}\n`;
}
