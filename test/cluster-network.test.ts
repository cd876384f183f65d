import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { ClusterNetwork, ClusterNetworkProps } from '../lib/network/cluster-network';
import * as networkLayer from '../lib/network';
import { NatGateways } from '../lib/network/nat-gateways';
import { ClusterNetworkSource } from '../lib/network/network-source';
import { AddressPlan, AddressPlanProps } from '../lib/plan/address-plan';
import { ClusterConfigError } from '../lib/plan/problems';

type Json = Record<string, any>;

interface Synthesised {
  readonly json: Json;
  readonly network: ClusterNetwork;
}

function synth(planProps: AddressPlanProps = {}, props: Partial<ClusterNetworkProps> = {}): Synthesised {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const network = new ClusterNetwork(stack, 'net', { clusterName: 'demo', plan: AddressPlan.create(planProps), ...props });
  // Outputs show what the exposed ids resolve to.
  new TerraformOutput(stack, 'vpc_id', { value: network.vpcId });
  new TerraformOutput(stack, 'public_subnet_ids', { value: network.publicSubnetIds });
  new TerraformOutput(stack, 'private_subnet_ids', { value: network.privateSubnetIds });
  new TerraformOutput(stack, 'worker_subnet_ids', { value: network.workerSubnetIds });
  new TerraformOutput(stack, 'subnet_private_1', { value: network.subnetIdByName['private-1'] ?? 'none' });
  return { json: JSON.parse(Testing.synth(stack, true)), network };
}

function resources(json: Json, type: string): Json[] {
  return Object.values<Json>(json.resource?.[type] ?? {});
}

/** `${aws_subnet.<key>.id}` for the subnet whose Name tag is `name`. */
function refByName(json: Json, type: string, name: string): string {
  const found = Object.entries<Json>(json.resource[type]).filter(([, r]) => r.tags?.Name === name);
  expect(found).toHaveLength(1);
  return `\${${type}.${found[0][0]}.id}`;
}

function subnetByName(json: Json, name: string): Json {
  return resources(json, 'aws_subnet').find((s) => s.tags.Name === name)!;
}

/** Default routes: route table Name tag -> what it routes to. */
function defaultRoutes(json: Json): Record<string, string> {
  const tables = new Map(Object.entries<Json>(json.resource.aws_route_table).map(([key, t]) => [`\${aws_route_table.${key}.id}`, t.tags.Name]));
  const gateways = new Map<string, string>([
    ...Object.entries<Json>(json.resource.aws_internet_gateway ?? {}).map(([key, g]) => [`\${aws_internet_gateway.${key}.id}`, g.tags.Name] as [string, string]),
    ...Object.entries<Json>(json.resource.aws_nat_gateway ?? {}).map(([key, g]) => [`\${aws_nat_gateway.${key}.id}`, g.tags.Name] as [string, string]),
  ]);
  return Object.fromEntries(resources(json, 'aws_route').map((r) => {
    expect(r.destination_cidr_block).toBe('0.0.0.0/0');
    return [tables.get(r.route_table_id), gateways.get(r.gateway_id ?? r.nat_gateway_id)];
  }));
}

function errorOf(fn: () => unknown): ClusterConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ClusterConfigError);
    return e as ClusterConfigError;
  }
  throw new Error('expected a ClusterConfigError');
}

