import { setMaxListeners } from 'node:events';
import { PHASES, PlannedCheck, listeners, planChecks } from './check-plan';
import { CheckResult, formatResults, judgeCheck, JudgeContext, ProbeOutcome, skippedCheck, summarise } from './check-results';
import { EXIT_CODES, InterruptedError, RehearsalError } from './errors';
import { buildNetworkSteps, datapathBlock, LINKS, Namespaces, routeRemovalSteps, routeRemovalTarget } from './network-commands';
import { DescribedCluster, readNetworkDescriptions, selectDescriptions } from './network-description';
import { BlockedTraffic, compileNodeFirewall, replaceTable } from './nftables';
import { checkPrerequisites, Environment, Tools } from './prerequisites';
import { runPrefix, tableName } from './run-prefix';
import { Sandbox } from './sandbox';
import { readSecurityGroupRules, rulesOfGroups, SecurityGroupRule } from './security-group-rules';
import { resolveStackFile, readStackFile } from './stack-file';
import type { ProbeProcess } from './probe-process';
import { planTopology, RehearsalNode, Topology } from './topology';

export interface RehearseOptions {
  /**
   * A synthesised stack directory (`cdktf.out/stacks/NAME`) or its `cdk.tf.json`.
   * @default - the only stack under `./cdktf.out/stacks`
   */
  readonly stack?: string;
  /**
   * Rehearse only the cluster of this name.
   * @default - every cluster described in the stack, one after the other
   */
  readonly clusterName?: string;
  /**
   * Nodes to emulate per role (capped by the plan's counts).
   * @default 2
   */
  readonly nodesPerRole?: number;
  /**
   * Pods per node.
   * @default 2
   */
  readonly podsPerNode?: number;
  /**
   * Run every phase even after one has failed (by default the first failing phase ends the run,
   * since later phases depend on the pod network).
   * @default false
   */
  readonly keepGoing?: boolean;
  /**
   * Timeout of one probe attempt (ping wait, TCP connect and answer), in milliseconds.
   * @default 1000
   */
  readonly probeTimeoutMs?: number;
  /**
   * Probes in flight at once.
   * @default 16
   */
  readonly concurrency?: number;
  /**
   * Where progress lines go.
   * @default - standard error
   */
  readonly log?: (line: string) => void;
  /**
   * Catch SIGINT and SIGTERM to clean up before the process ends (then throw `InterruptedError`).
   * Turn off when the caller handles signals itself and passes `signal`.
   * @default true
   */
  readonly handleSignals?: boolean;
  /**
   * Stops the rehearsal when aborted, as SIGTERM would: it cleans up, then throws
   * `InterruptedError` (exit code 143).
   * @default - only signals stop it
   */
  readonly signal?: AbortSignal;
  /**
   * The machine, for the prerequisite check.
   * @default - this process's
   */
  readonly environment?: Environment;
}

/** The rehearsal of one cluster. */
export interface ClusterRehearsal {
  readonly clusterName: string;
  readonly pluginName: string;
  /** Prefix of every namespace it made. */
  readonly prefix: string;
  readonly topology: Topology;
  readonly results: readonly CheckResult[];
  /** Things the reader skipped or could not emulate. */
  readonly warnings: readonly string[];
  /** Namespaces that could not be removed (normally none). */
  readonly cleanupProblems: readonly string[];
  readonly ms: number;
  readonly passed: boolean;
  /** Its part of the report: heading, table, failures, summary. */
  readonly report: string;
}

export interface RehearsalResult {
  readonly stackFile: string;
  readonly clusters: readonly ClusterRehearsal[];
  readonly passed: boolean;
  /** 0 when every check passed, 1 when one failed. */
  readonly exitCode: number;
  /** Every cluster's report. */
  readonly report: string;
}

let sequence = 0;

/**
 * Builds each described cluster's pod network in network namespaces on this machine and checks
 * it: pods reaching pods across nodes without NAT, the plugin's control ports, Kubernetes' ports, a
 * Service through DNAT, and a negative control. Needs root on Linux with `ip` and `nft`.
 *
 * Throws `RehearsalError` subclasses for bad input (exit code 2), missing prerequisites (3),
 * setup failures (4) and interruption (130/143), always after removing what it made.
 */
