import { AddressPlan, AddressPlanProps, ClusterConfigError, DeclaredSubnet, Problem } from '../lib/plan';

function problemsOf(props: AddressPlanProps): readonly Problem[] {
  try {
    AddressPlan.create(props);
  } catch (e) {
    expect(e).toBeInstanceOf(ClusterConfigError);
    return (e as ClusterConfigError).problems;
  }
  return [];
}

describe('AddressPlan defaults', () => {
  const plan = AddressPlan.create();

  test('documented defaults', () => {
    expect(plan.vpcCidr).toBe('10.0.0.0/16');
    expect(plan.podCidr).toBe('10.244.0.0/16');
    expect(plan.serviceCidr).toBe('10.96.0.0/12');
    expect(plan.nodeCidrMaskSize).toBe(24);
    expect(plan.controlPlaneCount).toBe(1);
    expect(plan.workerCount).toBe(2);
    expect(plan.zoneCount).toBe(2);
    expect(plan.warnings).toEqual([]);
  });

  test('a public and a private subnet per zone, inside the VPC', () => {
    expect(plan.subnets.map((s) => [s.name, s.role, s.zoneIndex, s.cidr])).toEqual([
      ['public-0', 'public', 0, '10.0.128.0/18'],
      ['public-1', 'public', 1, '10.0.192.0/18'],
      ['private-0', 'private', 0, '10.0.0.0/18'],
      ['private-1', 'private', 1, '10.0.64.0/18'],
    ]);
  });

  test('service IPs, capacity and the control-plane IP', () => {
    expect(plan.kubernetesServiceIp).toBe('10.96.0.1');
    expect(plan.clusterDnsIp).toBe('10.96.0.10');
    expect(plan.maxNodes).toBe(256);
    expect(plan.podAddressesPerNode).toBe(254);
    expect(plan.podsPerNode).toBe(110);
    expect(plan.controlPlaneNodes).toEqual([{ index: 0, subnetName: 'public-0', zoneIndex: 0, privateIp: '10.0.128.10' }]);
    expect(plan.nodePodCidr(3)).toBe('10.244.3.0/24');
  });

  test('describe() shows every range', () => {
    const text = plan.describe();
    for (const needle of ['10.0.0.0/16', '10.0.128.0/18', '10.0.128.10/32', '10.244.0.0/16', '/24', '10.96.0.0/12', 'DNS 10.96.0.10', 'max 256 nodes']) {
      expect(text).toContain(needle);
    }
  });

  test('toJSON() is plain data that survives a JSON round trip', () => {
    const data = plan.toJSON();
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    expect(data.subnets).toHaveLength(4);
  });
});

