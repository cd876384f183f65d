import { ChildProcessByStdio, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { IcmpTool } from './prerequisites';
import { stopByClosingInput } from './process-runner';

/** What a probe process reports for one probe. */
export interface ProbeAnswer {
  readonly ok: boolean;
  readonly peer?: string;
  readonly server?: string;
  readonly error?: string;
}

export interface ProbeProcessConfig {
  /** Name for its answers (`worker-0/pod-1`). */
  readonly name: string;
  /** TCP ports to serve. */
  readonly listen: readonly number[];
  readonly icmp: IcmpTool;
}

/** The probe script, next to this file (plain JavaScript: it runs without a TypeScript loader). */
export const PROBE_SCRIPT = join(__dirname, 'probe.cjs');

/**
 * A running probe process (`probe.cjs`) inside one namespace, and the JSON-lines conversation with it.
 * Every request is bounded by its own timeout, and aborting the run fails pending requests at once.
 */
export class ProbeProcess {
  /** Starts a probe process with `ip netns exec` and waits until its ports listen. */
  public static start(ip: string, namespace: string, config: ProbeProcessConfig, signal: AbortSignal, timeoutMs = 10_000): Promise<ProbeProcess> {
    const child = spawn(ip, ['netns', 'exec', namespace, process.execPath, PROBE_SCRIPT, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const probe = new ProbeProcess(namespace, child, signal);
    return probe.ready(timeoutMs).then(() => probe);
  }

  private nextId = 1;
  private readonly pending = new Map<number, (answer: ProbeAnswer) => void>();
  private stderr = '';
  private readyWaiter?: { resolve: () => void; reject: (e: Error) => void };
  private exited = false;

  private constructor(public readonly namespace: string, private readonly child: ChildProcessByStdio<Writable, Readable, Readable>, private readonly signal: AbortSignal) {
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-2000)));
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.on('exit', (code) => {
      this.exited = true;
      this.readyWaiter?.reject(new Error(`probe process in ${namespace} exited (${code}) before it was ready: ${this.stderr.trim()}`));
      for (const resolve of this.pending.values()) {
        resolve({ ok: false, error: `probe process exited (${code})` });
      }
      this.pending.clear();
    });
    child.on('error', (e) => this.readyWaiter?.reject(e));
  }

  /** Asks for one probe; resolves (never rejects) within `timeoutMs` plus a margin. */
  public request(op: 'tcp' | 'icmp', host: string, port: number | undefined, timeoutMs: number): Promise<ProbeAnswer> {
    if (this.exited || this.signal.aborted) {
      return Promise.resolve({ ok: false, error: this.signal.aborted ? 'aborted' : 'probe process not running' });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const finish = (answer: ProbeAnswer) => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        resolve(answer);
      };
      const onAbort = () => finish({ ok: false, error: 'aborted' });
      const timer = setTimeout(() => finish({ ok: false, error: `probe process gave no answer within ${timeoutMs + 2000} ms` }), timeoutMs + 2000);
      this.signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, finish);
      this.child.stdin.write(`${JSON.stringify({ id, op, host, port, timeoutMs })}\n`);
    });
  }

  /** Closes its stdin (it exits on that), and kills it if it has not gone within a second. */
  public stop(): Promise<void> {
    return stopByClosingInput(this.child, this.exited);
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`probe process in ${this.namespace} not ready within ${timeoutMs} ms: ${this.stderr.trim()}`)), timeoutMs);
      const onAbort = () => reject(new Error('aborted'));
      this.signal.addEventListener('abort', onAbort, { once: true });
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
        this.readyWaiter = undefined;
        if (error) {
          reject(error);
        } else {
          resolve();
        }
      };
      this.readyWaiter = { resolve: () => done(), reject: (e) => done(e) };
    });
  }

  private onLine(line: string): void {
    let message: { id?: number; ready?: boolean; fatal?: string } & ProbeAnswer;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.ready) {
      this.readyWaiter?.resolve();
    } else if (message.fatal) {
      this.readyWaiter?.reject(new Error(`probe process in ${this.namespace}: ${message.fatal}`));
    } else if (message.id !== undefined) {
      this.pending.get(message.id)?.({ ok: message.ok, ...(message.peer ? { peer: message.peer } : {}), ...(message.server ? { server: message.server } : {}), ...(message.error ? { error: message.error } : {}) });
    }
  }
}
