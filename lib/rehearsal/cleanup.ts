import { cleanupLeftovers } from './leftovers';
import { checkPrerequisites, Environment } from './prerequisites';

export interface CleanupRehearsalsOptions {
  /**
   * Also remove namespaces of rehearsals whose process still runs.
   * @default false
   */
  readonly force?: boolean;
  /**
   * The machine, for the prerequisite check.
   * @default - this process's
   */
  readonly environment?: Environment;
}

export interface CleanupRehearsalsResult {
  readonly removed: readonly string[];
  /** Namespaces of rehearsals still running, left alone. */
  readonly kept: readonly string[];
  readonly problems: readonly string[];
}

/**
 * Removes what killed rehearsals left behind: every network namespace named with the rehearsal's
 * prefix whose process is gone, with the probe and tunnel processes in it, its links, tunnels and
 * nftables tables.
 */
export async function cleanupRehearsals(options: CleanupRehearsalsOptions = {}): Promise<CleanupRehearsalsResult> {
  const tools = checkPrerequisites(options.environment);
  return cleanupLeftovers(tools.ip, options.force ?? false);
}