describe('new VPC', () => {
  test('a VPC with DNS support and host names', () => {
    const { json } = synth();
    expect(resources(json, 'aws_vpc')).toEqual([{
      cidr_block: '10.0.0.0/16',
      enable_dns_support: true,
      enable_dns_hostnames: true,
      tags: { Name: 'demo-vpc', 'kubernetes.io/cluster/demo': 'owned' },
    }]);
  });

  test("the VPC's default security group is emptied: no ingress, no egress", () => {
    const { json } = synth();
    // Without ingress or egress blocks the provider removes every rule AWS gave the group.
    expect(resources(json, 'aws_default_security_group')).toEqual([{
      vpc_id: refByName(json, 'aws_vpc', 'demo-vpc'),
      tags: { Name: 'demo-default-sg', 'kubernetes.io/cluster/demo': 'owned' },
    }]);
    // And nothing of the cluster is placed in it.
    expect(JSON.stringify(json)).not.toMatch(/aws_default_security_group\.[\w-]+\.id/);
  });

  test('a public and a private subnet per zone with the plan\'s CIDRs, zones looked up at deploy time', () => {
    const { json, network } = synth({ zoneCount: 3 });
    const plan = network.plan;
    const subnets = resources(json, 'aws_subnet');
    expect(subnets).toHaveLength(6);
    const zones = Object.keys(json.data.aws_availability_zones);
    expect(zones).toHaveLength(1);
    const zonesData = json.data.aws_availability_zones[zones[0]];
    expect(zonesData.state).toBe('available');
    expect(zonesData.lifecycle.postcondition[0].condition).toBe('${(length(self.names) >= 3)}');
    for (const planned of plan.subnets) {
      const subnet = subnetByName(json, `demo-${planned.name}`);
      expect(subnet.cidr_block).toBe(planned.cidr);
      expect(subnet.availability_zone).toBe(`\${element(data.aws_availability_zones.${zones[0]}.names, ${planned.zoneIndex})}`);
      // Chosen once: a zone that leaves the available list (impaired) must not move, so replace, the subnet.
      expect(subnet.lifecycle).toEqual({ ignore_changes: ['availability_zone'] });
      expect(subnet.vpc_id).toMatch(/^\$\{aws_vpc\.net_vpc_[0-9A-F]+\.id\}$/);
      expect(subnet.map_public_ip_on_launch).toBe(planned.role === 'public');
      expect(subnet.tags['kubernetes.io/cluster/demo']).toBe('owned');
      if (planned.role === 'public') {
        expect(subnet.tags['kubernetes.io/role/elb']).toBe('1');
        expect(subnet.tags).not.toHaveProperty(['kubernetes.io/role/internal-elb']);
      } else {
        expect(subnet.tags['kubernetes.io/role/internal-elb']).toBe('1');
        expect(subnet.tags).not.toHaveProperty(['kubernetes.io/role/elb']);
      }
    }
    expect(subnets.map((s) => s.cidr_block).sort()).toEqual(plan.subnets.map((s) => s.cidr).sort());
  });

  test('zone names from the plan need no lookup', () => {
    const { json } = synth({ availabilityZones: ['eu-west-1b', 'eu-west-1c'] });
    expect(json.data).toBeUndefined();
    expect(subnetByName(json, 'demo-public-0').availability_zone).toBe('eu-west-1b');
    expect(subnetByName(json, 'demo-private-1').availability_zone).toBe('eu-west-1c');
  });

  test('ids in plan order, by name, and for composition', () => {
    const { json, network } = synth({ zoneCount: 2 });
    expect(json.output.public_subnet_ids.value).toEqual([refByName(json, 'aws_subnet', 'demo-public-0'), refByName(json, 'aws_subnet', 'demo-public-1')]);
    expect(json.output.private_subnet_ids.value).toEqual([refByName(json, 'aws_subnet', 'demo-private-0'), refByName(json, 'aws_subnet', 'demo-private-1')]);
    expect(json.output.worker_subnet_ids.value).toEqual(json.output.private_subnet_ids.value);
    expect(Object.keys(network.subnetIdByName)).toEqual(['public-0', 'public-1', 'private-0', 'private-1']);
    expect(network.subnetId('private-1')).toBe(network.subnetIdByName['private-1']);
    expect(json.output.subnet_private_1.value).toBe(refByName(json, 'aws_subnet', 'demo-private-1'));
    expect(json.output.vpc_id.value).toBe(refByName(json, 'aws_vpc', 'demo-vpc'));
    expect(network.createsVpc).toBe(true);
    expect(() => network.subnetId('private-7')).toThrow(/no subnet "private-7". Known subnets: public-0, public-1, private-0, private-1/);
  });

  test('public subnets route to the internet gateway', () => {
    const { json } = synth();
    expect(resources(json, 'aws_internet_gateway')).toHaveLength(1);
    expect(defaultRoutes(json)['demo-rt-public']).toBe('demo-igw');
    const publicTable = refByName(json, 'aws_route_table', 'demo-rt-public');
    const associated = resources(json, 'aws_route_table_association').filter((a) => a.route_table_id === publicTable).map((a) => a.subnet_id).sort();
    expect(associated).toEqual([refByName(json, 'aws_subnet', 'demo-public-0'), refByName(json, 'aws_subnet', 'demo-public-1')].sort());
    // Route tables hold no inline routes, which would fight the aws_route resources.
    expect(resources(json, 'aws_route_table').every((t) => t.route === undefined)).toBe(true);
  });

  test('default: one NAT gateway in the first public subnet, shared by every private subnet', () => {
    const { json, network } = synth({ zoneCount: 3 });
    const nats = resources(json, 'aws_nat_gateway');
    expect(nats).toHaveLength(1);
    expect(resources(json, 'aws_eip')).toEqual([expect.objectContaining({ domain: 'vpc' })]);
    expect(nats[0].subnet_id).toBe(refByName(json, 'aws_subnet', 'demo-public-0'));
    expect(nats[0].depends_on).toEqual([expect.stringMatching(/^aws_internet_gateway\./)]);
    expect(defaultRoutes(json)).toEqual({
      'demo-rt-public': 'demo-igw',
      'demo-rt-private-0': 'demo-nat-0',
      'demo-rt-private-1': 'demo-nat-0',
      'demo-rt-private-2': 'demo-nat-0',
    });
    expect(network.natGatewayCount).toBe(1);
    expect(network.workerSubnetIds).toBe(network.privateSubnetIds);
  });

  test('one NAT gateway per zone: each private subnet routes through its own zone\'s gateway', () => {
    const { json, network } = synth({ zoneCount: 3 }, { source: ClusterNetworkSource.newVpc({ natGateways: NatGateways.onePerZone() }) });
    const nats = Object.entries<Json>(json.resource.aws_nat_gateway);
    expect(nats).toHaveLength(3);
    expect(resources(json, 'aws_eip')).toHaveLength(3);
    for (let zone = 0; zone < 3; zone++) {
      const nat = nats.find(([, n]) => n.tags.Name === `demo-nat-${zone}`)![1];
      expect(nat.subnet_id).toBe(refByName(json, 'aws_subnet', `demo-public-${zone}`));
      expect(defaultRoutes(json)[`demo-rt-private-${zone}`]).toBe(`demo-nat-${zone}`);
    }
    // Every NAT gateway uses its own address.
    expect(new Set(nats.map(([, n]) => n.allocation_id)).size).toBe(3);
    expect(network.natGatewayCount).toBe(3);
    // Each subnet is associated with exactly one route table, the private ones with their own.
    const associations = resources(json, 'aws_route_table_association');
    expect(associations).toHaveLength(6);
    for (let zone = 0; zone < 3; zone++) {
      expect(associations.filter((a) => a.subnet_id === refByName(json, 'aws_subnet', `demo-private-${zone}`)).map((a) => a.route_table_id)).toEqual([
        refByName(json, 'aws_route_table', `demo-rt-private-${zone}`),
      ]);
    }
  });

  test('no NAT gateway: private subnets get no default route and workers go public', () => {
    const { json, network } = synth({}, { source: ClusterNetworkSource.newVpc({ natGateways: NatGateways.none() }) });
    expect(resources(json, 'aws_nat_gateway')).toEqual([]);
    expect(resources(json, 'aws_eip')).toEqual([]);
    expect(defaultRoutes(json)).toEqual({ 'demo-rt-public': 'demo-igw' });
    // The private subnets still have their own route tables (local routes only).
    expect(resources(json, 'aws_route_table').map((t) => t.tags.Name).sort()).toEqual(['demo-rt-private-0', 'demo-rt-private-1', 'demo-rt-public']);
    expect(network.natGatewayCount).toBe(0);
    expect(json.output.worker_subnet_ids.value).toEqual([refByName(json, 'aws_subnet', 'demo-public-0'), refByName(json, 'aws_subnet', 'demo-public-1')]);
  });

  test('a plan declaring existing subnets is refused for a new VPC', () => {
    const error = errorOf(() => synth({ existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'eu-west-1a', subnetId: 'subnet-0123456789abcdef0' }] }));
    expect(error.problems.map((p) => p.property)).toEqual(['plan']);
    expect(error.problems[0].fix).toContain('ClusterNetworkSource.existingVpc');
  });

  test('two networks in one stack do not clash', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    new ClusterNetwork(stack, 'blue', { clusterName: 'blue', plan: AddressPlan.create() });
    new ClusterNetwork(stack, 'green', { clusterName: 'green', plan: AddressPlan.create({ vpcCidr: '10.1.0.0/16' }) });
    const json = JSON.parse(Testing.synth(stack, true));
    expect(resources(json, 'aws_vpc').map((v) => v.tags.Name).sort()).toEqual(['blue-vpc', 'green-vpc']);
    expect(resources(json, 'aws_subnet')).toHaveLength(8);
  });

  test('synthesis is deterministic', () => {
    const build = () => JSON.stringify(synth({ zoneCount: 3 }, { source: ClusterNetworkSource.newVpc({ natGateways: NatGateways.onePerZone() }) }).json);
    expect(build()).toBe(build());
  });

  test('a bad cluster name is refused', () => {
    expect(errorOf(() => synth({}, { clusterName: 'a'.repeat(41) })).problems[0].property).toBe('clusterName');
  });
});