export async function rehearse(options: RehearseOptions = {}): Promise<RehearsalResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Input first: a bad stack is reported even on a machine that could not run the rehearsal.
  const stackFile = resolveStackFile(options.stack);
  const stack = readStackFile(stackFile);
  const descriptions = selectDescriptions(readNetworkDescriptions(stack), options.clusterName);
  const { rules, warnings } = readSecurityGroupRules(stack);
  const planned = descriptions.map((description) => ({ description, topology: planTopology(description, options) }));
  const tools = checkPrerequisites(options.environment, { ipip: planned.some((p) => p.topology.datapath.encapsulation === 'ipip') });

  const controller = new AbortController();
  // Every pending probe listens for the abort; there may be more than the default ten.
  setMaxListeners(0, controller.signal);
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => () => {
    if (controller.signal.aborted) {
      log(`${signal} again: still removing the rehearsal's namespaces; if stopped now, run "cleanup" afterwards`);
      return;
    }
    log(`${signal}: stopping and removing the rehearsal's namespaces`);
    controller.abort(new InterruptedError(signal));
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  const onExternalAbort = () => controller.abort(new InterruptedError('SIGTERM'));
  if (options.handleSignals ?? true) {
    process.on('SIGINT', handlers.SIGINT);
    process.on('SIGTERM', handlers.SIGTERM);
  }
  options.signal?.addEventListener('abort', onExternalAbort, { once: true });
  try {
    const clusters: ClusterRehearsal[] = [];
    for (const { description, topology } of planned) {
      const own = rulesOfGroups(rules, Object.values(description.securityGroups));
      clusters.push(await rehearseCluster(description, topology, own, warnings, tools, controller.signal, options, log));
    }
    const passed = clusters.every((c) => c.passed);
    return { stackFile, clusters, passed, exitCode: passed ? EXIT_CODES.passed : EXIT_CODES.failed, report: clusters.map((c) => c.report).join('\n\n') };
  } finally {
    process.removeListener('SIGINT', handlers.SIGINT);
    process.removeListener('SIGTERM', handlers.SIGTERM);
    options.signal?.removeEventListener('abort', onExternalAbort);
  }
}

