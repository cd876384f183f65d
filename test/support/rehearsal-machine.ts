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
    return skipOrFail('rehearsal integration tests', e.message);
  }
}

/**
 * Whether this process runs as root, which a test needs to start the command line as another user.
 * Same policy as `canRehearse`.
 */
export function runsAsRoot(what: string): boolean {
  const uid = process.getuid?.();
  if (uid === 0) {
    return true;
  }
  return skipOrFail(what, `it needs root, to run the command line as another user (running as uid ${uid ?? 'unknown'}; try sudo)`);
}

/** In CI a missing prerequisite fails the test file; locally it says why the tests are skipped. */
function skipOrFail(what: string, why: string): false {
  if (process.env.CI) {
    throw new Error(`${what} cannot run in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED ${what}: ${why}`);
  return false;
}
