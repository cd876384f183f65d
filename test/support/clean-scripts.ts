import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// shellcheck gives the same verdict on the same text every time, and the suite checks the same
// rendered programs run after run, several seconds of CPU each time. A script it found clean is
// remembered by a hash of its text, the shell, the options and shellcheck's version, so that only
// scripts new to this shellcheck are read again. Findings are never remembered: a script with
// any is checked afresh each run and reported as shellcheck reports it then.

const dir = join(__dirname, '../../node_modules/.cache/kubeadm-clean-scripts');

let version: string | undefined;

function keyOf(script: string, args: readonly string[]): string {
  version ??= execFileSync('shellcheck', ['--version'], { encoding: 'utf8' });
  return createHash('sha256').update(`${version}\0${args.join('\0')}\0${script}`).digest('hex');
}

/** Whether this shellcheck, with these arguments, found the script clean before. */
export function knownClean(script: string, args: readonly string[]): boolean {
  return existsSync(join(dir, keyOf(script, args)));
}

/** Remembers that shellcheck, with these arguments, found the script clean. */
export function rememberClean(script: string, args: readonly string[]): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, keyOf(script, args)), '');
  } catch {
    // Not remembered: the next run checks the script again.
  }
}