describe('AddressPlan inputs', () => {
  test('zone names and explicit subnet masks', () => {
    const plan = AddressPlan.create({ availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], publicSubnetMask: 24, privateSubnetMask: 20, controlPlaneCount: 3 });
    expect(plan.subnetsOf('public').map((s) => [s.zone, s.cidr])).toEqual([
      ['eu-west-1a', '10.0.48.0/24'],
      ['eu-west-1b', '10.0.49.0/24'],
      ['eu-west-1c', '10.0.50.0/24'],
    ]);
    expect(plan.subnetsOf('private').map((s) => s.cidr)).toEqual(['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20']);
    // One control-plane node per zone, each at the same fixed offset of its subnet.
    expect(plan.controlPlaneNodes.map((n) => n.privateIp)).toEqual(['10.0.48.10', '10.0.49.10', '10.0.50.10']);
  });

  test('three control-plane nodes in one zone get distinct IPs', () => {
    const plan = AddressPlan.create({ zoneCount: 1, controlPlaneCount: 3 });
    expect(plan.controlPlaneNodes.map((n) => n.privateIp)).toEqual(['10.0.128.10', '10.0.128.11', '10.0.128.12']);
  });

  test('existing subnets are validated instead of allocated', () => {
    const plan = AddressPlan.create({
      vpcCidr: '172.31.0.0/16',
      existingSubnets: [
        { role: 'public', cidr: '172.31.0.0/20', zone: 'us-east-1a', subnetId: 'subnet-a' },
        { role: 'public', cidr: '172.31.16.0/20', zone: 'us-east-1b', subnetId: 'subnet-b' },
        { role: 'private', cidr: '172.31.32.0/20', zone: 'us-east-1a', subnetId: 'subnet-c' },
      ],
    });
    expect(plan.usesExistingSubnets).toBe(true);
    expect(plan.zoneCount).toBe(2);
    expect(plan.subnets.map((s) => [s.name, s.zoneIndex, s.subnetId])).toEqual([
      ['public-0', 0, 'subnet-a'],
      ['public-1', 1, 'subnet-b'],
      ['private-0', 0, 'subnet-c'],
    ]);
    expect(plan.controlPlaneNodes[0].privateIp).toBe('172.31.0.10');
  });

  test('the seed notes\' 100.32.0.0/12 pod range is accepted with a warning', () => {
    const plan = AddressPlan.create({ podCidr: '100.32.0.0/12' });
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatchObject({ property: 'podCidr', value: '"100.32.0.0/12"' });
    expect(plan.warnings[0].message).toMatch(/public address space/);
    expect(plan.describe()).toContain('warning: podCidr');
  });

  test('100.64.0.0/10 (shared address space) is not a warning', () => {
    expect(AddressPlan.create({ podCidr: '100.64.0.0/16' }).warnings).toEqual([]);
  });

  test('a small node range warns about kubelet maxPods', () => {
    const plan = AddressPlan.create({ nodeCidrMaskSize: 26 });
    expect(plan.podsPerNode).toBe(61);
    expect(plan.warnings.map((w) => w.property)).toEqual(['nodeCidrMaskSize']);
  });
});

