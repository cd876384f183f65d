import { formatTable } from '../plan/describe';
import type { PlannedCheck } from './check-plan';
import { explainFlow } from './rule-evaluation';
import type { SecurityGroupRule } from './security-group-rules';
import type { RehearsalNode } from './topology';
import { describeTraffic } from './traffic-names';

/** What a probe saw. */
export interface ProbeOutcome {
  readonly replied: boolean;
  /** The last error when there was no reply (`timeout`, `ECONNREFUSED`, ...). */
  readonly error?: string;
  /** TCP: the client address the server saw. */
  readonly peer?: string;
  /** TCP: the address the server answered on. */
  readonly server?: string;
  readonly ms: number;
}

export interface CheckResult {
  readonly check: PlannedCheck;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  /** Short result for the table. */
  readonly result: string;
  readonly ms: number;
  /** For a failure: what went wrong and, where the security groups explain it, the missing rule. */
  readonly message?: string;
  /** For a failure the security groups explain: each missing rule, in words. */
  readonly missingRules?: readonly string[];
}

/** What the judge needs besides the probe: the rules and nodes, to explain failures. */
export interface JudgeContext {
  readonly rules: readonly SecurityGroupRule[];
  readonly nodes: readonly RehearsalNode[];
  readonly pluginName: string;
  /** What the negative control blocked, for its messages. */
  readonly blocked?: string;
}

/** Holds a probe's outcome against what the check expects. Pure. */
export function judgeCheck(check: PlannedCheck, outcome: ProbeOutcome, context: JudgeContext): CheckResult {
  const route = `${check.from.label} -> ${check.to.label}`;
  const failed = (result: string, message: string): CheckResult => ({ check, outcome: 'failed', result, ms: outcome.ms, message: `${route}: ${message}` });
  if (check.expect === 'no-reply') {
    if (!outcome.replied) {
      return { check, outcome: 'ok', result: 'blocked as expected', ms: outcome.ms };
    }
    const traffic = check.underlay[0] ? describeTraffic(check.underlay[0], context.pluginName) : 'the datapath';
    return failed('FAIL: replied', `replied although ${context.blocked ?? 'the datapath was blocked'}; the rehearsal would not notice a missing ${traffic} rule`);
  }
  const reasons = [...new Set(check.underlay.flatMap((f) => explainFlow(context.rules, context.nodes, f, context.pluginName) ?? []))];
  if (!outcome.replied) {
    const explanation = reasons.length > 0
      ? reasons.join('; ')
      : check.underlay.length > 0
        ? `the security groups allow ${[...new Set(check.underlay.map((f) => describeTraffic(f, context.pluginName)))].join(' and ')}, so the fault is elsewhere in the path`
        : 'nothing crosses the VPC on this path, so the fault is on the node';
    return { ...failed('FAIL: no reply', `no reply${outcome.error ? ` (${outcome.error})` : ''}; ${explanation}`), ...(reasons.length > 0 ? { missingRules: reasons } : {}) };
  }
  if (reasons.length > 0) {
    // Security groups track protocols without ports (IP-in-IP, ESP) by address pair only, so a
    // flow the rules refuse still gets in while the other side sends the same protocol back. That
    // works only as long as both sides keep talking: a missing rule all the same.
    return {
      ...failed('FAIL: rule missing', `replied, but ${reasons.join('; ')}; it got through only because traffic the other way opened the connection tracking, which holds only while both sides keep talking`),
      missingRules: reasons,
    };
  }
  if (check.expectPeer !== undefined && outcome.peer !== check.expectPeer) {
    return failed(`FAIL: seen as ${outcome.peer}`, `the receiver saw the connection come from ${outcome.peer}, not ${check.expectPeer}: the address was translated on the way (pods must see each other's own IPs)`);
  }
  if (check.expectServers !== undefined && (outcome.server === undefined || !check.expectServers.includes(outcome.server))) {
    return failed(`FAIL: answered by ${outcome.server}`, `answered by ${outcome.server}, which is none of the Service's endpoints (${check.expectServers.join(', ')})`);
  }
  const result = check.expectServers ? `ok via ${outcome.server}` : 'ok';
  return { check, outcome: 'ok', result, ms: outcome.ms };
}

/** A check not run because an earlier phase failed. */
export function skippedCheck(check: PlannedCheck, why: string): CheckResult {
  return { check, outcome: 'skipped', result: `skipped (${why})`, ms: 0 };
}

/** The results as a table, then every failure's message. */
export function formatResults(results: readonly CheckResult[]): string {
  const rows = results.map((r) => [r.check.name, r.check.from.label, r.check.to.label, r.result, r.outcome === 'skipped' ? '' : `${r.ms} ms`]);
  const failures = results.filter((r) => r.outcome === 'failed').map((r) => `  - ${r.message}`);
  const missing = [...new Set(results.flatMap((r) => (r.outcome === 'failed' ? (r.missingRules ?? []) : [])))].map((m) => `  - ${m}`);
  return [
    formatTable(['check', 'from', 'to', 'result', 'time'], rows),
    ...(failures.length > 0 ? ['', 'Failures:', ...failures] : []),
    ...(missing.length > 0 ? ['', 'Missing security group rules:', ...missing] : []),
  ].join('\n');
}

/** `weave-net: 58 checks, 58 ok, 0 failed, 0 skipped` (worded so no test runner mistakes it for its own summary). */
export function summarise(results: readonly CheckResult[]): string {
  const count = (o: CheckResult['outcome']) => results.filter((r) => r.outcome === o).length;
  return `${results.length} checks: ${count('ok')} ok, ${count('failed')} failed, ${count('skipped')} skipped`;
}
