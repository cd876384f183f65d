#!/usr/bin/env -S npx tsx
// The library's command line: `cdktf-kubeadm-cluster rehearse|cleanup`. Kept thin: everything it
// does is in lib/rehearsal, where it is tested.
import { cleanupRehearsals, EXIT_CODES, rehearse, RehearsalError } from '../lib/rehearsal';
import { parseCliArguments, USAGE } from '../lib/rehearsal/cli-arguments';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCliArguments(argv);
  switch (args.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT_CODES.passed;
    case 'cleanup': {
      const result = await cleanupRehearsals({ force: args.force });
      process.stdout.write(
        [
          result.removed.length > 0 ? `removed ${result.removed.length} namespaces: ${result.removed.join(' ')}` : 'nothing to remove',
          ...(result.kept.length > 0 ? [`kept ${result.kept.length} namespaces of rehearsals still running (--force removes them): ${result.kept.join(' ')}`] : []),
          ...result.problems.map((p) => `problem: ${p}`),
        ].join('\n') + '\n',
      );
      return result.problems.length > 0 ? EXIT_CODES.setupFailed : EXIT_CODES.passed;
    }
    case 'rehearse': {
      const result = await rehearse({
        ...(args.stack !== undefined ? { stack: args.stack } : {}),
        ...(args.clusterName !== undefined ? { clusterName: args.clusterName } : {}),
        ...(args.nodesPerRole !== undefined ? { nodesPerRole: args.nodesPerRole } : {}),
        keepGoing: args.keepGoing,
      });
      process.stdout.write(`${result.report}\n`);
      return result.exitCode;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof RehearsalError) {
      process.stderr.write(`error: ${error.message}\n`);
      if (error.exitCode === EXIT_CODES.badInput) {
        process.stderr.write(`\n${USAGE}\n`);
      }
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_CODES.setupFailed;
    }
  },
);
