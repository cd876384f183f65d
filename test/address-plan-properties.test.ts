import fc from 'fast-check';
import assert from 'node:assert/strict';
import { AddressPlan, AddressPlanProps, Cidr, ClusterConfigError, DeclaredSubnet, RESERVED_RANGES } from '../lib/plan';

const RUNS = 2000;

/** Every invariant a plan that was accepted must hold, checked without the plan's own helpers. */
function checkInvariants(plan: AddressPlan): void {
  const vpc = Cidr.parse(plan.vpcCidr);
  const pod = Cidr.parse(plan.podCidr);
  const service = Cidr.parse(plan.serviceCidr);
  const subnets = plan.subnets.map((s) => Cidr.parse(s.cidr));

  assert.ok(subnets.length > 0);
  subnets.forEach((s, i) => {
    assert.ok(vpc.contains(s));
    assert.ok(s.prefix >= 16);
    assert.ok(s.prefix <= 28);
    subnets.slice(i + 1).forEach((t) => assert.equal(s.overlaps(t), false));
  });
  for (const range of [vpc, ...subnets]) {
    assert.ok(!range.overlaps(pod));
    assert.ok(!range.overlaps(service));
  }
  assert.ok(!pod.overlaps(service));
  for (const reserved of RESERVED_RANGES.map((r) => Cidr.parse(r.cidr))) {
    for (const range of [vpc, pod, service]) {
      assert.ok(!range.overlaps(reserved));
    }
  }
  assert.ok(service.prefix >= 12);

  // Capacity: the node ranges tile the pod range exactly and cover every planned node.
  assert.equal(plan.maxNodes * 2 ** (32 - plan.nodeCidrMaskSize), pod.size);
  assert.ok(plan.nodeCount <= plan.maxNodes);
  assert.ok(plan.podAddressesPerNode >= 6);
  const first = Cidr.parse(plan.nodePodCidr(0));
  const lastIndex = plan.maxNodes - 1;
  const last = Cidr.parse(plan.nodePodCidr(lastIndex));
  assert.equal(first.network, pod.network);
  assert.equal(last.last, pod.last);
  const sample = Array.from(new Set([0, 1, Math.floor(lastIndex / 2), lastIndex].filter((i) => i <= lastIndex)));
  const ranges = sample.map((i) => Cidr.parse(plan.nodePodCidr(i)));
  ranges.forEach((r, i) => {
    assert.ok(pod.contains(r));
    ranges.slice(i + 1).forEach((t) => assert.equal(r.overlaps(t), false));
  });

  // Control-plane IPs: distinct, inside their subnet, clear of the 4 first and the last address.
  const ips = new Set<string>();
  for (const node of plan.controlPlaneNodes) {
    const subnet = Cidr.parse(plan.subnets.find((s) => s.name === node.subnetName)!.cidr);
    const ip = Cidr.parse(`${node.privateIp}/32`);
    assert.ok(subnet.contains(ip));
    assert.ok(ip.network - subnet.network >= 4);
    assert.ok(ip.network < subnet.last);
    ips.add(node.privateIp);
  }
  assert.equal(ips.size, plan.controlPlaneCount);

  // Zones: one index per zone name, numbered 0, 1, ... in order of first appearance.
  const indexOf = new Map<string, number>();
  for (const s of plan.subnets) {
    assert.ok(Number.isInteger(s.zoneIndex) && s.zoneIndex >= 0 && s.zoneIndex < plan.zoneCount);
    if (s.zone !== undefined) {
      assert.equal(s.zoneIndex, indexOf.get(s.zone) ?? indexOf.size);
      indexOf.set(s.zone, s.zoneIndex);
    }
  }
  assert.equal(new Set(plan.subnets.map((s) => s.zoneIndex)).size, plan.zoneCount);
  // Control-plane nodes sit in public subnets, with their subnet's zone.
  for (const node of plan.controlPlaneNodes) {
    const subnet = plan.subnets.find((s) => s.name === node.subnetName)!;
    assert.equal(subnet.role, 'public');
    assert.equal(node.zoneIndex, subnet.zoneIndex);
  }

  assert.ok(service.containsAddress(Cidr.parse(`${plan.kubernetesServiceIp}/32`).network));
  assert.ok(service.containsAddress(Cidr.parse(`${plan.clusterDnsIp}/32`).network));
}

