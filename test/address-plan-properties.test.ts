import fc from 'fast-check';
import assert from 'node:assert/strict';
import { AddressPlan, AddressPlanProps, Cidr, ClusterConfigError, RESERVED_RANGES } from '../lib/plan';

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

  test('the plan is a pure function of its input', () => {
    fc.assert(
      fc.property(validProps, (props) => {
        expect(JSON.stringify(AddressPlan.create(props).toJSON())).toBe(JSON.stringify(AddressPlan.create(props).toJSON()));
      }),
      { numRuns: 200 },
    );
  });
});
