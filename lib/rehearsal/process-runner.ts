import { ChildProcess, spawn } from 'node:child_process';

export interface RunOptions {
  /** Standard input. @default - none */
  readonly input?: string;
  /**
   * Kill the command (SIGKILL) after this long: no command of the rehearsal may hang it.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /** Kills the command when aborted (Ctrl-C). @default - not abortable */
  readonly signal?: AbortSignal;
}

export interface RunResult {
  /** Exit code; null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs a program (never through a shell) with a hard timeout. Never rejects: failures are in the result. */
export function runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr || e.message, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** `ip -n x link add ...` as one line, for messages. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * Stops a probe or tunnel process, which exits when its standard input closes: closes it, and
 * kills the process if it has not gone within a second, so a stuck one never holds up the cleanup.
 */
export function stopByClosingInput(child: ChildProcess, exited: boolean): Promise<void> {
  if (exited) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 1000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
