import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { AddressPlan, SubnetRole } from '../plan/address-plan';
import { ProblemList } from '../plan/problems';
import { checkClusterName } from './cluster-name';
import { ClusterNetworkSource } from './network-source';
import type { NodeRole } from './ports';

export interface ClusterNetworkProps {
  /** Name of the cluster, used in Name tags and the `kubernetes.io/cluster/<name>` tag. */
  readonly clusterName: string;
  /** The validated address plan whose VPC and subnet ranges the network follows. */
  readonly plan: AddressPlan;
  /**
   * Where the VPC comes from.
   * @default ClusterNetworkSource.newVpc() - a new VPC with one shared NAT gateway
   */
  readonly source?: ClusterNetworkSource;
}

/**
 * The cluster's VPC and subnets: created from the address plan, or adopted from an existing VPC.
 * Exposes ids only, so that nodes, load balancers or a larger stack can compose with it.
 */
export class ClusterNetwork extends Construct {
  public readonly clusterName: string;
  public readonly plan: AddressPlan;
  public readonly vpcId: string;
  /** The VPC resource when this construct created it; undefined for an existing VPC. */
  public readonly vpc?: Vpc;
  /** Whether this construct created the VPC (and so owns its subnets and routing). */
  public readonly createsVpc: boolean;
  /** Number of NAT gateways created (always 0 for an existing VPC). */
  public readonly natGatewayCount: number;
  /** Ids of the public subnets, in the plan's order. */
  public readonly publicSubnetIds: string[];
  /** Ids of the private subnets, in the plan's order. */
  public readonly privateSubnetIds: string[];
  /** Plan subnet name (for example `public-0`) to subnet id. */
  public readonly subnetIdByName: Readonly<Record<string, string>>;
  /**
   * Subnets for worker nodes: the private ones when they reach the internet, otherwise the public
   * ones. Without NAT gateways, nodes in private subnets could not pull packages or images.
   */
  public readonly workerSubnetIds: string[];
  /** Whether `workerSubnetIds` are the private subnets. */
  public readonly workersInPrivateSubnets: boolean;
  /**
   * Every route (and route table association) that gives the subnets their way out (none for an
   * existing VPC): `publicEgress` and `privateEgress` together.
   */
  public readonly egress: readonly ITerraformDependable[];
  /** The public subnets' route to the internet gateway and their route table associations. */
  public readonly publicEgress: readonly ITerraformDependable[];
  /** The private subnets' routes to the NAT gateways and their route table associations. */
  public readonly privateEgress: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    const source = props.source ?? ClusterNetworkSource.newVpc();
    const context = { clusterName: props.clusterName, plan: props.plan };

    const problems = new ProblemList();
    checkClusterName(problems, props.clusterName);
    source._check(context, problems);
    problems.throwIfAny();

    const network = source._provision(this, context);
    const idsOf = (role: SubnetRole) => props.plan.subnetsOf(role).map((s) => network.subnetIdByName[s.name]);

    this.clusterName = props.clusterName;
    this.plan = props.plan;
    this.createsVpc = source.createsVpc;
    this.vpcId = network.vpcId;
    this.vpc = network.vpc;
    this.natGatewayCount = network.natGatewayCount;
    this.subnetIdByName = network.subnetIdByName;
    this.publicSubnetIds = idsOf('public');
    this.privateSubnetIds = idsOf('private');
    this.publicEgress = network.egress.public;
    this.privateEgress = network.egress.private;
    this.egress = [...this.publicEgress, ...this.privateEgress];
    this.workersInPrivateSubnets = network.privateSubnetsHaveEgress && this.privateSubnetIds.length > 0;
    this.workerSubnetIds = this.workersInPrivateSubnets ? this.privateSubnetIds : this.publicSubnetIds;
  }

  /**
   * The routes the nodes of `role` use to reach the internet, for them to wait for, so that their
   * first package download does not race the routing: control-plane nodes sit in the public
   * subnets, workers in `workerSubnetIds`.
   */
  public egressFor(role: NodeRole): readonly ITerraformDependable[] {
    return role === 'worker' && this.workersInPrivateSubnets ? this.privateEgress : this.publicEgress;
  }

  /** Id of the plan's subnet `name`; throws naming the known subnets if there is none. */
  public subnetId(name: string): string {
    const id = this.subnetIdByName[name];
    if (id === undefined) {
      throw new Error(`ClusterNetwork ${this.node.path} has no subnet "${name}". Known subnets: ${Object.keys(this.subnetIdByName).join(', ')}.`);
    }
    return id;
  }
}
