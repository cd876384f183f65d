import { cloudInitSchema, hasTool, shellcheck } from './support/validators';

// The validators themselves must be able to say no, or the tests that rely on them prove nothing.
describe('validators', () => {
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
