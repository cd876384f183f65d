import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One call a program made to a stand-in executable. */
export interface StandInCall {
  readonly command: string;
  readonly args: readonly string[];
}

export interface SandboxRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, as a node's console shows them. */
  readonly output: string;
}

/**
 * A scratch machine for node programs: a folder that stands in for the node's file system, and a
 * `bin` folder of stand-in executables (`kubeadm`, `kubectl`, `aws`, `systemctl`, `curl`, ...) put
 * first on PATH. Every stand-in records its arguments, then runs the bash behaviour the test gave
 * it, with `$STATE` pointing at a folder where behaviours keep what they remember between calls.
 *
 * Programs are rendered with their paths inside `root` (see `path()`), so they never touch the real
 * machine.
 */
export class NodeSandbox {
  public readonly dir: string;
  /** Stands in for `/` of the node. */
  public readonly root: string;
  public readonly bin: string;
  public readonly state: string;
  private readonly callLog: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'node-sandbox-'));
    this.root = join(this.dir, 'root');
    this.bin = join(this.dir, 'bin');
    this.state = join(this.dir, 'state');
    this.callLog = join(this.dir, 'calls.log');
    for (const d of [this.root, this.bin, this.state]) {
      mkdirSync(d, { recursive: true });
    }
    writeFileSync(this.callLog, '');
    // Waiting is the programs' business, not the tests': sleep returns at once but is recorded.
    this.standIn('sleep', 'exit 0');
  }

  /** The sandbox's counterpart of an absolute node path. */
  public path(nodePath: string): string {
    return join(this.root, nodePath);
  }

  /** Writes a file at a node path (inside the sandbox). */
  public writeFile(nodePath: string, content: string, mode = 0o644): void {
    const target = this.path(nodePath);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode });
  }

  public readFile(nodePath: string): string {
    return readFileSync(this.path(nodePath), 'utf8');
  }

  public exists(nodePath: string): boolean {
    return existsSync(this.path(nodePath));
  }

  /**
   * Installs a stand-in executable whose behaviour is `body` (bash; `$@` are the arguments,
   * `$STATE` the state folder, `$ROOT` the node root). The call is recorded before `body` runs.
   */
  public standIn(command: string, body: string): void {
    const file = join(this.bin, command);
    const script = [
      // bash itself, not through env: stand-ins run hundreds of times a test file.
      '#!/bin/bash',
      'set -u',
      `STATE=${JSON.stringify(this.state)}`,
      `ROOT=${JSON.stringify(this.root)}`,
      // One record per call: the command, its arguments and an ASCII record separator, each ended
      // by NUL. Programs may run in parallel, so a record is appended in one write(2), which the
      // kernel never interleaves with another append. bash's printf writes once when its output
      // is short and has no newline (the usual call, and no process started); any other record is
      // composed in a file of its own first and appended by cat, which writes it once.
      'record="$*"',
      'if [ "${#record}" -lt 700 ] && [[ $record != *$\'\\n\'* ]]; then',
      `  printf '%s\\0' ${JSON.stringify(command)} "$@" $'\\036' >> ${JSON.stringify(this.callLog)}`,
      'else',
      `  printf '%s\\0' ${JSON.stringify(command)} "$@" $'\\036' > ${JSON.stringify(`${this.dir}/record`)}-$$`,
      `  command -p cat ${JSON.stringify(`${this.dir}/record`)}-$$ >> ${JSON.stringify(this.callLog)}`,
      'fi',
      'unset record',
      body,
    ].join('\n');
    writeFileSync(file, `${script}\n`);
    chmodSync(file, 0o755);
  }

  /** Every recorded call, in order; with `command`, only that executable's. */
  public calls(command?: string): StandInCall[] {
    const all: StandInCall[] = [];
    let fields: string[] = [];
    for (const field of readFileSync(this.callLog, 'utf8').split('\0').slice(0, -1)) {
      if (field === '\x1e') {
        all.push({ command: fields[0], args: fields.slice(1) });
        fields = [];
      } else {
        fields.push(field);
      }
    }
    return command === undefined ? all : all.filter((c) => c.command === command);
  }

  /** Each recorded call as one line, `command arg1 arg2`, for readable assertions. */
  public callLines(command?: string): string[] {
    return this.calls(command).map((c) => [c.command, ...c.args].join(' '));
  }

  /** Forgets the calls recorded so far. */
  public clearCalls(): void {
    writeFileSync(this.callLog, '');
  }

  /**
   * Runs a program (its text) with bash, the stand-ins first on PATH and the real system tools
   * after them.
   */
  public run(program: string, options: { args?: readonly string[]; env?: Record<string, string>; timeoutMs?: number } = {}): SandboxRun {
    const file = join(this.dir, `program-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
    writeFileSync(file, program, { mode: 0o700 });
    const result = spawnSync('bash', [file, ...(options.args ?? [])], {
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 20_000,
      env: { PATH: `${this.bin}:${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: this.dir, LANG: 'C.UTF-8', ...options.env },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}${result.stderr}` };
  }

  /** Starts a program in the background; resolves with its result. */
  public runAsync(program: string, options: { args?: readonly string[]; env?: Record<string, string> } = {}): Promise<SandboxRun> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const file = join(this.dir, `program-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
    writeFileSync(file, program, { mode: 0o700 });
    return new Promise((resolve) => {
      const child = spawn('bash', [file, ...(options.args ?? [])], {
        env: { PATH: `${this.bin}:${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: this.dir, LANG: 'C.UTF-8', ...options.env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr, output: `${stdout}${stderr}` }));
    });
  }

  public cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
