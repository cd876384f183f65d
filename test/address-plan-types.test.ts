import fc from 'fast-check';
import { ADDRESS_PLAN_PROP_TYPES, AddressPlan, AddressPlanProps } from '../lib/plan/address-plan';
import { ClusterConfigError } from '../lib/plan/problems';
import { problemsThrownBy } from './support/problems';

const KEYS = Object.keys(ADDRESS_PLAN_PROP_TYPES) as Array<keyof AddressPlanProps>;

/** Builds a plan; the only error it may throw is a ClusterConfigError. */
function createOrProblems(props: unknown): void {
  try {
    AddressPlan.create(props as AddressPlanProps);
  } catch (e) {
    if (!(e instanceof ClusterConfigError)) {
      throw new Error(`AddressPlan.create(${JSON.stringify(props)}) threw ${String(e)}`);
    }
  }
}

describe('AddressPlan.create with values of the wrong type', () => {
  test('availabilityZones: 3 is reported with the property, the value and the expected type', () => {
    const problems = problemsThrownBy(() => AddressPlan.create({ availabilityZones: 3 } as unknown as AddressPlanProps));
    expect(problems).toEqual([
      expect.objectContaining({ property: 'availabilityZones', value: '3', message: 'is a number, but must be a list of strings' }),
    ]);
    expect(problems[0].fix).toContain("['eu-west-1a', 'eu-west-1b']");
  });

  test('every wrong type is reported at once, and other problems with them', () => {
    const problems = problemsThrownBy(() => AddressPlan.create({ vpcCidr: 16, zoneCount: '2', nodeCidrMaskSize: null, serviceCidr: '10.0.0.0/8' } as unknown as AddressPlanProps));
    expect(problems.map((p) => [p.property, p.value, p.message])).toEqual([
      ['vpcCidr', '16', 'is a number, but must be a string'],
      ['zoneCount', '"2"', 'is a string, but must be a number'],
      ['nodeCidrMaskSize', 'null', 'is null, but must be a number'],
      ['serviceCidr', '"10.0.0.0/8"', 'the service range is larger than /12, which kube-apiserver refuses'],
      // Checked against the pod range, but not against a VPC range nobody gave (the default's 10.0.0.0/16).
      ['serviceCidr', '"10.0.0.0/8"', 'overlaps podCidr (10.244.0.0/16)'],
    ]);
  });

  test('a declared subnet with a number for its CIDR or id says so', () => {
    const problems = problemsThrownBy(() => AddressPlan.create({ existingSubnets: [{ role: 'public', cidr: 10, zone: 'eu-west-1a', subnetId: 7 }] } as unknown as AddressPlanProps));
    expect(problems.map((p) => [p.property, p.message])).toEqual(expect.arrayContaining([
      ['existingSubnets[0].cidr', 'is a number, but must be a string'],
      ['existingSubnets[0].subnetId', 'is a number, but must be a string'],
    ]));
  });

  test.each(KEYS)('%s: any JSON value of another type gives a ClusterConfigError naming it', (key) => {
    const expected = ADDRESS_PLAN_PROP_TYPES[key];
    fc.assert(
      fc.property(fc.jsonValue().filter((v) => !expected.check(v)), (value) => {
        const problems = problemsThrownBy(() => AddressPlan.create({ [key]: value } as AddressPlanProps));
        expect(problems).toContainEqual(expect.objectContaining({ property: key, message: expect.stringContaining(`must be ${expected.name}`) }));
      }),
      { numRuns: 100 },
    );
  });

  test.each(KEYS)('%s: any value at all throws nothing but a ClusterConfigError', (key) => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (value) => createOrProblems({ [key]: value })), { numRuns: 200 });
  });

  test('any combination of JSON values, and any props value, throws nothing but a ClusterConfigError', () => {
    const props = fc.record(Object.fromEntries(KEYS.map((k) => [k, fc.jsonValue()])) as Record<keyof AddressPlanProps, fc.Arbitrary<unknown>>, { requiredKeys: [] });
    fc.assert(fc.property(props, createOrProblems), { numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue(), createOrProblems), { numRuns: 200 });
  });

  test('existing subnets of arbitrary shape throw nothing but a ClusterConfigError', () => {
    const subnet = fc.oneof(fc.jsonValue(), fc.record({ role: fc.jsonValue(), cidr: fc.jsonValue(), zone: fc.jsonValue(), subnetId: fc.jsonValue() }, { requiredKeys: [] }));
    fc.assert(fc.property(fc.array(subnet, { maxLength: 4 }), fc.jsonValue(), (existingSubnets, vpcCidr) => createOrProblems({ existingSubnets, vpcCidr })), { numRuns: 300 });
  });
});