// Each rule: a failing input that must name the property and a fix, and a close passing input.
const rules: Array<{ rule: string; bad: AddressPlanProps; property: string; message: RegExp; good: AddressPlanProps }> = [
  { rule: 'not a CIDR', bad: { podCidr: '10.244.0.0' }, property: 'podCidr', message: /not an IPv4 CIDR/, good: { podCidr: '10.244.0.0/16' } },
  { rule: 'not canonical', bad: { vpcCidr: '10.0.0.1/16' }, property: 'vpcCidr', message: /not canonical/, good: { vpcCidr: '10.0.0.0/16' } },
  { rule: 'pod range overlaps the VPC', bad: { podCidr: '10.0.0.0/8' }, property: 'podCidr', message: /overlaps vpcCidr/, good: { podCidr: '10.244.0.0/16' } },
  { rule: 'pod range overlaps a subnet', bad: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.192.0/18' }, property: 'podCidr', message: /overlaps vpcCidr \(10\.0\.0\.0\/16\), including subnet public-1 10\.0\.192\.0\/18/, good: { podCidr: '10.1.0.0/16' } },
  { rule: 'pod range overlaps an existing subnet', bad: { vpcCidr: '10.0.0.0/16', podCidr: '10.0.1.0/24', existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'eu-west-1a' }] }, property: 'podCidr', message: /including existingSubnets\[0\] 10\.0\.1\.0\/24/, good: { vpcCidr: '10.0.0.0/16', existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'eu-west-1a' }] } },
  { rule: 'service range overlaps the VPC', bad: { serviceCidr: '10.0.0.0/16' }, property: 'serviceCidr', message: /overlaps vpcCidr/, good: { serviceCidr: '10.96.0.0/16' } },
  { rule: 'service range overlaps the pod range', bad: { serviceCidr: '10.244.0.0/16' }, property: 'serviceCidr', message: /overlaps podCidr/, good: { serviceCidr: '10.245.0.0/16' } },
  { rule: 'service range overlaps a subnet', bad: { vpcCidr: '10.0.0.0/16', serviceCidr: '10.0.0.0/20' }, property: 'serviceCidr', message: /including subnet private-0/, good: { serviceCidr: '10.96.0.0/20' } },
  { rule: 'overlaps loopback', bad: { podCidr: '127.0.0.0/16' }, property: 'podCidr', message: /127\.0\.0\.0\/8/, good: { podCidr: '126.0.0.0/16' } },
  { rule: 'overlaps link-local', bad: { serviceCidr: '169.254.0.0/16' }, property: 'serviceCidr', message: /169\.254\.0\.0\/16.*metadata/, good: { serviceCidr: '169.253.0.0/16' } },
  { rule: "overlaps the runtime's bridge", bad: { podCidr: '172.16.0.0/12' }, property: 'podCidr', message: /172\.17\.0\.0\/16/, good: { podCidr: '172.18.0.0/16' } },
  { rule: 'service range larger than /12', bad: { serviceCidr: '10.96.0.0/11' }, property: 'serviceCidr', message: /larger than \/12/, good: { serviceCidr: '10.96.0.0/12' } },
  { rule: 'service range too small for the DNS IP', bad: { serviceCidr: '10.96.0.0/29' }, property: 'serviceCidr', message: /tenth address/, good: { serviceCidr: '10.96.0.0/28' } },
  { rule: 'node mask not longer than the pod prefix', bad: { podCidr: '10.244.0.0/24', nodeCidrMaskSize: 24 }, property: 'nodeCidrMaskSize', message: /smaller than the pod range/, good: { podCidr: '10.244.0.0/22', nodeCidrMaskSize: 24 } },
  { rule: 'node mask leaving fewer than 8 pod addresses', bad: { nodeCidrMaskSize: 30 }, property: 'nodeCidrMaskSize', message: /fewer than 8/, good: { nodeCidrMaskSize: 29 } },
  { rule: 'node mask more than 16 bits past the pod prefix', bad: { podCidr: '10.0.0.0/8', vpcCidr: '172.31.0.0/16', nodeCidrMaskSize: 25 }, property: 'nodeCidrMaskSize', message: /more than 16 bits/, good: { podCidr: '10.0.0.0/8', vpcCidr: '172.31.0.0/16', serviceCidr: '192.168.0.0/16', nodeCidrMaskSize: 24 } },
  { rule: 'more nodes than maxNodes', bad: { podCidr: '10.244.0.0/22', nodeCidrMaskSize: 24, workerCount: 4 }, property: 'nodeCidrMaskSize', message: /fits 4 nodes, but 5 are planned/, good: { podCidr: '10.244.0.0/22', nodeCidrMaskSize: 24, workerCount: 3 } },
  { rule: 'more zones than subnets fit', bad: { vpcCidr: '10.0.0.0/24', zoneCount: 6, publicSubnetMask: 27, privateSubnetMask: 27 }, property: 'zoneCount', message: /need 384 addresses/, good: { vpcCidr: '10.0.0.0/24', zoneCount: 6, publicSubnetMask: 28, privateSubnetMask: 28 } },
  { rule: 'more zones than automatic sizing fits', bad: { vpcCidr: '10.0.0.0/27', zoneCount: 2 }, property: 'zoneCount', message: /cannot hold/, good: { vpcCidr: '10.0.0.0/26', zoneCount: 2 } },
  { rule: 'VPC prefix larger than /16', bad: { vpcCidr: '10.0.0.0/15' }, property: 'vpcCidr', message: /\/16 to \/28/, good: { vpcCidr: '10.0.0.0/16' } },
  { rule: 'VPC prefix smaller than /28', bad: { vpcCidr: '10.0.0.0/29', zoneCount: 1 }, property: 'vpcCidr', message: /\/16 to \/28/, good: { vpcCidr: '10.0.0.0/26', zoneCount: 1 } },
  { rule: 'subnet mask outside AWS limits', bad: { publicSubnetMask: 29 }, property: 'publicSubnetMask', message: /\/16 to \/28/, good: { publicSubnetMask: 28 } },
  { rule: 'control plane of 2', bad: { controlPlaneCount: 2 }, property: 'controlPlaneCount', message: /1 node, or 3/, good: { controlPlaneCount: 3 } },
  { rule: 'negative workers', bad: { workerCount: -1 }, property: 'workerCount', message: /0 or more/, good: { workerCount: 0 } },
  { rule: 'too many zones', bad: { zoneCount: 7 }, property: 'zoneCount', message: /1 to 6/, good: { zoneCount: 6 } },
  { rule: 'duplicate zone names', bad: { availabilityZones: ['a', 'a'] }, property: 'availabilityZones', message: /more than once/, good: { availabilityZones: ['a', 'b'] } },
  { rule: 'zone count contradicting names', bad: { availabilityZones: ['a', 'b'], zoneCount: 3 }, property: 'zoneCount', message: /differs/, good: { availabilityZones: ['a', 'b'], zoneCount: 2 } },
  { rule: 'existing subnet outside the VPC', bad: { existingSubnets: [{ role: 'public', cidr: '10.1.0.0/24', zone: 'a' }] }, property: 'existingSubnets[0].cidr', message: /outside the VPC/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] } },
  { rule: 'existing subnets overlapping each other', bad: { existingSubnets: [{ role: 'public', cidr: '10.0.0.0/23', zone: 'a' }, { role: 'private', cidr: '10.0.1.0/24', zone: 'a' }] }, property: 'existingSubnets[1].cidr', message: /overlaps existingSubnets\[0\]/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.0.0/24', zone: 'a' }, { role: 'private', cidr: '10.0.1.0/24', zone: 'a' }] } },
  { rule: 'no existing subnets', bad: { existingSubnets: [] }, property: 'existingSubnets', message: /no subnets/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] } },
  { rule: 'existing subnet smaller than /28', bad: { existingSubnets: [{ role: 'public', cidr: '10.0.1.0/29', zone: 'a' }] }, property: 'existingSubnets[0].cidr', message: /a \/29 subnet is outside what AWS accepts \(\/16 to \/28\)/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.1.0/28', zone: 'a' }] } },
  { rule: 'existing /32 subnet', bad: { existingSubnets: [{ role: 'public', cidr: '10.0.0.0/24', zone: 'a' }, { role: 'private', cidr: '10.0.1.7/32', zone: 'a' }] }, property: 'existingSubnets[1].cidr', message: /\/16 to \/28/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.0.0/24', zone: 'a' }, { role: 'private', cidr: '10.0.1.0/28', zone: 'a' }] } },
  { rule: 'existing subnet larger than /16', bad: { vpcCidr: '10.0.0.0/16', existingSubnets: [{ role: 'public', cidr: '10.0.0.0/15', zone: 'a' }] }, property: 'existingSubnets[0].cidr', message: /a \/15 subnet is outside what AWS accepts/, good: { vpcCidr: '10.0.0.0/16', existingSubnets: [{ role: 'public', cidr: '10.0.0.0/16', zone: 'a' }] } },
  { rule: 'availabilityZones beside existing subnets', bad: { availabilityZones: ['a', 'b'], existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] }, property: 'availabilityZones', message: /zones come from the existing subnets/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] } },
  { rule: 'zoneCount beside existing subnets', bad: { zoneCount: 1, existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] }, property: 'zoneCount', message: /zones come from the existing subnets/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] } },
  { rule: 'existing subnet without a zone', bad: { existingSubnets: [{ role: 'public', cidr: '10.0.0.0/24', zone: 'a' }, { role: 'public', cidr: '10.0.1.0/24' }] }, property: 'existingSubnets[1].zone', message: /no availability zone/, good: { existingSubnets: [{ role: 'public', cidr: '10.0.0.0/24', zone: 'a' }, { role: 'public', cidr: '10.0.1.0/24', zone: 'b' }] } },
  { rule: 'existing subnets without a public one', bad: { existingSubnets: [{ role: 'private', cidr: '10.0.1.0/24', zone: 'a' }] }, property: 'existingSubnets', message: /no public subnet/, good: { existingSubnets: [{ role: 'private', cidr: '10.0.1.0/24', zone: 'a' }, { role: 'public', cidr: '10.0.2.0/24', zone: 'a' }] } },
];

