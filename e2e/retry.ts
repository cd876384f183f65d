import { Clock, Command, CommandResult, CommandRunner, describeCommand, NOT_FOUND_EXIT, TIMED_OUT_EXIT } from './command';

/**
 * Bounded retries and waits. Every remote step is tried a bounded number of times, and only
 * errors that say the service was briefly unable (throttling, a dropped connection, a server
 * error) are tried again; every wait ends at its deadline with what it last saw and what to check.
 */

/** Output that says the service or the network failed for a moment, not the request. */
export const TRANSIENT_ERROR =
  /throttl|rate exceeded|requestlimitexceeded|toomanyrequests|slow down|serviceunavailable|service unavailable|internalerror|internalfailure|internal server error|\b50[234]\b|could not connect to the endpoint|connection (?:was )?(?:reset|refused|closed)|broken pipe|i\/o timeout|tls handshake timeout|read timeout|timed out|unexpected eof|\beof\b|unable to connect to the server|the server is currently unable to handle the request|etcdserver: (?:leader changed|request timed out)|no such host|temporary failure in name resolution/i;

export function isTransient(result: CommandResult): boolean {
  if (result.exitCode === NOT_FOUND_EXIT) {
    return false;
  }
  return result.exitCode === TIMED_OUT_EXIT || TRANSIENT_ERROR.test(`${result.stderr}\n${result.stdout}`);
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** Wait before the second try; doubled before each later one. */
  readonly delayMs: number;
  /** Which failures are tried again. @default isTransient */
  readonly retryable?: (result: CommandResult) => boolean;
}

/** A quick AWS or Kubernetes API call: 5 tries over about 2.5 minutes. */
export const API_CALL: RetryPolicy = { attempts: 5, delayMs: 10_000 };

/** A remote step that failed for good; `check` says where to look. */
export class StepError extends Error {
  constructor(
    message: string,
    public readonly check: string,
    public readonly result?: CommandResult,
    public readonly attempts = 1,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

/** A wait that reached its deadline. */
export class WaitTimeout extends StepError {
  constructor(message: string, check: string) {
    super(message, check);
    this.name = 'WaitTimeout';
  }
}

/** The run was interrupted (Ctrl-C). */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export interface RetryContext {
  readonly runner: CommandRunner;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly interrupted: () => boolean;
}

/** The most telling line of a failed program: its last error line, else its last output line. */
export function failureLine(result: CommandResult): string {
  if (result.exitCode === NOT_FOUND_EXIT) {
    return 'not found on the PATH';
  }
  if (result.exitCode === TIMED_OUT_EXIT) {
    return 'ran out of time and was stopped';
  }
  const last = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '').pop();
  return last(result.stderr) ?? last(result.stdout) ?? `exit code ${result.exitCode}`;
}

/**
 * Runs a command until it succeeds, at most `policy.attempts` times, retrying only failures the
 * policy accepts. Returns the successful result, or throws a StepError that names the command,
 * its last error line and `check`.
 */
export async function runWithRetry(ctx: RetryContext, command: Command, policy: RetryPolicy, what: string, check: string): Promise<CommandResult> {
  const retryable = policy.retryable ?? isTransient;
  let delay = policy.delayMs;
  for (let attempt = 1; ; attempt++) {
    if (ctx.interrupted()) {
      throw new Interrupted();
    }
    const result = await ctx.runner.run(command);
    if (result.exitCode === 0) {
      return result;
    }
    const line = failureLine(result);
    if (attempt >= policy.attempts || !retryable(result)) {
      const tries = attempt > 1 ? ` after ${attempt} tries` : '';
      throw new StepError(`${what} failed${tries}: ${line} (${describeCommand(command)})`, check, result, attempt);
    }
    ctx.log(`  ${what}: try ${attempt} of ${policy.attempts} failed (${line}); again in ${Math.round(delay / 1000)} s`);
    await ctx.clock.sleep(delay);
    delay *= 2;
  }
}

export interface WaitOptions {
  /** What is waited for, as the message names it: "the API server to answer /readyz". */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Where to look when the wait gives up. */
  readonly check: string;
  /**
   * One look: `done` ends the wait, `seen` says what was seen (kept for the message). A probe
   * throws to end the wait at once (a failure that waiting cannot mend).
   */
  readonly probe: () => Promise<{ readonly done: boolean; readonly seen: string }>;
}

/** Polls until the probe is done or the deadline passes; returns how long it took in ms. */
export async function waitFor(ctx: RetryContext, options: WaitOptions): Promise<number> {
  const start = ctx.clock.now();
  let seen = 'nothing yet';
  let lastLogged = '';
  for (;;) {
    if (ctx.interrupted()) {
      throw new Interrupted();
    }
    const look = await options.probe();
    seen = look.seen;
    const elapsed = ctx.clock.now() - start;
    if (look.done) {
      return elapsed;
    }
    if (seen !== lastLogged) {
      ctx.log(`  waiting for ${options.what} (${formatDuration(elapsed)} of ${formatDuration(options.timeoutMs)}): ${seen}`);
      lastLogged = seen;
    }
    if (elapsed + options.intervalMs > options.timeoutMs) {
      throw new WaitTimeout(`gave up after ${formatDuration(elapsed)} waiting for ${options.what}; last seen: ${seen}`, options.check);
    }
    await ctx.clock.sleep(options.intervalMs);
  }
}

/** `1 h 05 min`, `12 min 03 s`, `45 s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) {
    return `${h} h ${String(m).padStart(2, '0')} min`;
  }
  if (m > 0) {
    return `${m} min ${String(s).padStart(2, '0')} s`;
  }
  return `${s} s`;
}
