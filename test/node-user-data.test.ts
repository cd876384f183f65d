import { parse } from 'yaml';
import { EXAMPLES } from '../examples/synth';
import { synthesisedExample } from './support/example-synth';
import { TerraformFiller } from './support/terraform-fill';
import { cloudInitSchema, cloudInitSchemaAll, hasTool, shellcheck, shellcheckAll } from './support/validators';

// Every node's user-data as EC2 would receive it: taken from the synthesised stack of each example,
// with realistic values filled in for the Terraform attributes, then checked by cloud-init's own
// schema validator and shellcheck, and measured against EC2's 16 KB limit.

interface NodeUserData {
  readonly example: string;
  readonly node: string;
  readonly text: string;
}

function userDataOf(example: string): NodeUserData[] {
  const synth = synthesisedExample(example);
  const filler = new TerraformFiller();
  return [
    ...synth.resources('aws_instance').map(([id, r]) => ({ example, node: id, text: filler.decodeBase64Expression(r.user_data_base64) })),
    ...synth.resources('aws_launch_template').map(([id, r]) => ({ example, node: id, text: filler.decodeBase64Expression(r.user_data) })),
  ];
}

const all = Object.keys(EXAMPLES).flatMap(userDataOf);

function scripts(userData: string): string[] {
  const config = parse(userData) as { write_files: Array<{ content: string; encoding?: string }> };
  return config.write_files
    .map((f) => (f.encoding === 'b64' ? Buffer.from(f.content, 'base64').toString('utf8') : f.content))
    .filter((content) => content.startsWith('#!'));
}

describe('node user-data from the synthesised examples', () => {
  test('covers every node kind of every example', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(all.some((u) => u.text.includes('--control-plane') || /controlPlane:/.test(u.text))).toBe(true);
  });

  test.each(all.map((u) => [`${u.example} ${u.node}`, u]))('%s is under 16 KB with values filled in', (_, u) => {
    expect(Buffer.byteLength((u as NodeUserData).text)).toBeLessThan(16384);
    expect((u as NodeUserData).text).not.toContain('${');
  });

  // Every node's document goes through cloud-init's own validator, a few processes at a time.
  let schemaResults: Map<string, { valid: boolean; output: string }> | undefined;
  beforeAll(async () => {
    if (hasTool('cloud-init', 'cloud-init')) {
      schemaResults = await cloudInitSchemaAll(all.map((u) => u.text));
    }
  });

  test.each(all.map((u) => [`${u.example} ${u.node}`, u]))('%s passes cloud-init schema', (_, u) => {
    if (!hasTool('cloud-init', 'cloud-init')) {
      return;
    }
    const result = schemaResults!.get((u as NodeUserData).text)!;
    expect(result.output).toMatch(/^Valid cloud-config/m);
    expect(result.valid).toBe(true);
  });

  // One shellcheck run over every distinct script of every node, read by each node's test.
  let findings: Map<string, string> | undefined;
  const findingsOf = (script: string) => (findings ??= shellcheckAll(all.flatMap((u) => scripts(u.text)))).get(script);

  test.each(all.map((u) => [`${u.example} ${u.node}`, u]))('%s carries shellcheck-clean scripts', (_, u) => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    const found = scripts((u as NodeUserData).text);
    expect(found.length).toBeGreaterThan(0);
    for (const script of found) {
      expect(findingsOf(script)).toBe('');
    }
  });

  test('the shared cloud-init run tells a valid document from an invalid one', async () => {
    if (!hasTool('cloud-init', 'cloud-init')) {
      return;
    }
    const valid = '#cloud-config\nruncmd: [echo ok]\n';
    const invalid = '#cloud-config\nruncmd: 42\n';
    const results = await cloudInitSchemaAll([valid, invalid, valid]);
    expect(results.get(valid)!.valid).toBe(true);
    expect(cloudInitSchema(valid).valid).toBe(true);
    expect(results.get(invalid)!.valid).toBe(false);
    expect(results.get(invalid)!.output).toMatch(/runcmd/);
  });

  test('the shared shellcheck run attributes findings to the script that has them', () => {
    if (!hasTool('shellcheck', 'shellcheck')) {
      return;
    }
    const clean = '#!/bin/bash\necho "ok"\n';
    const unquoted = '#!/bin/bash\nfiles=$1\nrm $files\n';
    const result = shellcheckAll([clean, unquoted, clean]);
    expect(result.get(clean)).toBe('');
    expect(result.get(unquoted)).toMatch(/SC2086/);
    // The same finding shellcheck gives the script on its own.
    expect(shellcheck(unquoted)).toMatch(/SC2086/);
  });

  test('the PEMs arrive intact in the files the node writes', () => {
    const filler = new TerraformFiller();
    const synth = synthesisedExample('default');
    const [, instance] = synth.resources('aws_instance')[0];
    const config = parse(filler.decodeBase64Expression(instance.user_data_base64)) as { write_files: Array<{ path: string; content: string }> };
    const caKey = config.write_files.find((f) => f.path.endsWith('/ca.key'))!;
    const reference = /tls_private_key\.[\w-]*cluster-ca-key[\w-]*\.private_key_pem/.exec(instance.user_data_base64)![0];
    expect(Buffer.from(caKey.content, 'base64').toString()).toBe(filler.valueOf(reference));
    expect(Buffer.from(caKey.content, 'base64').toString()).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+\n-----END EC PRIVATE KEY-----\n$/);
  });
});
