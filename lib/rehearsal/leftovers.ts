import { runProgram } from './process-runner';
import { parsePrefix } from './run-prefix';

/** `ip netns list` names (the first word of each line). */
export async function listNamespaces(ip: string): Promise<string[]> {
  const result = await runProgram(ip, ['netns', 'list'], { timeoutMs: 5000 });
  if (result.code !== 0) {
    throw new Error(`ip netns list failed: ${result.stderr.trim()}`);
  }
  return result.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((n) => n !== '');
}

/**
 * Removes namespaces: first ends the processes inside them (the rehearsal's own probe and tunnel processes, which
 * would otherwise keep a deleted namespace alive), then deletes them, which takes their links,
 * tunnels and nftables tables with them. Returns what could not be removed.
 */
export async function removeNamespaces(ip: string, names: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const name of names) {
    const pids = await runProgram(ip, ['netns', 'pids', name], { timeoutMs: 5000 });
    for (const pid of pids.stdout.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  // Deleting a namespace destroys its interfaces, and a veth pair goes with either end: order is free.
  for (const name of names) {
    const result = await runProgram(ip, ['netns', 'delete', name], { timeoutMs: 10_000 });
    if (result.code !== 0 && !/No such file/.test(result.stderr)) {
      problems.push(`ip netns delete ${name}: ${result.stderr.trim() || `exit ${result.code}`}`);
    }
  }
  return problems;
}

export interface Leftovers {
  /** Namespaces of runs whose process is gone. */
  readonly stale: readonly string[];
  /** Namespaces of runs whose process still runs (left alone unless forced). */
  readonly live: readonly string[];
}

/** The rehearsal's namespaces on this machine, split by whether their run is still going. */
export async function findLeftovers(ip: string): Promise<Leftovers> {
  const stale: string[] = [];
  const live: string[] = [];
  for (const name of await listNamespaces(ip)) {
    const parsed = parsePrefix(name);
    if (parsed) {
      (parsed.pid !== process.pid && isAlive(parsed.pid) ? live : stale).push(name);
    }
  }
  return { stale, live };
}

/** Removes leftovers of killed runs (and of running ones with `force`). Returns the names removed and problems. */
export async function cleanupLeftovers(ip: string, force = false): Promise<{ readonly removed: readonly string[]; readonly kept: readonly string[]; readonly problems: readonly string[] }> {
  const { stale, live } = await findLeftovers(ip);
  const targets = force ? [...stale, ...live] : stale;
  const problems = await removeNamespaces(ip, targets);
  return { removed: targets, kept: force ? [] : live, problems };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
