import type { CniPlugin } from './cni/cni-plugin';
import type { SecurityGroupRuleSpec } from './network/security-group-rules';
import type { ResolvedWorkerPool } from './nodes/worker-pool-options';
import type { AddressPlan } from './plan/address-plan';
import { API_SERVER_PORT, formatPortRule } from './network/ports';
import { Token } from 'cdktf';
import { formatTable } from './plan/describe';

export interface ClusterSummaryInput {
  readonly clusterName: string;
  readonly plan: AddressPlan;
  readonly kubernetesVersion: string;
  readonly cni: CniPlugin;
  readonly rules: readonly SecurityGroupRuleSpec[];
  readonly pools: readonly ResolvedWorkerPool[];
  readonly natGateways: number;
  readonly createsVpc: boolean;
  readonly apiAccessFromDeployer: boolean;
  readonly connectivityCheck: boolean;
  /** Whether each of several control-plane nodes has an Elastic IP of its own (self-healing nodes). */
  readonly controlPlaneNodeAddresses: boolean;
}

/** The synth summary: plan table, plugin, ports opened and what the deploy creates. */
export function describeCluster(input: ClusterSummaryInput): string {
  const { plan, cni } = input;
  const datapath = cni.datapath.encapsulation === 'vxlan' ? `VXLAN on udp/${cni.datapath.port}` : cni.datapath.encapsulation === 'ipip' ? 'IP-in-IP' : 'routed';
  const ruleRows = input.rules
    .filter((r) => r.direction === 'ingress')
    .map((r) => [r.group, r.peerRole ? `${r.peerRole} nodes` : r.cidr && Token.isUnresolved(r.cidr) ? (input.apiAccessFromDeployer && r.fromPort === API_SERVER_PORT ? 'the deploying machine' : 'a deploy-time value') : (r.cidr ?? ''), r.protocol === 'all' ? 'all' : formatPortRule({ protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort }), r.description]);
  const pools = input.pools.map((p) => `${p.name}: ${p.minSize}-${p.maxSize} x ${p.instanceTypes.join('/')}${p.spot ? ' (spot)' : ''}, desired ${p.desiredSize}`);
  const creates = [
    input.createsVpc ? `a VPC with ${plan.subnets.length} subnets, an internet gateway and ${input.natGateways} NAT gateway(s)` : 'nothing in the existing VPC but security groups and nodes',
    `${plan.controlPlaneCount === 1 ? '1 control-plane node with an Elastic IP' : `${plan.controlPlaneCount} control-plane nodes behind an internal and an internet-facing load balancer${input.controlPlaneNodeAddresses ? ', each with an Elastic IP for its way out' : ''}`}; ${pools.join('; ')}`,
    `PKI in Terraform state and in Parameter Store (SecureStrings under the cluster's KMS key), join tokens rotated on the cluster; the ${cni.name} network plugin${input.connectivityCheck ? '; a pod network check (2 nginx pods, a Service, a Job)' : ''}`,
  ];
  return [
    `Cluster ${input.clusterName}: Kubernetes ${input.kubernetesVersion}, network plugin ${cni.name} (${datapath})`,
    '',
    plan.describe(),
    '',
    'Security group rules',
    formatTable(['to group', 'from', 'traffic', 'purpose'], ruleRows),
    'Egress: everything, from both groups (packages and images).',
    input.apiAccessFromDeployer ? '(API access: the public address of the machine running the deploy, looked up when it runs)' : '',
    '',
    'The deploy creates',
    ...creates.map((c) => `  - ${c}`),
  ]
    .filter((line, i, all) => !(line === '' && all[i - 1] === ''))
    .join('\n');
}
