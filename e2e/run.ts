import { Clock, CommandRunner, Workspace } from './command';
import { E2eContext, RunState, stackDir } from './context';
import { cdktfDeploy, cloudCheck, verifyConnectivity } from './deploy';
import { destroy } from './destroy';
import type { E2eOptions } from './options';
import { preflight } from './preflight';
import { E2eReport, PhaseName, PhaseRecord, renderReport, WHAT_TO_CHECK } from './report';
import { formatDuration, Interrupted, StepError } from './retry';
import { restoreDrill } from './restore-drill';
import { upgrade } from './upgrade';

/** What the run is given: the real world in `main.ts`, stand-ins in the tests. */
export interface E2eEnvironment {
  readonly runner: CommandRunner;
  readonly clock: Clock;
  readonly files: Workspace;
  readonly log: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How many times the run was interrupted (Ctrl-C) so far. */
  readonly interrupts: () => number;
  readonly runId: string;
}

/** The first deploy: the readiness wait alone may take an hour (README "Boot budgets"). */
const FIRST_DEPLOY_TIMEOUT_MS = 150 * 60_000;

/**
 * Runs the phases in order; a failed phase skips the ones after it, but the destroy runs after
 * anything was created, whatever failed, unless `--keep`. Writes the report (JSON and table).
 */
export async function runE2e(options: E2eOptions, environment: E2eEnvironment): Promise<E2eReport> {
  const state: RunState = { terraform: 'terraform', clusters: [], kubernetesVersion: options.kubernetesVersion, cloudCheck: false, deployStarted: false, left: [] };
  // An interrupt before the destroy ends the phase it hits and goes on to the destroy; one during
  // the destroy stops it.
  let interruptsBeforeDestroy: number | undefined;
  const ctx: E2eContext = {
    runner: environment.runner,
    clock: environment.clock,
    log: environment.log,
    files: environment.files,
    env: environment.env,
    runId: environment.runId,
    options,
    state,
    interrupted: () => environment.interrupts() > (interruptsBeforeDestroy ?? 0),
  };
  const started = ctx.clock.now();
  const phases: PhaseRecord[] = [];
  let failure: PhaseName | undefined;

  const phase = async (name: PhaseName, skipped: string | undefined, body: () => Promise<string>): Promise<void> => {
    const why = skipped ?? (failure ? `not run: ${failure} failed` : undefined);
    if (why !== undefined) {
      phases.push({ name, result: 'skipped', seconds: 0, detail: why, whatToCheck: [] });
      return;
    }
    const startedAt = ctx.clock.now();
    ctx.log(`== ${name}`);
    try {
      const detail = await body();
      const seconds = (ctx.clock.now() - startedAt) / 1000;
      ctx.log(`   ${name} passed in ${formatDuration(seconds * 1000)}: ${detail}`);
      phases.push({ name, result: 'passed', startedAt: new Date(startedAt).toISOString(), seconds, detail, whatToCheck: [] });
    } catch (e) {
      failure ??= name;
      // A program stopped by the interrupt fails in its own words; the report says why it stopped.
      const error = e instanceof Interrupted ? 'interrupted (Ctrl-C)' : ctx.interrupted() ? `interrupted (Ctrl-C): ${(e as Error).message}` : (e as Error).message;
      const own = e instanceof StepError ? [e.check] : [];
      const seconds = (ctx.clock.now() - startedAt) / 1000;
      ctx.log(`   ${name} FAILED after ${formatDuration(seconds * 1000)}: ${error}`);
      phases.push({ name, result: 'failed', startedAt: new Date(startedAt).toISOString(), seconds, detail: 'failed', error, whatToCheck: [...own, ...WHAT_TO_CHECK[name]] });
    }
  };

  const only = options.destroyOnly ? 'not run: --destroy-only' : undefined;
  await phase('preflight', undefined, () => preflight(ctx));
  await phase('deploy', only, async () => {
    const t0 = ctx.clock.now();
    await cdktfDeploy(ctx, FIRST_DEPLOY_TIMEOUT_MS, 'cdktf deploy');
    return `stack ${state.stack} deployed in ${formatDuration(ctx.clock.now() - t0)}${state.estimate ? ` (synth estimate ${state.estimate})` : ''}; the connectivity check ran as its last step`;
  });
  await phase('connectivity-check', only, () => verifyConnectivity(ctx));
  await phase('cloud-check', only ?? (options.cloudCheck ? undefined : 'not run: --skip-cloud-check'), () => cloudCheck(ctx));
  await phase('upgrade', only ?? (options.upgradeTo ? undefined : 'not run: no --upgrade-to'), () => upgrade(ctx));
  await phase('restore-drill', only ?? (options.restoreDrill ? undefined : 'not run: no --restore-drill'), () => restoreDrill(ctx));

  const preflightFailed = phases[0].result === 'failed';
  if (options.keep) {
    phases.push({ name: 'destroy', result: 'skipped', seconds: 0, detail: 'not run: --keep', whatToCheck: [] });
    if (state.deployStarted) {
      state.left.push(
        `the whole stack ${state.stack}, billed until destroyed: npm run e2e -- --region ${options.region} --example ${options.example} --destroy-only` +
          ` (kubeconfig: ${state.terraform} -chdir=${stackDir(ctx)} output -raw ${state.clusters[0]?.outputPrefix ?? '<cluster>'}_kubeconfig)`,
      );
    }
  } else if (!state.deployStarted && !options.destroyOnly) {
    phases.push({ name: 'destroy', result: 'skipped', seconds: 0, detail: 'not run: nothing was created', whatToCheck: [] });
  } else if (preflightFailed) {
    // Without a synthesised stack there is nothing to destroy with; only --destroy-only gets here.
    phases.push({ name: 'destroy', result: 'skipped', seconds: 0, detail: 'not run: preflight failed', whatToCheck: [] });
  } else {
    interruptsBeforeDestroy = environment.interrupts();
    failure = undefined;
    await phase('destroy', undefined, () => destroy(ctx));
    if (phases[phases.length - 1].result === 'failed') {
      state.left.push(`what the destroy did not remove: npm run e2e -- --region ${options.region} --example ${options.example} --destroy-only`);
    }
  }
  if (state.kubeconfigDir) {
    // The kubeconfigs hold the cluster admin's key.
    ctx.files.remove(state.kubeconfigDir);
  }

  const finished = ctx.clock.now();
  const report: E2eReport = {
    kind: 'cdktf-kubeadm-cluster/e2e-report',
    version: 1,
    result: phases.some((p) => p.result === 'failed') ? 'failed' : 'passed',
    example: options.example,
    region: options.region,
    kubernetesVersion: options.kubernetesVersion,
    ...(options.upgradeTo ? { upgradeTo: options.upgradeTo } : {}),
    ...(state.account ? { account: state.account } : {}),
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    seconds: (finished - started) / 1000,
    ...(state.estimate ? { estimate: state.estimate } : {}),
    phases,
    left: state.left,
  };
  ctx.files.writeText(options.report, `${JSON.stringify(report, null, 2)}\n`);
  ctx.files.writeText(options.report.replace(/\.json$/, '.txt'), renderReport(report));
  return report;
}
