import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudInitSchema, commandPath, hasTool, shellcheck } from './support/validators';

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
});
