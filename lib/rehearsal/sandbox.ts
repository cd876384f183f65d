import { MissingPrerequisitesError, SetupError } from './errors';
import { IpipTunnelProcess } from './ipip-tunnel';
import { listNamespaces, removeNamespaces } from './leftovers';
import { ProbeProcess, ProbeProcessConfig } from './probe-process';
import type { Step } from './network-commands';
import type { Tools } from './prerequisites';
import { commandLine, runProgram } from './process-runner';

/** Timeout of each command that builds the network. */
const STEP_TIMEOUT_MS = 10_000;

/**
 * The namespaces of one rehearsal and everything run in them. It refuses any command that does not
 * name one of its own namespaces, so the rehearsal cannot touch the caller's network, and
 * `dispose` removes all it made, whatever state the run stopped in.
 */
export class Sandbox {
  private readonly created: string[] = [];
  /** Probe and tunnel processes started, to stop before the namespaces go. */
  private readonly processes: Array<ProbeProcess | IpipTunnelProcess> = [];
  private disposing?: Promise<string[]>;

  constructor(public readonly tools: Tools, public readonly prefix: string, private readonly signal: AbortSignal) {}

  /** Namespaces made so far. */
  public get namespaces(): readonly string[] {
    return this.created;
  }

  public async createNamespace(name: string): Promise<void> {
    this.assertOwn(name);
    this.throwIfAborted();
    // Recorded first: a command killed half-way may still have made it.
    this.created.push(name);
    const result = await runProgram(this.tools.ip, ['netns', 'add', name], { timeoutMs: STEP_TIMEOUT_MS, signal: this.signal });
    this.throwIfAborted();
    if (result.code !== 0) {
      const why = result.stderr.trim() || `exit ${result.code}`;
      if (/not permitted|permission denied|read-only file system/i.test(why)) {
        throw new MissingPrerequisitesError([`permission to create network namespaces (ip netns add said: ${why}); a container needs CAP_SYS_ADMIN and CAP_NET_ADMIN`]);
      }
      throw new SetupError(`ip netns add ${name} failed: ${why}`);
    }
  }

  /** Runs one step of building the network; throws a `SetupError` naming the command on failure. */
  public async run(step: Step): Promise<void> {
    this.assertConfined(step.argv);
    this.throwIfAborted();
    const file = this.resolve(step.argv[0]);
    const args = step.argv.slice(1);
    const result = await runProgram(file, args, { input: step.input, timeoutMs: STEP_TIMEOUT_MS, signal: this.signal });
    this.throwIfAborted();
    if (result.code !== 0) {
      const why = result.timedOut ? `no result within ${STEP_TIMEOUT_MS} ms` : result.stderr.trim() || `exit ${result.code}`;
      throw new SetupError(`${commandLine(step.argv[0], args)} failed: ${why}`);
    }
  }

  /** Loads nftables text into a namespace (`nft -f -` there). */
  public loadFirewall(namespace: string, definition: string): Promise<void> {
    return this.run({ argv: ['ip', 'netns', 'exec', namespace, this.tools.nft, '-f', '-'], input: definition });
  }

  /** Starts a probe process in a namespace and waits until its ports listen. */
  public async startProbe(namespace: string, config: ProbeProcessConfig): Promise<ProbeProcess> {
    this.assertOwn(namespace);
    this.throwIfAborted();
    try {
      const probe = await ProbeProcess.start(this.tools.ip, namespace, config, this.signal);
      this.processes.push(probe);
      return probe;
    } catch (e) {
      this.throwIfAborted();
      throw new SetupError(`could not start the probe process in ${namespace}: ${(e as Error).message}`);
    }
  }

  /** Starts the IP-in-IP tunnel program on a node's TUN device. */
  public async startIpipTunnel(namespace: string, device: string, peers: ReadonlyArray<{ readonly cidr: string; readonly ip: string }>): Promise<void> {
    this.assertOwn(namespace);
    this.throwIfAborted();
    if (!this.tools.perl) {
      throw new MissingPrerequisitesError(['perl (Debian package perl-base), which runs the IP-in-IP tunnel']);
    }
    try {
      this.processes.push(await IpipTunnelProcess.start(this.tools.ip, this.tools.perl, namespace, device, peers));
    } catch (e) {
      this.throwIfAborted();
      throw new SetupError((e as Error).message);
    }
  }

  /**
   * Stops the probe and tunnel processes and deletes every namespace made (and any other carrying the prefix). Safe to
   * call more than once and concurrently; runs without the abort signal, with its own timeouts.
   * Returns what could not be removed.
   */
  public dispose(): Promise<string[]> {
    this.disposing ??= (async () => {
      await Promise.all(this.processes.map((p) => p.stop()));
      const problems = await removeNamespaces(this.tools.ip, this.created);
      const left = (await listNamespaces(this.tools.ip).catch(() => [] as string[])).filter((n) => n.startsWith(this.prefix));
      if (left.length > 0) {
        problems.push(...(await removeNamespaces(this.tools.ip, left)));
        const still = (await listNamespaces(this.tools.ip).catch(() => [] as string[])).filter((n) => n.startsWith(this.prefix));
        problems.push(...still.map((n) => `namespace ${n} is still there; remove it with: ip netns delete ${n}`));
      }
      return problems;
    })();
    return this.disposing;
  }

  private resolve(program: string): string {
    switch (program) {
      case 'ip':
        return this.tools.ip;
      case 'bridge':
        return this.tools.bridge;
      case 'nft':
        return this.tools.nft;
      default:
        throw new SetupError(`refusing to run ${program}: the rehearsal runs only ip, bridge and nft`);
    }
  }

  /** Only `<tool> -n <own namespace> ...` and `ip netns exec <own namespace> ...` may run. */
  private assertConfined(argv: readonly string[]): void {
    const [program, a, b, c] = argv;
    const namespace = a === '-n' ? b : program === 'ip' && a === 'netns' && b === 'exec' ? c : undefined;
    if (namespace === undefined || !this.created.includes(namespace)) {
      throw new SetupError(`refusing to run "${commandLine(program, argv.slice(1))}": it does not run inside one of this rehearsal's namespaces`);
    }
    // A netns exec may start only nft or tee (sysctls) inside; anything else is a programming error.
    if (a === 'netns' && ![this.tools.nft, 'tee'].includes(argv[4])) {
      throw new SetupError(`refusing to run ${argv[4]} inside ${namespace}`);
    }
  }

  private assertOwn(namespace: string): void {
    if (!namespace.startsWith(this.prefix)) {
      throw new SetupError(`refusing to use namespace ${namespace}: it is not this rehearsal's (${this.prefix}*)`);
    }
  }

  private throwIfAborted(): void {
    if (this.signal.aborted) {
      throw this.signal.reason instanceof Error ? this.signal.reason : new Error(String(this.signal.reason));
    }
  }
}
