import { checkPrerequisites } from '../../lib/rehearsal/prerequisites';
import { MissingPrerequisitesError } from '../../lib/rehearsal/errors';

/**
 * Whether this machine can run the rehearsal (root, Linux, ip, nft, an ICMP prober). Same policy
 * as the validators: in CI a missing prerequisite fails; locally the test is skipped with the reason.
 */
export function canRehearse(): boolean {
  try {
    checkPrerequisites(undefined, { ipip: true });
    return true;
  } catch (e) {
    if (!(e instanceof MissingPrerequisitesError)) {
      throw e;
    }
    if (process.env.CI) {
      throw new Error(`rehearsal prerequisites missing in CI: ${e.message}`);
    }
    // eslint-disable-next-line no-console
    console.warn(`SKIPPED rehearsal integration tests: ${e.message}`);
    return false;
  }
}
