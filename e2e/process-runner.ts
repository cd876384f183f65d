import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Clock, Command, CommandResult, CommandRunner, NOT_FOUND_EXIT, TIMED_OUT_EXIT, Workspace } from './command';

/** Output kept per stream: a deploy's error lines are at its end. */
const KEPT_BYTES = 256 * 1024;
/** After an interrupt, how long a program gets to stop by itself (Terraform writes its state). */
const GRACE_MS = 90_000;

/**
 * Runs programs for real. Each runs in a process group of its own, so that a Ctrl-C reaches the
 * runner alone: the runner passes it on (`interruptCurrent`), and Terraform stops cleanly.
 */
export class ProcessRunner implements CommandRunner {
  private readonly active = new Set<number>();

  /** `graceMs`: how long a program that ran out of time gets to stop after the interrupt. */
  constructor(
    private readonly cwd: string,
    private readonly graceMs = GRACE_MS,
  ) {}

  public run(command: Command): Promise<CommandResult> {
    return new Promise((resolve) => {
      const child = spawn(command.program, [...command.args], {
        cwd: this.cwd,
        env: { ...process.env, ...command.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const out = new Tail();
      const err = new Tail();
      let timedOut = false;
      const stop = (signal: NodeJS.Signals) => {
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, signal);
          } catch {
            // Already gone.
          }
        }
      };
      const timers: NodeJS.Timeout[] = [];
      timers.push(
        setTimeout(() => {
          timedOut = true;
          stop('SIGINT');
          timers.push(setTimeout(() => stop('SIGTERM'), this.graceMs), setTimeout(() => stop('SIGKILL'), this.graceMs * 2));
        }, command.timeoutMs),
      );
      child.stdout.on('data', (chunk: Buffer) => {
        out.add(chunk);
        if (command.echo) process.stdout.write(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err.add(chunk);
        if (command.echo) process.stderr.write(chunk);
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(command.input ?? '');
      if (child.pid !== undefined) this.active.add(child.pid);
      const finish = (exitCode: number, extra = '') => {
        timers.forEach(clearTimeout);
        if (child.pid !== undefined) this.active.delete(child.pid);
        resolve({ exitCode: timedOut ? TIMED_OUT_EXIT : exitCode, stdout: out.text(), stderr: err.text() + extra });
      };
      child.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ENOENT' ? NOT_FOUND_EXIT : 1, `${command.program}: ${e.message}`));
      child.on('close', (code, signal) => finish(code ?? (signal ? 128 : 1)));
    });
  }

  /** Passes an interrupt on to the programs running now. */
  public interruptCurrent(): void {
    for (const pid of this.active) {
      try {
        process.kill(-pid, 'SIGINT');
      } catch {
        // Already gone.
      }
    }
  }
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  public add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > KEPT_BYTES && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  public text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The real clock; `wake()` ends every sleep at once, so that an interrupt is seen without delay. */
export class SystemClock implements Clock {
  private readonly sleepers = new Set<() => void>();

  public now(): number {
    return Date.now();
  }

  public sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  public wake(): void {
    for (const done of [...this.sleepers]) done();
  }
}

/** Files relative to the repository; secrets readable by their owner only. */
export class DiskWorkspace implements Workspace {
  constructor(private readonly root: string) {}

  private path(file: string): string {
    return isAbsolute(file) ? file : join(this.root, file);
  }

  public readText(file: string): string | undefined {
    try {
      return readFileSync(this.path(file), 'utf8');
    } catch {
      return undefined;
    }
  }

  public writeText(file: string, text: string, options: { readonly secret?: boolean } = {}): void {
    mkdirSync(dirname(this.path(file)), { recursive: true });
    writeFileSync(this.path(file), text, { mode: options.secret ? 0o600 : 0o644 });
  }

  public makeTempDir(): string {
    // mkdtemp makes it 0700.
    return mkdtempSync(join(tmpdir(), 'kubeadm-e2e-'));
  }

  public remove(file: string): void {
    rmSync(this.path(file), { recursive: true, force: true });
  }
}