async function rehearseCluster(
  description: DescribedCluster,
  topology: Topology,
  rules: readonly SecurityGroupRule[],
  stackWarnings: readonly string[],
  tools: Tools,
  signal: AbortSignal,
  options: RehearseOptions,
  log: (line: string) => void,
): Promise<ClusterRehearsal> {
  const started = Date.now();
  const prefix = runPrefix(process.pid, sequence++);
  const names = new Namespaces(prefix);
  const sandbox = new Sandbox(tools, prefix, signal);
  const table = tableName(prefix);
  const { datapath } = topology;
  const podCount = topology.nodes.reduce((n, node) => n + node.pods.length, 0);
  const warnings = [...stackWarnings];
  if (topology.nodes.length < 2) {
    warnings.push('only one node to emulate: nothing crosses the VPC, so the security groups are not exercised');
  }
  const dataTraffic = datapath.encapsulation === 'vxlan' ? `vxlan udp/${datapath.port}` : datapath.encapsulation === 'ipip' ? 'ipip (IP protocol 4)' : 'routed (VPC routes between the nodes, no tunnel)';
  log(`${prefix} cluster "${description.clusterName}": ${description.plugin.name} (${dataTraffic}), ${topology.nodes.length} nodes, ${podCount} pods`);

  const results: CheckResult[] = [];
  let failure: unknown;
  let cleanupProblems: string[] = [];
  try {
    for (const ns of names.all(topology)) {
      await sandbox.createNamespace(ns);
    }
    for (const step of buildNetworkSteps(topology, names)) {
      await sandbox.run(step);
    }
    if (datapath.encapsulation === 'ipip') {
      for (const node of topology.nodes) {
        const peers = topology.nodes.filter((n) => n !== node).map((n) => ({ cidr: n.podCidr, ip: n.ip }));
        await sandbox.startIpipTunnel(names.node(node), LINKS.ipip, peers);
      }
    }
    const firewall = (node: RehearsalNode, block?: BlockedTraffic) =>
      compileNodeFirewall({ table, node, nodes: topology.nodes, rules, service: topology.service, ...(block ? { block } : {}) });
    for (const node of topology.nodes) {
      await sandbox.loadFirewall(names.node(node), firewall(node));
    }
    log(`${prefix} network built (${names.all(topology).length} namespaces); starting probe processes`);

    const ports = listeners(topology);
    const probes = new Map<string, ProbeProcess>();
    await Promise.all(
      topology.nodes.flatMap((node) => [
        sandbox.startProbe(names.node(node), { name: node.name, listen: ports.node[node.name], icmp: tools.icmp }).then((p) => probes.set(node.name, p)),
        ...node.pods.map((pod) => sandbox.startProbe(names.pod(node, pod), { name: pod.name, listen: ports.pod, icmp: tools.icmp }).then((p) => probes.set(pod.name, p))),
      ]),
    );

    const block = datapathBlock(topology);
    const removedRoute = routeRemovalTarget(topology);
    const blocked = removedRoute ? `the VPC route to ${removedRoute.podCidr} (the pods of ${removedRoute.name}) was removed` : block.why;
    const context: JudgeContext = { rules, nodes: topology.nodes, pluginName: description.plugin.name, blocked };
    const checks = planChecks(topology);
    let stopReason: string | undefined;
    for (const phase of PHASES) {
      const phaseChecks = checks.filter((c) => c.phase === phase);
      if (phaseChecks.length === 0) {
        continue;
      }
      if (stopReason) {
        results.push(...phaseChecks.map((c) => skippedCheck(c, stopReason!)));
        continue;
      }
      if (phase === 'negative control' && removedRoute) {
        log(`${prefix} removing the VPC route to ${removedRoute.podCidr} (${removedRoute.name})`);
        for (const step of routeRemovalSteps(topology, names, removedRoute)) {
          await sandbox.run(step);
        }
      } else if (phase === 'negative control') {
        // Last phase, so nothing needs the unblocked rules afterwards.
        for (const node of topology.nodes) {
          await sandbox.loadFirewall(names.node(node), replaceTable(table, firewall(node, block)));
        }
      }
      log(`${prefix} ${phase}: ${phaseChecks.length} checks`);
      const phaseResults = await runPool(phaseChecks, options.concurrency ?? 16, async (check) => judgeCheck(check, await sendProbe(check, probes, options.probeTimeoutMs ?? 1000, signal), context));
      if (signal.aborted) {
        throw signal.reason;
      }
      results.push(...phaseResults);
      if (!options.keepGoing && phaseResults.some((r) => r.outcome === 'failed')) {
        stopReason = `${phase} failed`;
      }
    }
  } catch (e) {
    failure = e;
  } finally {
    cleanupProblems = await sandbox.dispose();
    if (cleanupProblems.length > 0) {
      log(`${prefix} could not remove everything:\n  ${cleanupProblems.join('\n  ')}\nRun the "cleanup" subcommand to retry.`);
    } else {
      log(`${prefix} removed ${sandbox.namespaces.length} namespaces`);
    }
  }
  if (failure !== undefined) {
    throw failure instanceof RehearsalError ? failure : new RehearsalError(`rehearsal of "${description.clusterName}" failed: ${(failure as Error).message ?? String(failure)}`, EXIT_CODES.setupFailed);
  }

  const ms = Date.now() - started;
  const passed = results.every((r) => r.outcome === 'ok');
  const heading = `Cluster "${description.clusterName}": ${description.plugin.name}, ${dataTraffic}; ${topology.nodes.map((n) => `${n.name} ${n.ip} pods ${n.podCidr}`).join(', ')}; service ${topology.service.ip}:${topology.service.port}`;
  const report = [
    heading,
    ...warnings.map((w) => `warning: ${w}`),
    '',
    formatResults(results),
    '',
    `${passed ? 'PASSED' : 'FAILED'} ${description.clusterName}: ${summarise(results)} in ${(ms / 1000).toFixed(1)} s`,
  ].join('\n');
  return { clusterName: description.clusterName, pluginName: description.plugin.name, prefix, topology, results, warnings, cleanupProblems, ms, passed, report };
}

/** Runs the probe from the sending end's probe process, retrying until a reply or the attempts run out. */
async function sendProbe(check: PlannedCheck, probes: ReadonlyMap<string, ProbeProcess>, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const sender = probes.get(check.from.pod ? check.from.pod.name : check.from.node.name);
  const started = Date.now();
  if (!sender) {
    return { replied: false, error: 'no probe process at the sending end', ms: 0 };
  }
  let error: string | undefined;
  for (let attempt = 0; attempt < check.attempts && !signal.aborted; attempt++) {
    const tried = Date.now();
    const answer = await sender.request(check.probe, check.to.ip, check.to.port, timeoutMs);
    if (answer.ok) {
      return { replied: true, ...(answer.peer ? { peer: answer.peer } : {}), ...(answer.server ? { server: answer.server } : {}), ms: Date.now() - started };
    }
    error = answer.error;
    // A refused connection fails at once; give neighbour resolution a moment before the next try.
    const spent = Date.now() - tried;
    if (spent < 200 && attempt + 1 < check.attempts) {
      await new Promise((resolve) => setTimeout(resolve, 200 - spent));
    }
  }
  return { replied: false, ...(error ? { error } : {}), ms: Date.now() - started };
}

/** Maps with at most `limit` calls in flight, keeping the input order. */
async function runPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