describe.each(rules)('rule: $rule', ({ bad, property, message, good }) => {
  test('fails with the property, the value and a fix', () => {
    const problems = problemsOf(bad);
    const hit = problems.find((p) => p.property === property && message.test(p.message));
    expect(hit).toBeDefined();
    expect(hit!.fix.length).toBeGreaterThan(5);
    expect(hit!.value.length).toBeGreaterThan(0);
  });

  test('passes when corrected', () => {
    expect(problemsOf(good)).toEqual([]);
  });
});

describe('existing subnets', () => {
  test('zones are numbered in order of first appearance, whatever the roles', () => {
    const plan = AddressPlan.create({
      existingSubnets: [
        { role: 'private', cidr: '10.0.0.0/24', zone: 'eu-west-1b' },
        { role: 'public', cidr: '10.0.1.0/24', zone: 'eu-west-1a' },
        { role: 'public', cidr: '10.0.2.0/24', zone: 'eu-west-1b' },
        { role: 'private', cidr: '10.0.3.0/24', zone: 'eu-west-1c' },
      ],
    });
    expect(plan.subnets.map((s) => [s.name, s.zone, s.zoneIndex])).toEqual([
      ['private-0', 'eu-west-1b', 0],
      ['public-0', 'eu-west-1a', 1],
      ['public-1', 'eu-west-1b', 0],
      ['private-1', 'eu-west-1c', 2],
    ]);
    expect(plan.zoneCount).toBe(3);
    // Control-plane nodes go in the public subnets only.
    expect(AddressPlan.create({ existingSubnets: plan.subnets.map((s) => ({ role: s.role, cidr: s.cidr, zone: s.zone })), controlPlaneCount: 3 }).controlPlaneNodes.map((n) => [n.subnetName, n.privateIp])).toEqual([
      ['public-0', '10.0.1.10'],
      ['public-1', '10.0.2.10'],
      ['public-0', '10.0.1.11'],
    ]);
  });

  test('a subnet without a zone can no longer share an index with a named zone', () => {
    // Before, the unnamed second subnet got zone index 1, which the named 'b' also had.
    const problems = problemsOf({ existingSubnets: [{ role: 'public', cidr: '10.0.0.0/24', zone: 'a' }, { role: 'public', cidr: '10.0.1.0/24' }, { role: 'private', cidr: '10.0.2.0/24', zone: 'b' }] });
    expect(problems).toEqual([
      { property: 'existingSubnets[1].zone', value: 'undefined', message: 'the public subnet 10.0.1.0/24 has no availability zone, so the plan cannot tell which subnets share a zone', fix: 'give the availability zone name AWS shows for the subnet, for example "eu-west-1a"' },
    ]);
  });

  test('the smallest subnets AWS accepts hold three control-plane nodes', () => {
    const plan = AddressPlan.create({ existingSubnets: [{ role: 'public', cidr: '10.0.0.16/28', zone: 'a' }], controlPlaneCount: 3 });
    expect(plan.controlPlaneNodes.map((n) => n.privateIp)).toEqual(['10.0.0.26', '10.0.0.27', '10.0.0.28']);
  });

  test.each(['10.0.1.0/29', '10.0.1.0/30', '10.0.1.0/31', '10.0.1.0/32'])('a %s public subnet is a named problem, not a RangeError', (cidr) => {
    for (const controlPlaneCount of [1, 3]) {
      const problems = problemsOf({ existingSubnets: [{ role: 'public', cidr, zone: 'a' }], controlPlaneCount });
      expect(problems).toEqual([
        {
          property: 'existingSubnets[0].cidr',
          value: JSON.stringify(cidr),
          message: `a /${cidr.split('/')[1]} subnet is outside what AWS accepts (/16 to /28)`,
          fix: `declare the subnet's CIDR exactly as AWS reports it: AWS subnets are /16 to /28, so a /${cidr.split('/')[1]} cannot be one`,
        },
      ]);
    }
  });

  test('availabilityZones and zoneCount are reported, not silently ignored', () => {
    const problems = problemsOf({ availabilityZones: ['x', 'y'], zoneCount: 2, existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] });
    expect(problems.map((p) => [p.property, p.value])).toEqual([['availabilityZones', '["x", "y"]'], ['zoneCount', '2']]);
    expect(problems[0].message).toBe('is ignored when existingSubnets is given: zones come from the existing subnets');
    expect(problems[0].fix).toBe('remove availabilityZones and give each existing subnet its zone');
    expect(problems[1].fix).toBe('remove zoneCount and give each existing subnet its zone');
  });

  test('a VPC of private subnets only is refused with the reason', () => {
    const problems = problemsOf({ existingSubnets: [{ role: 'private', cidr: '10.0.1.0/24', zone: 'a' }, { role: 'private', cidr: '10.0.2.0/24', zone: 'b' }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ property: 'existingSubnets', value: '["private 10.0.1.0/24", "private 10.0.2.0/24"]' });
    expect(problems[0].message).toMatch(/no public subnet.*Elastic IP.*load balancer.*Terraform/);
    expect(problems[0].fix).toMatch(/role: 'public'/);
  });

  test('overlap messages name the declared index even after a subnet that did not parse', () => {
    const problems = problemsOf({
      podCidr: '10.0.0.0/20',
      existingSubnets: [{ role: 'public', cidr: 'not-a-cidr', zone: 'a' }, { role: 'public', cidr: '10.0.1.0/24', zone: 'a' }],
    });
    expect(problems.map((p) => p.property)).toEqual(['existingSubnets[0].cidr', 'podCidr']);
    expect(problems[1].message).toBe('overlaps vpcCidr (10.0.0.0/16), including existingSubnets[1] 10.0.1.0/24');
  });

  test('every problem with the declared subnets is reported at once', () => {
    const problems = problemsOf({
      zoneCount: 3,
      existingSubnets: [
        { role: 'private', cidr: '10.0.0.0/30', zone: 'a' },
        { role: 'private', cidr: '10.0.1.0/24' },
        { role: 'dmz' as 'public', cidr: '10.0.2.0/24', zone: 'a' },
      ],
    });
    expect(problems.map((p) => p.property)).toEqual(['zoneCount', 'existingSubnets[0].cidr', 'existingSubnets[1].zone', 'existingSubnets[2].role', 'existingSubnets']);
  });

  test('malformed declarations from JavaScript are problems, not TypeErrors', () => {
    expect(problemsOf({ existingSubnets: [null as unknown as DeclaredSubnet, { role: 'public', cidr: '10.0.1.0/24', zone: 'a' }] }).map((p) => p.property)).toEqual(['existingSubnets[0]']);
    expect(problemsOf({ existingSubnets: 'subnet-1' as unknown as DeclaredSubnet[] }).map((p) => p.property)).toEqual(['existingSubnets']);
    expect(problemsOf({ existingSubnets: [{ role: 'public', cidr: 42 as unknown as string, zone: 7 as unknown as string }] }).map((p) => p.property)).toEqual(['existingSubnets[0].cidr', 'existingSubnets[0].zone']);
  });

  test('describe() counts the zones of an existing VPC', () => {
    const plan = AddressPlan.create({ existingSubnets: [{ role: 'public', cidr: '10.0.1.0/24', zone: 'a' }, { role: 'private', cidr: '10.0.2.0/24', zone: 'b' }] });
    expect(plan.describe()).toMatch(/VPC +10\.0\.0\.0\/16 +65,536 +existing, 2 zones/);
  });
});

