import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudInitSchema, commandPath, hasTool, shellcheck, shellcheckAll, shellcheckForm } from './support/validators';

// The validators themselves must be able to say no, or the tests that rely on them prove nothing.
describe('validators', () => {
  test("a command is found on PATH where the shell's command -v finds it, and only as an executable file", () => {
    expect(commandPath('sh')).toBe(execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim());
    const dir = mkdtempSync(join(tmpdir(), 'kubeadm-path-'));
    const path = process.env.PATH;
    try {
      writeFileSync(join(dir, 'plain'), 'not a program\n');
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
      chmodSync(join(dir, 'tool'), 0o755);
      process.env.PATH = `relative/dir:${dir}:${path ?? ''}`;
      expect(commandPath('tool')).toBe(join(dir, 'tool'));
      expect(commandPath('plain')).toBeUndefined();
      expect(commandPath('no-such-command-anywhere')).toBeUndefined();
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cloud-init schema accepts a valid document and rejects an invalid one', () => {
    if (!hasTool('cloud-init', 'cloud-init')) {
      return;
    }
    expect(cloudInitSchema('#cloud-config\npackages: [curl]\n').valid).toBe(true);
    const bad = cloudInitSchema('#cloud-config\npackages: 42\nwrite_files: [{content: x}]\n');
    expect(bad.valid).toBe(false);
    expect(bad.output).toMatch(/packages|write_files/);
  });

  test('shellcheck passes a clean script and reports a sloppy one', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    expect(shellcheck('#!/usr/bin/env bash\nset -euo pipefail\necho "$1"\n')).toBe('');
    expect(shellcheck('#!/usr/bin/env bash\nrm -rf $1/*\n')).toMatch(/SC2086/);
  });

  test('programs that differ only in plain setting values are read as one; any other value is read as written', () => {
    const program = (version: string, home: string) => `#!/usr/bin/env bash\nset -euo pipefail\nreadonly VERSION='${version}'\nreadonly HOME_DIR='${home}'\necho "$VERSION" "$HOME_DIR"\n`;
    expect(shellcheckForm(program('1.35.3', '/var/lib/kubelet'))).toBe(shellcheckForm(program('1.36.4', '/etc/kubernetes')));
    expect(shellcheckForm(program('1.35.3', '/var/lib/kubelet'))).toContain("readonly VERSION='value'\nreadonly HOME_DIR='value'\n");
    // A dollar sign, a space, a glob or a tilde is kept: shellcheck may have something to say.
    for (const value of ['$HOME', 'a b', '*.conf', '~/x', '{a,b}', '']) {
      expect(shellcheckForm(program(value, 'x'))).toContain(`readonly VERSION='${value}'`);
    }
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    expect(shellcheck(program('1.35.3', '/var/lib/kubelet'))).toBe('');
    expect(shellcheck(program('$HOME', '/var/lib/kubelet'))).toMatch(/SC2016/);
    const findings = shellcheckAll([program('1.35.3', '/x'), program('$HOME', '/x'), program('1.36.4', '/y')]);
    expect([...findings.values()].map((f) => /SC2016/.test(f))).toEqual([false, true, false]);
    expect(findings.get(program('$HOME', '/x'))).toMatch(/:3:18: note: Expressions don't expand in single quotes.*\[SC2016\]/);
  });
});