const cidrIn = (base: string, minPrefix: number, maxPrefix: number) =>
  fc.tuple(fc.integer({ min: minPrefix, max: maxPrefix }), fc.nat()).map(([prefix, n]) => {
    const outer = Cidr.parse(base);
    return outer.subrange(prefix, n % 2 ** (prefix - outer.prefix)).toString();
  });

/** Plans valid by construction: VPC, pods and services drawn from disjoint parts of 10/8. */
const validProps: fc.Arbitrary<AddressPlanProps> = fc
  .record({
    vpcCidr: cidrIn('10.0.0.0/10', 16, 24),
    podCidr: cidrIn('10.64.0.0/10', 12, 22),
    serviceCidr: cidrIn('10.128.0.0/10', 12, 24),
    zoneCount: fc.integer({ min: 1, max: 6 }),
    controlPlaneCount: fc.constantFrom(1, 3),
    nodeExtra: fc.integer({ min: 2, max: 8 }),
  })
  .map(({ nodeExtra, ...rest }) => {
    const podPrefix = Cidr.parse(rest.podCidr).prefix;
    return { ...rest, nodeCidrMaskSize: Math.min(29, podPrefix + nodeExtra), workerCount: 0 };
  })
  .map((props) => {
    // Fill the cluster up to what its pod range allows, to exercise the capacity edge.
    const maxNodes = 2 ** (props.nodeCidrMaskSize - Cidr.parse(props.podCidr).prefix);
    return { ...props, workerCount: Math.max(0, maxNodes - props.controlPlaneCount) };
  });

/** Mostly defaults or sensible values, with a share of absurd ones in every field. */
function field<T>(sensible: fc.Arbitrary<T>, absurd: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: sensible, weight: 3 }, { arbitrary: absurd, weight: 1 });
}

/** Anything at all, from sensible to absurd. */
const anyProps: fc.Arbitrary<AddressPlanProps> = fc
  .record({
    vpcCidr: field(cidrIn('10.0.0.0/8', 16, 24), fc.oneof(cidrIn('0.0.0.0/0', 8, 30), fc.constantFrom('10.0.0.1/16', 'x'))),
    podCidr: field(cidrIn('10.0.0.0/8', 12, 24), cidrIn('0.0.0.0/0', 8, 28)),
    serviceCidr: field(cidrIn('10.0.0.0/8', 12, 24), cidrIn('0.0.0.0/0', 8, 30)),
    zoneCount: field(fc.integer({ min: 1, max: 6 }), fc.integer({ min: -1, max: 9 })),
    publicSubnetMask: field(fc.integer({ min: 18, max: 26 }), fc.integer({ min: 10, max: 32 })),
    privateSubnetMask: field(fc.integer({ min: 18, max: 26 }), fc.integer({ min: 10, max: 32 })),
    nodeCidrMaskSize: field(fc.integer({ min: 20, max: 26 }), fc.integer({ min: 0, max: 33 })),
    controlPlaneCount: field(fc.constantFrom(1, 3), fc.integer({ min: -1, max: 5 })),
    workerCount: field(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -5, max: 100000 })),
  })
  .map((props) => Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as AddressPlanProps);

/**
 * Existing-VPC plans valid by construction: 1 to 6 subnets of one size, at distinct slots of the
 * VPC, each in one of three zones, the first one public.
 */
