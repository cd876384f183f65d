/**
 * What the runner asks of the world, as interfaces: a command runner, a clock and a workspace. The
 * real ones (`process-runner.ts`) start processes and touch the disk; the tests put stand-ins in
 * their place that play `cdktf`, `aws` and `kubectl`, so every phase runs offline.
 */

/** One program to run, with its arguments: never through a shell. */
export interface Command {
  readonly program: string;
  readonly args: readonly string[];
  /** Added to the runner's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Given to the program on standard input. */
  readonly input?: string;
  /** Ended (interrupt, then kill) when it runs longer. */
  readonly timeoutMs: number;
  /** Show its output as it runs (the deploys), besides keeping it. */
  readonly echo?: boolean;
}

export interface CommandResult {
  /** The exit code; 127 when the program is not on the PATH, 124 when it ran out of time. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandRunner {
  run(command: Command): Promise<CommandResult>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The files the runner reads and writes: the synthesised stack, the state, kubeconfigs, the report. */
export interface Workspace {
  /** The file's text, or undefined when there is none. */
  readText(path: string): string | undefined;
  /** Writes a file whole; `secret` files are readable by their owner only. */
  writeText(path: string, text: string, options?: { readonly secret?: boolean }): void;
  /** A new private folder for this run's kubeconfigs. */
  makeTempDir(): string;
  remove(path: string): void;
}

/** Exit codes the runners use for a program that did not run to its end. */
export const NOT_FOUND_EXIT = 127;
export const TIMED_OUT_EXIT = 124;

/** The command as a person would type it, for logs and messages. */
export function describeCommand(command: Pick<Command, 'program' | 'args'>): string {
  return [command.program, ...command.args].map(quote).join(' ');
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