test('lib/network exports everything needed to use the layer alone', () => {
  const network: Record<string, unknown> = { ...networkLayer };
  for (const name of ['ClusterNetwork', 'ClusterNetworkSource', 'NatGateways', 'ClusterSecurityGroups', 'planSecurityGroupRules', 'ClusterNodeIdentities', 'NodeIdentity', 'NODE_METADATA_OPTIONS', 'instanceRootBlockDevice', 'launchTemplateRootBlockDevice', 'KUBERNETES_PORTS', 'sharedClusterTag']) {
    expect(network[name]).toBeDefined();
  }
});

describe('existing VPC', () => {
  const existingSubnets = [
    { role: 'public' as const, cidr: '10.10.0.0/24', zone: 'eu-west-1a', subnetId: 'subnet-0aaaaaaaaaaaaaaaa' },
    { role: 'private' as const, cidr: '10.10.10.0/24', zone: 'eu-west-1a', subnetId: 'subnet-0bbbbbbbbbbbbbbbb' },
    { role: 'private' as const, cidr: '10.10.11.0/24', zone: 'eu-west-1b', subnetId: 'subnet-0cccccccccccccccc' },
  ];
  const adopt = (options: Partial<Parameters<typeof ClusterNetworkSource.existingVpc>[0]> = {}) =>
    synth({ vpcCidr: '10.10.0.0/16', existingSubnets }, { source: ClusterNetworkSource.existingVpc({ vpcId: 'vpc-0123456789abcdef0', ...options }) });

  test('creates no network resources and exposes the given ids', () => {
    const { json, network } = adopt();
    expect(json.resource).toBeUndefined();
    expect(json.output.worker_subnet_ids.value).toEqual(['subnet-0bbbbbbbbbbbbbbbb', 'subnet-0cccccccccccccccc']);
    expect(network.vpcId).toBe('vpc-0123456789abcdef0');
    expect(network.vpc).toBeUndefined();
    expect(network.createsVpc).toBe(false);
    expect(network.publicSubnetIds).toEqual(['subnet-0aaaaaaaaaaaaaaaa']);
    expect(network.privateSubnetIds).toEqual(['subnet-0bbbbbbbbbbbbbbbb', 'subnet-0cccccccccccccccc']);
    expect(network.subnetIdByName).toEqual({ 'public-0': 'subnet-0aaaaaaaaaaaaaaaa', 'private-0': 'subnet-0bbbbbbbbbbbbbbbb', 'private-1': 'subnet-0cccccccccccccccc' });
    expect(network.workerSubnetIds).toEqual(network.privateSubnetIds);
    expect(network.natGatewayCount).toBe(0);
  });

  test('checks the declared CIDRs against AWS at plan time, without tagging anything', () => {
    const { json } = adopt();
    const vpc = Object.values<Json>(json.data.aws_vpc);
    expect(vpc).toHaveLength(1);
    expect(vpc[0].id).toBe('vpc-0123456789abcdef0');
    expect(vpc[0].lifecycle.postcondition[0].condition).toBe('${contains(self.cidr_block_associations[*].cidr_block, "10.10.0.0/16")}');
    expect(vpc[0]).not.toHaveProperty('tags');
    const subnets = Object.values<Json>(json.data.aws_subnet);
    expect(subnets.map((s) => s.id).sort()).toEqual(existingSubnets.map((s) => s.subnetId).sort());
    const first = subnets.find((s) => s.id === 'subnet-0aaaaaaaaaaaaaaaa')!;
    expect(first.lifecycle.postcondition[0].condition).toBe('${(((self.cidr_block == "10.10.0.0/24") && (self.vpc_id == "vpc-0123456789abcdef0")) && (self.availability_zone == "eu-west-1a"))}');
    expect(first).not.toHaveProperty('tags');
  });

  test('refuses at plan time a VPC without DNS resolution or DNS hostnames, naming both and the fix', () => {
    const { json } = adopt();
    const [, dns] = Object.values<Json>(json.data.aws_vpc)[0].lifecycle.postcondition;
    expect(dns.condition).toBe('${(self.enable_dns_support && self.enable_dns_hostnames)}');
    expect(dns.error_message).toContain('VPC vpc-0123456789abcdef0 must have DNS resolution and DNS hostnames turned on (enableDnsSupport and enableDnsHostnames)');
    expect(dns.error_message).toContain('aws ec2 modify-vpc-attribute --vpc-id vpc-0123456789abcdef0 --enable-dns-support');
  });

  test('verify: false reads nothing', () => {
    expect(adopt({ verify: false }).json.data).toBeUndefined();
  });

  test('private subnets without egress send workers to the public ones', () => {
    const { network } = adopt({ privateSubnetsHaveEgress: false });
    expect(network.workerSubnetIds).toEqual(['subnet-0aaaaaaaaaaaaaaaa']);
  });

  test('every problem with the adoption is reported at once', () => {
    const error = errorOf(() =>
      synth(
        { vpcCidr: '10.10.0.0/16', existingSubnets: [{ role: 'public', cidr: '10.10.10.0/24', zone: 'eu-west-1a' }, { role: 'private', cidr: '10.10.11.0/24', zone: 'eu-west-1a', subnetId: 'sn-123' }] },
        { source: ClusterNetworkSource.existingVpc({ vpcId: 'vpc_1' }) },
      ),
    );
    expect(error.problems.map((p) => `${p.property} = ${p.value}`)).toEqual([
      'vpcId = "vpc_1"',
      'existingSubnets[0].subnetId = "undefined"',
      'existingSubnets[1].subnetId = "sn-123"',
    ]);
  });

  test('a plan that allocates subnets is refused for an existing VPC', () => {
    const error = errorOf(() => synth({}, { source: ClusterNetworkSource.existingVpc({ vpcId: 'vpc-0123456789abcdef0' }) }));
    expect(error.problems.map((p) => p.property)).toEqual(['plan']);
    expect(error.problems[0].fix).toContain('existingSubnets');
  });
});

