import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PreloadedRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A Python program run many times over, each run its own process forked from one that imported
 * `modules` already (see preloaded_python.py): the run's arguments, environment, working folder,
 * exit status, stdout and stderr are its own, only the interpreter's start and those imports are
 * shared.
 */
export class PreloadedPython {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly dir = mkdtempSync(join(tmpdir(), 'preloaded-python-'));
  private readonly waiting = new Map<number, { resolve: (status: number | null) => void; reject: (e: Error) => void }>();
  private next = 0;
  private received = '';

  constructor(python: string, program: string, modules: readonly string[], env: Record<string, string>) {
    this.child = spawn(python, [join(__dirname, 'preloaded_python.py'), program, ...modules], { env });
    this.child.stderr.on('data', (d) => process.stderr.write(d));
    this.child.stdout.on('data', (d: Buffer) => {
      const lines = (this.received + d.toString('utf8')).split('\n');
      this.received = lines.pop()!;
      for (const line of lines) {
        const { id, status } = JSON.parse(line) as { id: number; status: number | null };
        this.waiting.get(id)!.resolve(status);
        this.waiting.delete(id);
      }
    });
    // A run never answered would otherwise wait for the test's timeout.
    this.child.on('close', (code) => {
      for (const { reject } of this.waiting.values()) {
        reject(new Error(`${python} ${program} ended (exit ${code}) with runs unanswered`));
      }
    });
  }

  public run(args: readonly string[], env: Record<string, string>, cwd: string): Promise<PreloadedRun> {
    const id = this.next++;
    const stdout = join(this.dir, `${id}.out`);
    const stderr = join(this.dir, `${id}.err`);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {
        resolve: (status) => resolve({ status, stdout: readFileSync(stdout, 'utf8'), stderr: readFileSync(stderr, 'utf8') }),
        reject,
      });
      this.child.stdin.write(`${JSON.stringify({ id, args, env, cwd, stdout, stderr })}\n`);
    });
  }

  public async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.on('close', resolve));
    this.child.stdin.end();
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