describe('ClusterConfigError', () => {
  test('reports every problem at once', () => {
    const problems = problemsOf({ vpcCidr: '10.0.0.1/16', podCidr: 'nope', serviceCidr: '10.96.0.0/8', nodeCidrMaskSize: 30, controlPlaneCount: 2 });
    expect(problems.map((p) => p.property).sort()).toEqual(['controlPlaneCount', 'podCidr', 'serviceCidr', 'vpcCidr']);
  });

  test('its message lists the problems with their fixes', () => {
    expect(() => AddressPlan.create({ podCidr: '10.0.0.0/8', controlPlaneCount: 5 })).toThrow(
      /3 problems:\n  1\. controlPlaneCount = 5: .*Fix: set controlPlaneCount to 1 or 3\.\n  2\. podCidr = "10\.0\.0\.0\/8": overlaps vpcCidr .*Fix: .*\n  3\. serviceCidr = "10\.96\.0\.0\/12": overlaps podCidr/,
    );
  });

  test('suggests a free range of the same size, never the taken one', () => {
    const problems = problemsOf({ podCidr: '10.0.0.0/16' });
    expect(problems).toHaveLength(1);
    expect(problems[0].fix).toBe('choose a range clear of it, for example 10.244.0.0/16');
    const service = problemsOf({ podCidr: '10.96.0.0/16' }).find((p) => p.property === 'serviceCidr');
    expect(service!.fix).toMatch(/for example 100\.64\.0\.0\/12$/);
  });
});