const validExistingProps: fc.Arbitrary<AddressPlanProps> = fc
  .record({
    vpcCidr: cidrIn('10.0.0.0/10', 16, 24),
    podCidr: cidrIn('10.64.0.0/10', 12, 22),
    serviceCidr: cidrIn('10.128.0.0/10', 12, 24),
    controlPlaneCount: fc.constantFrom(1, 3),
    extraBits: fc.integer({ min: 0, max: 12 }),
    start: fc.nat(),
    stride: fc.nat(),
    subnets: fc.array(fc.record({ isPublic: fc.boolean(), zone: fc.constantFrom('eu-west-1a', 'eu-west-1b', 'eu-west-1c'), withId: fc.boolean() }), { minLength: 1, maxLength: 6 }),
  })
  .map(({ vpcCidr, extraBits, start, stride, subnets, ...rest }) => {
    const vpc = Cidr.parse(vpcCidr);
    const prefix = Math.min(28, vpc.prefix + Math.ceil(Math.log2(subnets.length)) + extraBits);
    const slots = 2 ** (prefix - vpc.prefix);
    // An odd stride visits distinct slots of a power-of-two count.
    const step = 2 * (stride % slots) + 1;
    const existingSubnets: DeclaredSubnet[] = subnets.map((s, i) => ({
      role: i === 0 || s.isPublic ? 'public' : 'private',
      cidr: vpc.subrange(prefix, (start + i * step) % slots).toString(),
      zone: s.zone,
      ...(s.withId ? { subnetId: `subnet-${i.toString(16).padStart(17, '0')}` } : {}),
    }));
    return { ...rest, vpcCidr, nodeCidrMaskSize: Cidr.parse(rest.podCidr).prefix + 4, workerCount: 2, existingSubnets };
  });

/** The ways a declaration goes wrong; each must be refused with a problem on its property. */
const BREAKAGES: Record<string, { property: RegExp; apply: (props: AddressPlanProps, n: number) => AddressPlanProps }> = {
  'a subnet smaller than /28': {
    property: /^existingSubnets\[\d+\]\.cidr$/,
    apply: (props, n) => editSubnet(props, n, (s) => ({ ...s, cidr: Cidr.parse(s.cidr).subrange(29 + (n % 4), 0).toString() })),
  },
  'a subnet without a zone': {
    property: /^existingSubnets\[\d+\]\.zone$/,
    apply: (props, n) => editSubnet(props, n, ({ zone, ...s }) => (n % 2 === 0 ? s : { ...s, zone: '' })),
  },
  'no public subnet': {
    property: /^existingSubnets$/,
    apply: (props) => ({ ...props, existingSubnets: props.existingSubnets!.map((s) => ({ ...s, role: 'private' as const })) }),
  },
  'availabilityZones given too': { property: /^availabilityZones$/, apply: (props) => ({ ...props, availabilityZones: ['eu-west-1a'] }) },
  'zoneCount given too': { property: /^zoneCount$/, apply: (props, n) => ({ ...props, zoneCount: 1 + (n % 6) }) },
  'a subnet that is not a CIDR': { property: /^existingSubnets\[\d+\]\.cidr$/, apply: (props, n) => editSubnet(props, n, (s) => ({ ...s, cidr: s.cidr.replace('/', ' /') })) },
  'a subnet outside the VPC': { property: /^existingSubnets\[\d+\]\.cidr$/, apply: (props, n) => editSubnet(props, n, (s) => ({ ...s, cidr: `192.168.${n % 256}.0/28` })) },
  'a subnet declared twice': {
    property: /^existingSubnets\[\d+\]\.cidr$/,
    apply: (props, n) => ({ ...props, existingSubnets: [...props.existingSubnets!, props.existingSubnets![n % props.existingSubnets!.length]] }),
  },
};

function editSubnet(props: AddressPlanProps, n: number, edit: (s: DeclaredSubnet) => DeclaredSubnet): AddressPlanProps {
  const subnets = props.existingSubnets!;
  const at = n % subnets.length;
  return { ...props, existingSubnets: subnets.map((s, i) => (i === at ? edit(s) : s)) };
}