describe('ClusterNetwork routes each role waits for', () => {
  /** The resources as `type.construct-id` tails, for readable comparisons. */
  const names = (items: readonly unknown[]) => items.map((item) => {
    const element = item as { terraformResourceType: string; node: { id: string } };
    return `${element.terraformResourceType} ${element.node.id}`;
  }).sort();

  test('control-plane nodes wait for the public route and associations; workers for the NAT routes and theirs', () => {
    const { network } = synth({ zoneCount: 2 });
    expect(names(network.egressFor('control-plane'))).toEqual([
      'aws_route default-route-public',
      'aws_route_table_association route-table-association-public-0',
      'aws_route_table_association route-table-association-public-1',
    ]);
    expect(names(network.egressFor('worker'))).toEqual([
      'aws_route default-route-private-0',
      'aws_route default-route-private-1',
      'aws_route_table_association route-table-association-private-0',
      'aws_route_table_association route-table-association-private-1',
    ]);
    expect(names(network.egress)).toEqual(names([...network.publicEgress, ...network.privateEgress]));
  });

  test('without NAT gateways, workers sit in the public subnets and wait for the public route', () => {
    const { network } = synth({}, { source: ClusterNetworkSource.newVpc({ natGateways: NatGateways.none() }) });
    expect(network.egressFor('worker')).toEqual(network.egressFor('control-plane'));
    expect(names(network.privateEgress).every((n) => n.startsWith('aws_route_table_association '))).toBe(true);
  });

  test('an existing VPC has no routes of the cluster to wait for', () => {
    const { network } = synth(
      { vpcCidr: '10.10.0.0/16', existingSubnets: [{ role: 'public', cidr: '10.10.0.0/24', zone: 'eu-west-1a', subnetId: 'subnet-0123456789abcdef0' }] },
      { source: ClusterNetworkSource.existingVpc({ vpcId: 'vpc-0123456789abcdef0' }) },
    );
    expect([network.egress, network.egressFor('control-plane'), network.egressFor('worker')]).toEqual([[], [], []]);
  });
});
