import { RehearsalInputError } from './errors';

/** What the command line asks for. */
export type CliCommand =
  | {
      readonly command: 'rehearse';
      readonly stack?: string;
      readonly clusterName?: string;
      readonly nodesPerRole?: number;
      readonly keepGoing: boolean;
    }
  | { readonly command: 'cleanup'; readonly force: boolean }
  | { readonly command: 'help' };

export const USAGE = `Usage:
  cdktf-kubeadm-cluster rehearse [STACK_DIR] [--cluster NAME] [--nodes-per-role N] [--keep-going]
      Builds the synthesised cluster's pod network in network namespaces on this machine (root,
      Linux, ip and nft needed) and checks pods, ports, a Service and a negative control.
      STACK_DIR defaults to the only stack under ./cdktf.out/stacks.
  cdktf-kubeadm-cluster cleanup [--force]
      Removes namespaces left by rehearsals that were killed (--force: also of running ones).

Exit codes: 0 all checks passed, 1 a check failed, 2 bad input or usage, 3 missing
prerequisites, 4 the network could not be built, 130/143 interrupted (after cleaning up).`;

/** Parses the arguments after the program name. Throws `RehearsalInputError` (exit 2) on misuse. */
export function parseCliArguments(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    return { command: 'help' };
  }
  if (command === 'cleanup') {
    const unknown = rest.filter((a) => a !== '--force');
    if (unknown.length > 0) {
      throw new RehearsalInputError(`cleanup takes only --force, not ${unknown.join(' ')}`);
    }
    return { command: 'cleanup', force: rest.includes('--force') };
  }
  if (command !== 'rehearse') {
    throw new RehearsalInputError(`unknown command "${command}"; the commands are rehearse and cleanup`);
  }
  let stack: string | undefined;
  let clusterName: string | undefined;
  let nodesPerRole: number | undefined;
  let keepGoing = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === '') {
        throw new RehearsalInputError(`${flag} needs a value`);
      }
      return v;
    };
    if (flag === '--cluster') {
      clusterName = value();
    } else if (flag === '--nodes-per-role') {
      const text = value();
      nodesPerRole = Number(text);
      if (!/^\d+$/.test(text) || nodesPerRole < 1 || nodesPerRole > 8) {
        throw new RehearsalInputError(`--nodes-per-role is ${text}; use a whole number from 1 to 8`);
      }
    } else if (flag === '--keep-going') {
      keepGoing = true;
    } else if (flag.startsWith('-')) {
      throw new RehearsalInputError(`unknown option ${flag}`);
    } else if (stack === undefined) {
      stack = arg;
    } else {
      throw new RehearsalInputError(`one stack at a time: got ${stack} and ${arg}`);
    }
  }
  return {
    command: 'rehearse',
    ...(stack !== undefined ? { stack } : {}),
    ...(clusterName !== undefined ? { clusterName } : {}),
    ...(nodesPerRole !== undefined ? { nodesPerRole } : {}),
    keepGoing,
  };
}