describe('AddressPlan properties', () => {
  test(`${RUNS} random valid plans are accepted and hold every invariant`, () => {
    fc.assert(
      fc.property(validProps, (props) => {
        checkInvariants(AddressPlan.create(props));
      }),
      { numRuns: RUNS },
    );
  });

  test(`${RUNS} arbitrary inputs are either refused with named problems or hold every invariant`, () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyProps, (props) => {
        let plan: AddressPlan;
        try {
          plan = AddressPlan.create(props);
        } catch (e) {
          expect(e).toBeInstanceOf(ClusterConfigError);
          const problems = (e as ClusterConfigError).problems;
          expect(problems.length).toBeGreaterThan(0);
          for (const p of problems) {
            expect(p.property).toMatch(/^[a-zA-Z]+(\[\d+\])?(\.\w+)?$/);
            expect(p.fix).not.toBe('');
          }
          return;
        }
        accepted++;
        checkInvariants(plan);
      }),
      { numRuns: RUNS },
    );
    // The generator must reach both outcomes, or the property proves little.
    expect(accepted).toBeGreaterThan(RUNS / 20);
    expect(accepted).toBeLessThan(RUNS - RUNS / 20);
  });

  test(`${RUNS} random existing-VPC plans are accepted and hold every invariant`, () => {
    fc.assert(
      fc.property(validExistingProps, (props) => {
        const plan = AddressPlan.create(props);
        checkInvariants(plan);
        assert.equal(plan.usesExistingSubnets, true);
        assert.deepEqual(plan.subnets.map((s) => s.cidr), props.existingSubnets!.map((s) => s.cidr));
        assert.equal(plan.zoneCount, new Set(props.existingSubnets!.map((s) => s.zone)).size);
      }),
      { numRuns: RUNS },
    );
  });

  test.each(Object.keys(BREAKAGES))('existing subnets with %s are refused with a named problem, never a crash', (breakage) => {
    const { property, apply } = BREAKAGES[breakage];
    fc.assert(
      fc.property(validExistingProps, fc.nat(), (props, n) => {
        let error: unknown;
        try {
          AddressPlan.create(apply(props, n));
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ClusterConfigError);
        const problems = (error as ClusterConfigError).problems;
        expect(problems.some((p) => property.test(p.property))).toBe(true);
        for (const p of problems) {
          expect(p.property).toMatch(/^[a-zA-Z]+(\[\d+\])?(\.\w+)?$/);
          expect(p.fix).not.toBe('');
        }
      }),
      { numRuns: RUNS / 10 },
    );
  });

  test(`${RUNS} arbitrary existing subnets are either refused with named problems or hold every invariant`, () => {
    const declared = fc.record({
      role: fc.oneof({ arbitrary: fc.constantFrom<DeclaredSubnet['role']>('public', 'private'), weight: 9 }, { arbitrary: fc.constant('dmz' as DeclaredSubnet['role']), weight: 1 }),
      cidr: fc.oneof({ arbitrary: cidrIn('10.0.0.0/16', 20, 28), weight: 8 }, { arbitrary: cidrIn('10.0.0.0/15', 15, 32), weight: 2 }, { arbitrary: fc.constantFrom('x', '10.0.0.1/24'), weight: 1 }),
      zone: fc.oneof({ arbitrary: fc.constantFrom('a', 'b', 'c'), weight: 9 }, { arbitrary: fc.constantFrom('', undefined), weight: 1 }),
    });
    const vpc = fc.oneof({ arbitrary: fc.constant('10.0.0.0/16'), weight: 4 }, { arbitrary: cidrIn('10.0.0.0/14', 14, 30), weight: 1 });
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(declared, { maxLength: 4 }), vpc, fc.constantFrom(1, 3), (existingSubnets, vpcCidr, controlPlaneCount) => {
        let plan: AddressPlan;
        try {
          plan = AddressPlan.create({ vpcCidr, existingSubnets, controlPlaneCount });
        } catch (e) {
          expect(e).toBeInstanceOf(ClusterConfigError);
          for (const p of (e as ClusterConfigError).problems) {
            expect(p.property).toMatch(/^[a-zA-Z]+(\[\d+\])?(\.\w+)?$/);
            expect(p.fix).not.toBe('');
          }
          return;
        }
        accepted++;
        checkInvariants(plan);
      }),
      { numRuns: RUNS },
    );
    // Both outcomes must be reached (about one in seven is accepted).
    expect(accepted).toBeGreaterThan(RUNS / 50);
    expect(accepted).toBeLessThan(RUNS / 2);
  });

  test('the plan is a pure function of its input', () => {
    fc.assert(
      fc.property(validProps, (props) => {
        expect(JSON.stringify(AddressPlan.create(props).toJSON())).toBe(JSON.stringify(AddressPlan.create(props).toJSON()));
      }),
      { numRuns: 200 },
    );
  });
});
