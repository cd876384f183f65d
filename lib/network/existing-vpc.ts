import { Fn, Op, ref, Token } from 'cdktf';
import { Construct } from 'constructs';
import type { ProblemList } from '../plan/problems';
import { bindings } from '../util/bindings';
import type { NetworkContext, ProvisionedNetwork } from './network-context';

export interface ExistingVpcOptions {
  /** Id of the VPC the cluster goes into (`vpc-...`). */
  readonly vpcId: string;
  /**
   * Whether Terraform checks, while planning, that the VPC holds the plan's `vpcCidr` and that each
   * subnet id has the CIDR, VPC and zone declared for it. The address plan can only vouch for the
   * CIDRs it was given; this catches a declaration that does not match AWS. It reads the VPC and
   * subnets (data sources) and changes nothing.
   * @default true
   */
  readonly verify?: boolean;
  /**
   * Whether the private subnets reach the internet (through NAT or otherwise). When they do not,
   * workers are placed in the public subnets, since nodes must pull packages and images.
   * @default true
   */
  readonly privateSubnetsHaveEgress?: boolean;
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

export function checkExistingVpc(context: NetworkContext, options: ExistingVpcOptions, problems: ProblemList): void {
  const { plan } = context;
  if (!Token.isUnresolved(options.vpcId) && !VPC_ID.test(String(options.vpcId))) {
    problems.add('vpcId', options.vpcId, 'is not a VPC id', 'give the id AWS shows for the VPC, for example "vpc-0123456789abcdef0"');
  }
  if (!plan.usesExistingSubnets) {
    problems.add('plan', 'an AddressPlan without existingSubnets', 'an existing VPC keeps its own subnets, but the plan allocates new ones', 'build the plan with existingSubnets: [{ subnetId, role, cidr, zone }] for the subnets the cluster may use');
    return;
  }
  plan.subnets.forEach((subnet, i) => {
    const property = `existingSubnets[${i}].subnetId`;
    if (subnet.subnetId === undefined) {
      problems.add(property, 'undefined', `the ${subnet.role} subnet ${subnet.cidr} has no id, so nodes cannot be placed in it`, 'give the id AWS shows for the subnet, for example "subnet-0123456789abcdef0"');
    } else if (!Token.isUnresolved(subnet.subnetId) && !SUBNET_ID.test(subnet.subnetId)) {
      problems.add(property, subnet.subnetId, 'is not a subnet id', 'give the id AWS shows for the subnet, for example "subnet-0123456789abcdef0"');
    }
  });
}

/**
 * Adopts an existing VPC and its subnets. Creates no network resources and tags nothing: the VPC's
 * owner decides its tags (see `sharedClusterTag`).
 */
export function adoptExistingVpc(scope: Construct, context: NetworkContext, options: ExistingVpcOptions): ProvisionedNetwork {
  const { plan } = context;
  if (options.verify ?? true) {
    const { DataAwsSubnet, DataAwsVpc } = bindings;
    new DataAwsVpc(scope, 'existing-vpc', {
      id: options.vpcId,
      lifecycle: {
        // The plan's range may be a secondary CIDR of the VPC, so every association counts.
        postcondition: [{
          condition: Fn.contains(ref('self.cidr_block_associations[*].cidr_block'), plan.vpcCidr),
          errorMessage: `VPC ${options.vpcId} has no CIDR block ${plan.vpcCidr}, which the address plan declares as vpcCidr. Declare the VPC's CIDR exactly as AWS reports it.`,
        }, {
          // Nodes are named after their private DNS names, the kubelets resolve the API endpoint and
          // AWS APIs through the VPC resolver, and the CSR approver checks node names against DNS:
          // none of it works without both attributes (data source aws_vpc: enable_dns_support,
          // enable_dns_hostnames).
          condition: Op.and(ref('self.enable_dns_support'), ref('self.enable_dns_hostnames')),
          errorMessage: `VPC ${options.vpcId} must have DNS resolution and DNS hostnames turned on (enableDnsSupport and enableDnsHostnames): nodes are named after their private DNS names and resolve AWS endpoints through the VPC. Turn both on: aws ec2 modify-vpc-attribute --vpc-id ${options.vpcId} --enable-dns-support '{"Value":true}', then the same with --enable-dns-hostnames.`,
        }],
      },
    });
    plan.subnets.forEach((subnet, i) => {
      const checks = [Op.eq(ref('self.cidr_block'), subnet.cidr), Op.eq(ref('self.vpc_id'), options.vpcId)];
      if (subnet.zone !== undefined) {
        checks.push(Op.eq(ref('self.availability_zone'), subnet.zone));
      }
      new DataAwsSubnet(scope, `existing-subnet-${subnet.name}`, {
        id: subnet.subnetId,
        lifecycle: {
          postcondition: [{
            condition: checks.reduce((all, check) => Op.and(all, check)),
            errorMessage: `Subnet ${subnet.subnetId} (existingSubnets[${i}]) is not ${subnet.cidr}${subnet.zone ? ` in ${subnet.zone}` : ''} inside VPC ${options.vpcId}. Declare each subnet exactly as AWS reports it.`,
          }],
        },
      });
    });
  }
  return {
    vpcId: options.vpcId,
    subnetIdByName: Object.fromEntries(plan.subnets.map((s) => [s.name, s.subnetId!])),
    natGatewayCount: 0,
    privateSubnetsHaveEgress: options.privateSubnetsHaveEgress ?? true,
    egress: { public: [], private: [] },
  };
}
