// The rehearsal's public API. Everything else in this directory is internal: import it from its
// own file (as bin/cli.ts and the tests do), not from here.
export { rehearse } from './rehearse';
export type { ClusterRehearsal, RehearsalResult, RehearseOptions } from './rehearse';
export { cleanupRehearsals } from './cleanup';
export type { CleanupRehearsalsOptions, CleanupRehearsalsResult } from './cleanup';
export { EXIT_CODES, InterruptedError, MissingPrerequisitesError, RehearsalError, RehearsalInputError, SetupError } from './errors';
