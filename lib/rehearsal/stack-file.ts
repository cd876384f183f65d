import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RehearsalInputError } from './errors';
import type { TerraformJson } from './terraform-json';

/**
 * The `cdk.tf.json` to read: the given file, a stack directory's, or, with no path, the one stack
 * under `./cdktf.out/stacks` (an error when there are several, naming them).
 */
export function resolveStackFile(path: string | undefined, cwd: string = process.cwd()): string {
  if (path === undefined) {
    return singleStack(join(cwd, 'cdktf.out', 'stacks'));
  }
  const full = resolve(cwd, path);
  if (!existsSync(full)) {
    throw new RehearsalInputError(`${path} does not exist`);
  }
  if (statSync(full).isDirectory()) {
    const file = join(full, 'cdk.tf.json');
    if (existsSync(file)) {
      return file;
    }
    if (existsSync(join(full, 'stacks'))) {
      return singleStack(join(full, 'stacks'));
    }
    throw new RehearsalInputError(`${path} has no cdk.tf.json; give a synthesised stack directory such as cdktf.out/stacks/NAME`);
  }
  return full;
}

function singleStack(stacks: string): string {
  const found = existsSync(stacks) ? readdirSync(stacks).filter((d) => existsSync(join(stacks, d, 'cdk.tf.json'))) : [];
  if (found.length === 1) {
    return join(stacks, found[0], 'cdk.tf.json');
  }
  throw new RehearsalInputError(
    found.length === 0
      ? `no synthesised stack under ${stacks}; run cdktf synth first, or give the stack directory`
      : `${stacks} holds ${found.length} stacks (${found.join(', ')}); give the one to rehearse, for example cdktf.out/stacks/${found[0]}`,
  );
}

/** Reads and parses a `cdk.tf.json`. */
export function readStackFile(file: string): TerraformJson {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RehearsalInputError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('not a JSON object');
    }
    return parsed as TerraformJson;
  } catch (e) {
    throw new RehearsalInputError(`${file} is not a synthesised stack: ${(e as Error).message}`);
  }
}
