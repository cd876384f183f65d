import type { Construct } from 'constructs';
import type { ProblemList } from '../plan/problems';
import { adoptExistingVpc, checkExistingVpc, ExistingVpcOptions } from './existing-vpc';
import { NatGateways } from './nat-gateways';
import type { NetworkContext, ProvisionedNetwork } from './network-context';
import { checkNewVpc, provisionNewVpc } from './new-vpc';

export interface NewVpcOptions {
  /**
   * NAT gateways for the private subnets.
   * @default NatGateways.single()
   */
  readonly natGateways?: NatGateways;
}

interface Provisioner {
  check(context: NetworkContext, problems: ProblemList): void;
  provision(scope: Construct, context: NetworkContext): ProvisionedNetwork;
}

/** Where the cluster's network comes from: a VPC the cluster creates, or one that exists. */
export class ClusterNetworkSource {
  /**
   * A new VPC with a public and a private subnet per zone, laid out by the address plan, with an
   * internet gateway and NAT gateways as chosen.
   */
  public static newVpc(options: NewVpcOptions = {}): ClusterNetworkSource {
    const natGateways = options.natGateways ?? NatGateways.single();
    return new ClusterNetworkSource(true, {
      check: checkNewVpc,
      provision: (scope, context) => provisionNewVpc(scope, context, natGateways),
    });
  }

  /**
   * An existing VPC, with the subnets the address plan declares through `existingSubnets` (each
   * with its `subnetId`). Nothing of the network is created or tagged.
   */
  public static existingVpc(options: ExistingVpcOptions): ClusterNetworkSource {
    return new ClusterNetworkSource(false, {
      check: (context, problems) => checkExistingVpc(context, options, problems),
      provision: (scope, context) => adoptExistingVpc(scope, context, options),
    });
  }

  private constructor(
    /** Whether the cluster creates (and owns) the VPC. */
    public readonly createsVpc: boolean,
    private readonly provisioner: Provisioner,
  ) {}

  /** @internal */
  public _check(context: NetworkContext, problems: ProblemList): void {
    this.provisioner.check(context, problems);
  }

  /** @internal */
  public _provision(scope: Construct, context: NetworkContext): ProvisionedNetwork {
    return this.provisioner.provision(scope, context);
  }
}
