import { join } from 'node:path';
import { parseArguments, USAGE, UsageError } from './options';
import { DiskWorkspace, ProcessRunner, SystemClock } from './process-runner';
import { renderReport } from './report';
import { runE2e } from './run';

/**
 * `npm run e2e -- --region <region> ...`: the end-to-end run on your AWS account. See README
 * "End-to-end run on your AWS account". The exit code is 0 when every phase passed, 1 when one
 * failed, 2 for a wrong command line and 130 when stopped during the destroy.
 */
async function main(): Promise<number> {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const root = join(__dirname, '..');
  const runner = new ProcessRunner(root);
  const clock = new SystemClock();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    runner.interruptCurrent();
    clock.wake();
    console.error(
      interrupts === 1
        ? '\nInterrupted: stopping the current step, then destroying what was created (Ctrl-C again stops the destroy, and leaves what it has not removed).'
        : '\nInterrupted again: stopping; the report lists what is left.',
    );
  });
  const runId = `e2e-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  const report = await runE2e(options, {
    runner,
    clock,
    files: new DiskWorkspace(root),
    log: (line) => console.log(line),
    env: process.env,
    interrupts: () => interrupts,
    runId,
  });
  console.log(`\n${renderReport(report)}`);
  console.log(`Report: ${options.report} and ${options.report.replace(/\.json$/, '.txt')}`);
  if (interrupts > 1) {
    return 130;
  }
  return report.result === 'passed' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
