import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { ITerraformDependable } from 'cdktf';
import type { AddressPlan } from '../plan/address-plan';

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
  /** Routes (and their associations) that give the subnets their way to the internet. */
  readonly egress: readonly ITerraformDependable[];
}
