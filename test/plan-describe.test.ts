import fc from 'fast-check';
import { withThousandsSeparators } from '../lib/plan/describe';

describe('address counts in the plan description', () => {
  test('are grouped as toLocaleString en-US groups them', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 2 ** 32 }), fc.nat()), (count) => {
        expect(withThousandsSeparators(count)).toBe(count.toLocaleString('en-US'));
      }),
      { numRuns: 2000 },
    );
    expect(withThousandsSeparators(2 ** 40)).toBe((2 ** 40).toLocaleString('en-US'));
  });
});
