import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
