import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Fn, ITerraformDependable, Op, ref } from 'cdktf';
import { Construct } from 'constructs';
import type { SubnetPlan } from '../plan/address-plan';
import type { ProblemList } from '../plan/problems';
import type { NatGateways } from './nat-gateways';
import type { NetworkContext, ProvisionedNetwork } from './network-context';
import { ANYWHERE } from './security-group-rules';
import { INTERNAL_ELB_SUBNET_TAG, ownedResourceTags, PUBLIC_ELB_SUBNET_TAG } from './tags';


export function checkNewVpc(context: NetworkContext, problems: ProblemList): void {
  if (context.plan.usesExistingSubnets) {
    problems.add('plan', 'an AddressPlan built with existingSubnets', 'a new VPC allocates its own subnets, but the plan declares existing ones', 'use ClusterNetworkSource.existingVpc({ vpcId }) for those subnets, or build the plan without existingSubnets');
  }
}

/** Creates the VPC, its subnets and routing, all tagged as owned by the cluster. */
export function provisionNewVpc(scope: Construct, context: NetworkContext, natGateways: NatGateways): ProvisionedNetwork {
  const { clusterName, plan } = context;
  const tags = (name: string, extra: Record<string, string> = {}) => ({ ...ownedResourceTags(clusterName, `${clusterName}-${name}`), ...extra });

  const vpc = new Vpc(scope, 'vpc', {
    cidrBlock: plan.vpcCidr,
    // Nodes register under their private DNS names, and kubeadm's node names come from them.
    enableDnsSupport: true,
    enableDnsHostnames: true,
    tags: tags('vpc'),
  });
  // Nothing of the cluster uses the VPC's default group. Taking it over without rules removes the
  // rules AWS gives it (all traffic among its members, all egress), so that an interface or
  // endpoint placed in the VPC without a group of its own is closed rather than open.
  new DefaultSecurityGroup(scope, 'default-security-group', { vpcId: vpc.id, tags: tags('default-sg') });

  const zoneOf = zoneNamer(scope, plan.subnets, plan.zoneCount);
  const subnets = new Map<string, Subnet>();
  for (const planned of plan.subnets) {
    subnets.set(planned.name, new Subnet(scope, `subnet-${planned.name}`, {
      vpcId: vpc.id,
      cidrBlock: planned.cidr,
      availabilityZone: zoneOf(planned),
      mapPublicIpOnLaunch: planned.role === 'public',
      tags: tags(planned.name, planned.role === 'public' ? PUBLIC_ELB_SUBNET_TAG : INTERNAL_ELB_SUBNET_TAG),
      // The zone is chosen once, at creation. A later plan must never move a subnet, which would
      // replace it and every node and interface in it: the list of available zones shrinks while a
      // zone is impaired, and element() then names another zone for the same index.
      lifecycle: { ignoreChanges: ['availability_zone'] },
    }));
  }

  const internetGateway = new InternetGateway(scope, 'internet-gateway', { vpcId: vpc.id, tags: tags('igw') });
  const publicRouteTable = new RouteTable(scope, 'route-table-public', { vpcId: vpc.id, tags: tags('rt-public') });
  // Nodes wait for the routes of the subnets they sit in: a control-plane node in a public subnet
  // must not wait for a NAT gateway it never uses (minutes of its creation time).
  const publicEgress: ITerraformDependable[] = [];
  const privateEgress: ITerraformDependable[] = [];
  publicEgress.push(new Route(scope, 'default-route-public', {
    routeTableId: publicRouteTable.id,
    destinationCidrBlock: ANYWHERE,
    gatewayId: internetGateway.id,
  }));
  const publicSubnets = plan.subnetsOf('public');
  for (const planned of publicSubnets) {
    publicEgress.push(new RouteTableAssociation(scope, `route-table-association-${planned.name}`, {
      subnetId: subnets.get(planned.name)!.id,
      routeTableId: publicRouteTable.id,
    }));
  }

  const natCount = natGateways.count(plan.zoneCount);
  const gateways = Array.from({ length: natCount }, (_, index) => {
    // A gateway serves the zone it sits in, so it goes into that zone's public subnet.
    const home = publicSubnets.find((s) => s.zoneIndex === index) ?? publicSubnets[index % publicSubnets.length];
    const eip = new Eip(scope, `nat-eip-${index}`, {
      domain: 'vpc',
      tags: tags(`nat-${index}`),
      dependsOn: [internetGateway],
    });
    return new NatGateway(scope, `nat-gateway-${index}`, {
      allocationId: eip.allocationId,
      subnetId: subnets.get(home.name)!.id,
      tags: tags(`nat-${index}`),
      // AWS documents that a NAT gateway needs the VPC's internet gateway to be attached first.
      dependsOn: [internetGateway],
    });
  });

  for (const planned of plan.subnetsOf('private')) {
    const routeTable = new RouteTable(scope, `route-table-${planned.name}`, { vpcId: vpc.id, tags: tags(`rt-${planned.name}`) });
    privateEgress.push(new RouteTableAssociation(scope, `route-table-association-${planned.name}`, {
      subnetId: subnets.get(planned.name)!.id,
      routeTableId: routeTable.id,
    }));
    const gatewayIndex = natGateways.gatewayIndexFor(planned.zoneIndex);
    if (gatewayIndex !== undefined && gateways.length > 0) {
      privateEgress.push(new Route(scope, `default-route-${planned.name}`, {
        routeTableId: routeTable.id,
        destinationCidrBlock: ANYWHERE,
        natGatewayId: gateways[Math.min(gatewayIndex, gateways.length - 1)].id,
      }));
    }
  }

  return {
    vpcId: vpc.id,
    vpc,
    subnetIdByName: Object.fromEntries([...subnets].map(([name, subnet]) => [name, subnet.id])),
    natGatewayCount: natCount,
    privateSubnetsHaveEgress: natCount > 0,
    egress: { public: publicEgress, private: privateEgress },
  };
}

/**
 * Names each subnet's zone: the plan's name when it has one, otherwise the region's `zoneIndex`-th
 * available zone, looked up at deploy time.
 */
function zoneNamer(scope: Construct, subnets: readonly SubnetPlan[], zoneCount: number): (subnet: SubnetPlan) => string {
  if (subnets.every((s) => s.zone !== undefined)) {
    return (subnet) => subnet.zone!;
  }
  const zones = new DataAwsAvailabilityZones(scope, 'availability-zones', {
    state: 'available',
    // Local and Wavelength zones are opt-in and lack most instance types; keep to regular zones.
    filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    lifecycle: {
      // element() wraps around, which would quietly stack two of the plan's zones into one.
      postcondition: [{
        condition: Op.gte(Fn.lengthOf(ref('self.names')), zoneCount),
        errorMessage: `The address plan spreads the cluster over ${zoneCount} availability zones, but the region has fewer available. Lower zoneCount in the address plan.`,
      }],
    },
  });
  return (subnet) => subnet.zone ?? Fn.element(zones.names, subnet.zoneIndex);
}
