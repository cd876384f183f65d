import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Whether an external validator is installed. In CI a missing validator is a failure; locally the
 * test is skipped with a message that says what to install.
 */
export function hasTool(command: string, debianPackage: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  if (found) {
    return true;
  }
  const why = `${command} is not installed (Debian package ${debianPackage}); .ci/run installs it`;
  if (process.env.CI) {
    throw new Error(`validator missing in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED validation: ${why}`);
  return false;
}

function withTempFile<T>(name: string, content: string, use: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, content);
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `cloud-init schema --config-file`; returns its combined output and whether it said valid. */
export function cloudInitSchema(userData: string): { valid: boolean; output: string } {
  return withTempFile('user-data', userData, (path) => {
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`.trim();
    return { valid: result.status === 0 && /^Valid cloud-config/m.test(output), output };
  });
}

/** Runs shellcheck on a script; returns its findings (empty when clean). */
export function shellcheck(script: string, shell = 'bash'): string {
  return withTempFile('script.sh', script, (path) => {
    try {
      execFileSync('shellcheck', ['--shell', shell, '--severity', 'style', path], { encoding: 'utf8' });
      return '';
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
    }
  });
}

/**
 * Runs shellcheck once over many scripts (far faster than once per script); returns each distinct
 * script's findings, empty when clean, in the form `shellcheck` gives for one.
 */
export function shellcheckAll(scripts: readonly string[], shell = 'bash'): Map<string, string> {
  const distinct = [...new Set(scripts)];
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
  try {
    const files = distinct.map((script, i) => {
      const path = join(dir, `script-${i}.sh`);
      writeFileSync(path, script);
      return path;
    });
    const result = spawnSync('shellcheck', ['--shell', shell, '--severity', 'style', '--format', 'gcc', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(`shellcheck failed (exit ${result.status}): ${result.stderr}`);
    }
    const findings = new Map(distinct.map((script) => [script, '']));
    for (const line of result.stdout.split('\n').filter((l) => l !== '')) {
      const index = files.findIndex((f) => line.startsWith(`${f}:`));
      if (index < 0) {
        throw new Error(`unexpected shellcheck output: ${line}`);
      }
      findings.set(distinct[index], `${findings.get(distinct[index])}${line}\n`);
    }
    if (result.status === 1 && [...findings.values()].every((f) => f === '')) {
      throw new Error(`shellcheck reported problems it did not attribute to a file: ${result.stdout}${result.stderr}`);
    }
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `cloud-init schema --config-file` on many documents, a few at a time (each is a Python
 * start-up, mostly waiting); returns each distinct document's result as `cloudInitSchema` does.
 */
export async function cloudInitSchemaAll(userData: readonly string[]): Promise<Map<string, { valid: boolean; output: string }>> {
  const distinct = [...new Set(userData)];
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
  const results = new Map<string, { valid: boolean; output: string }>();
  try {
    let next = 0;
    const worker = async () => {
      while (next < distinct.length) {
        const index = next++;
        const path = join(dir, `user-data-${index}`);
        writeFileSync(path, distinct[index]);
        const output = await new Promise<{ code: number; text: string }>((resolve) => {
          execFile('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' }, (error, stdout, stderr) => {
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}`.trim() });
          });
        });
        results.set(distinct[index], { valid: output.code === 0 && /^Valid cloud-config/m.test(output.text), output: output.text });
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, Math.max(2, availableParallelism())) }, worker));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
