import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { ITerraformDependable } from 'cdktf';
import type { AddressPlan, SubnetRole } from '../plan/address-plan';

/** What a network source gets to build or adopt the cluster's network. */
export interface NetworkContext {
  readonly clusterName: string;
  readonly plan: AddressPlan;
}

/** The network a source produced, as ids for composition. */
export interface ProvisionedNetwork {
  readonly vpcId: string;
  /** Plan subnet name (for example `private-0`) to subnet id. */
  readonly subnetIdByName: Readonly<Record<string, string>>;
  readonly natGatewayCount: number;
  /** Whether the private subnets can reach the internet, so that workers belong there. */
  readonly privateSubnetsHaveEgress: boolean;
  /** The VPC resource, when the source created one. */
  readonly vpc?: Vpc;
  /**
   * Routes (and their associations) that give the subnets of each role their way to the internet:
   * the internet gateway's for the public subnets, the NAT gateways' for the private ones.
   */
  readonly egress: Readonly<Record<SubnetRole, readonly ITerraformDependable[]>>;
}
