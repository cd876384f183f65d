import type { CleanupRehearsalsOptions, CleanupRehearsalsResult } from './cleanup';
import type { RehearsalResult, RehearseOptions } from './rehearse';

// The rehearsal's public API. Everything else in this directory is internal: import it from its
// own file (as the tests do), not from here. The package's entry point re-exports this, and a
// synth never rehearses: the rehearsal's modules load on the first call, so that importing the
// constructs does not pay for them.

/* eslint-disable @typescript-eslint/no-require-imports */

/** Rehearses the synthesised stack's pod network offline; see `rehearse.ts`. */
export function rehearse(options: RehearseOptions = {}): Promise<RehearsalResult> {
  return (require('./rehearse') as typeof import('./rehearse')).rehearse(options);
}

/** Removes what killed rehearsals left behind; see `cleanup.ts`. */
export function cleanupRehearsals(options: CleanupRehearsalsOptions = {}): Promise<CleanupRehearsalsResult> {
  return (require('./cleanup') as typeof import('./cleanup')).cleanupRehearsals(options);
}

export type { ClusterRehearsal, RehearsalResult, RehearseOptions } from './rehearse';
export type { CleanupRehearsalsOptions, CleanupRehearsalsResult } from './cleanup';
export { EXIT_CODES, InterruptedError, MissingPrerequisitesError, RehearsalError, RehearsalInputError, SetupError } from './errors';
