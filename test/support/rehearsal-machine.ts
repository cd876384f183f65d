import { spawnSync } from 'node:child_process';
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

/**
 * Whether this process can start programs as the unprivileged `user`, and that user can read every
 * one of `paths` (the program, its loader, the files it opens). A checkout under a directory the
 * user cannot enter (a 0700 home, say) fails the second. Same policy as `canRehearse`.
 */
export function canRunAsUser(what: string, user: { readonly uid: number; readonly gid: number }, paths: readonly string[]): boolean {
  if (!runsAsRoot(what)) {
    return false;
  }
  const probe = spawnSync(
    process.execPath,
    ['-e', 'const fs = require("node:fs"); for (const p of JSON.parse(process.argv[1])) { try { fs.accessSync(p, fs.constants.R_OK); } catch (e) { console.log(`${p}: ${e.code}`); } }', JSON.stringify(paths)],
    { uid: user.uid, gid: user.gid, cwd: '/', encoding: 'utf8', timeout: 10_000 },
  );
  const unreadable = `${probe.stdout ?? ''}`.trim();
  if (probe.status !== 0 || unreadable !== '') {
    return skipOrFail(what, `user ${user.uid} cannot read what it must run (${unreadable || probe.stderr || `probe exited ${probe.status}`}); a directory above the checkout is closed to it, so move the checkout somewhere that user can read`);
  }
  return true;
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
