/**
 * Exit codes of the rehearsal, distinct so that scripts and CI can tell a broken network from a
 * broken invocation or a machine that cannot run it.
 */
export const EXIT_CODES = {
  /** Every check passed. */
  passed: 0,
  /** At least one check failed: the network as synthesised would not work. */
  failed: 1,
  /** The input (arguments, stack directory, description) is unusable. */
  badInput: 2,
  /** The machine lacks what the rehearsal needs (root, Linux, `ip`, `nft`, an ICMP prober). */
  missingPrerequisites: 3,
  /** Building the emulated network failed (a kernel feature missing, a command timing out). */
  setupFailed: 4,
  /** Interrupted by SIGINT (128 + 2), after cleaning up. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15), after cleaning up. */
  terminated: 143,
} as const;

/** Base of every error the rehearsal reports to its user; `exitCode` says what kind it is. */
export class RehearsalError extends Error {
  constructor(message: string, public readonly exitCode: number) {
    super(message);
    this.name = 'RehearsalError';
  }
}

/** The stack, the description or the arguments cannot be used. */
export class RehearsalInputError extends RehearsalError {
  constructor(message: string) {
    super(message, EXIT_CODES.badInput);
    this.name = 'RehearsalInputError';
  }
}

/** The machine cannot run the rehearsal; `missing` lists each thing to fix. */
export class MissingPrerequisitesError extends RehearsalError {
  constructor(public readonly missing: readonly string[]) {
    super(`the rehearsal cannot run here; it needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`, EXIT_CODES.missingPrerequisites);
    this.name = 'MissingPrerequisitesError';
  }
}

/** A command that builds the emulated network failed. */
export class SetupError extends RehearsalError {
  constructor(message: string) {
    super(message, EXIT_CODES.setupFailed);
    this.name = 'SetupError';
  }
}

/** The run was stopped by a signal; cleanup has run when this reaches the caller. */
export class InterruptedError extends RehearsalError {
  constructor(public readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`, signal === 'SIGINT' ? EXIT_CODES.interrupted : EXIT_CODES.terminated);
    this.name = 'InterruptedError';
  }
}
