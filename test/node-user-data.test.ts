import { parse, parseAllDocuments } from 'yaml';
import { EXAMPLES } from '../examples/synth';
import { NODE_AWS_COMMAND_SOURCE } from '../lib/bootstrap/bootstrap-program';
import { nodeAwsCommand } from '../lib/bootstrap/cloud-init';
import { synthesisedExample } from './support/example-synth';
import { TerraformFiller } from './support/terraform-fill';
import { cloudInitSchema, cloudInitSchemaAll, hasTool, shellcheck, shellcheckAll } from './support/validators';

// Every node's user-data and launch template as EC2 would receive them: taken from the synthesised
// stack of each example, evaluated with realistic values for the Terraform attributes, decoded
// layer by layer (base64, gzip, write_files encodings), then held to the secrets rules and checked
// by cloud-init's own schema validator and shellcheck.

interface NodeUserData {
  readonly example: string;
  readonly node: string;
  readonly controlPlane: boolean;
  /** The synthesised attribute, with its Terraform expressions. */
  readonly attribute: string;
  /** The resource it belongs to, whole. */
  readonly resource: Record<string, unknown>;
  /** What EC2 receives (gzip). */
  readonly bytes: Buffer;
  readonly text: string;
}

interface WriteFile {
  path: string;
  content: string;
  encoding?: string;
  permissions?: string;
  owner?: string;
}

function userDataOf(example: string): NodeUserData[] {
  const synth = synthesisedExample(example);
  const filler = new TerraformFiller();
  const decode = (node: string, controlPlane: boolean, attribute: string, resource: Record<string, unknown>): NodeUserData => ({
    example,
    node,
    controlPlane,
    attribute,
    resource,
    ...filler.decodeUserData(attribute),
  });
  return [
    ...synth.resources('aws_instance').map(([id, r]) => decode(id, true, r.user_data_base64, r)),
    // Self-healing control-plane nodes are launch templates too.
    ...synth.resources('aws_launch_template').map(([id, r]) => decode(id, /_control-plane_/.test(id), r.user_data, r)),
  ];
}

const all = Object.keys(EXAMPLES).flatMap(userDataOf);
const cases = all.map((u) => [`${u.example} ${u.node}`, u] as const);

function writeFiles(userData: string): WriteFile[] {
  return (parse(userData) as { write_files: WriteFile[] }).write_files;
}

function contentOf(file: WriteFile): string {
  if (file.encoding === 'b64') {
    return Buffer.from(file.content, 'base64').toString('utf8');
  }
  expect(file.encoding).toBeUndefined();
  return file.content;
}

/** Every text the node ends up with: the user-data itself and each file it writes, decoded. */
function everyLayer(u: NodeUserData): string[] {
  return [u.text, ...writeFiles(u.text).map(contentOf)];
}

// What a secret looks like once decoded: a private key, or a kubeadm bootstrap token.
const PRIVATE_KEY = /PRIVATE KEY/;
const BOOTSTRAP_TOKEN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/;

/**
 * The Terraform values user-data may reference: public certificates, addresses, the region and
 * names. Never a private key, a random value, a parameter's value or a secret version.
 */
const ALLOWED_REFERENCES = [
  /^tls_self_signed_cert\.[\w-]+\.cert_pem$/,
  /^aws_eip\.[\w-]+\.public_ip$/,
  /^aws_lb\.[\w-]+\.dns_name$/,
  /^data\.aws_region\.[\w-]+\.region$/,
  /^aws_kms_alias\.[\w-]+\.name$/,
  /^aws_ssm_parameter\.[\w-]+\.name$/,
  // A control-plane node's own etcd volume, which it attaches at boot.
  /^aws_ebs_volume\.[\w-]+\.id$/,
  // The service-account issuer's bucket (the key publication writes to it) and the distribution
  // that serves it: its host name is the issuer URL every token carries.
  /^aws_s3_bucket\.[\w-]+\.bucket$/,
  /^aws_cloudfront_distribution\.[\w-]+\.domain_name$/,
];

describe('node user-data from the synthesised examples', () => {
  test('covers every node kind of every example', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(all.some((u) => /kind: 'JoinConfiguration'/.test(u.text) && /controlPlane:/.test(u.text))).toBe(true);
    expect(all.some((u) => /kind: 'InitConfiguration'/.test(u.text))).toBe(true);
  });

  test.each(cases)('%s: no key or token text in any layer', (_, u) => {
    for (const layer of everyLayer(u)) {
      expect(layer).not.toMatch(PRIVATE_KEY);
      expect(layer).not.toMatch(BOOTSTRAP_TOKEN);
    }
    expect(u.text).not.toContain('TfToken');
  });

  test.each(cases)('%s: references only public values and names', (_, u) => {
    const references = TerraformFiller.references(u.attribute);
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) {
      expect([reference, ALLOWED_REFERENCES.some((p) => p.test(reference))]).toEqual([reference, true]);
    }
    // Nothing else in the resource points at a secret either (the launch template as a whole).
    const whole = JSON.stringify(u.resource);
    expect(whole).not.toMatch(/tls_private_key|random_|(?<!data\.)aws_ssm_parameter\.[\w-]+\.(value|insecure_value)|secretsmanager_secret_version/);
  });

  // Every node carries the node AWS command (about 6 KB compressed), so that no first boot waits for
  // the SSM channel; 2 KB stay free under EC2's limit for what later releases add.
  test.each(cases)('%s: at most 14 KB as EC2 receives it', (_, u) => {
    expect(u.bytes.length).toBeLessThanOrEqual(14 * 1024);
  });

  test.each(cases)('%s: within EC2 16 KB limit, compressed, and cloud-init reads gzip', (_, u) => {
    expect(u.bytes.length).toBeLessThan(16384);
    expect([u.bytes[0], u.bytes[1]]).toEqual([0x1f, 0x8b]);
  });

  test.each(cases)('%s: no kubeadm token that never expires', (_, u) => {
    for (const file of writeFiles(u.text).filter((f) => /kubeadm\.yaml/.test(f.path))) {
      for (const doc of parseAllDocuments(contentOf(file)).map((d) => d.toJS())) {
        for (const token of doc.bootstrapTokens ?? []) {
          expect(token.ttl).toMatch(/^\d+[hm]$/);
          expect(token.ttl).not.toMatch(/^0/);
          expect(token.token).toBeUndefined();
        }
      }
    }
  });

  test.each(cases.filter(([, u]) => u.controlPlane && /InitConfiguration/.test(u.text)))('%s: the control plane carries the encryption-at-rest settings', (_, u) => {
    const config = writeFiles(u.text).find((f) => f.path === '/etc/kubeadm-bootstrap/kubeadm.yaml')!;
    const cluster = parseAllDocuments(contentOf(config))
      .map((d) => d.toJS())
      .find((d) => d.kind === 'ClusterConfiguration');
    expect(cluster.apiServer.extraArgs).toContainEqual({ name: 'encryption-provider-config', value: '/etc/kubernetes/encryption/config.yaml' });
    expect(cluster.apiServer.extraVolumes).toContainEqual(expect.objectContaining({ hostPath: '/etc/kubernetes/encryption', readOnly: true }));
  });

  // Every node's document goes through cloud-init's own validator, a few processes at a time.
  let schemaResults: Map<string, { valid: boolean; output: string }> | undefined;
  beforeAll(async () => {
    if (hasTool('cloud-init', 'cloud-init')) {
      schemaResults = await cloudInitSchemaAll(all.map((u) => u.text));
    }
  });

  test.each(cases)('%s passes cloud-init schema', (_, u) => {
    if (!hasTool('cloud-init', 'cloud-init')) {
      return;
    }
    const result = schemaResults!.get(u.text)!;
    expect(result.output).toMatch(/^Valid cloud-config/m);
    expect(result.valid).toBe(true);
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

  // One shellcheck run over every node's bootstrap program, read by each node's test.
  let findings: Map<string, string> | undefined;
  const bootstrapOf = (u: NodeUserData) => writeFiles(u.text).map(contentOf).filter((c) => c.startsWith('#!/usr/bin/env bash'));
  const findingsOf = (script: string) => (findings ??= shellcheckAll(all.flatMap(bootstrapOf))).get(script);

  test.each(cases)('%s carries the shellcheck-clean bootstrap program and the node AWS command, nothing else', (_, u) => {
    const programs = writeFiles(u.text).map(contentOf).filter((c) => c.startsWith('#!'));
    const bash = programs.filter((p) => p.startsWith('#!/usr/bin/env bash'));
    // The bootstrap, and the AWS command it and the later programs use; the programs the first
    // control-plane node runs after init come from the channel's documents, which it reads itself.
    expect(bash).toHaveLength(1);
    expect(programs).toHaveLength(2);
    expect(writeFiles(u.text).find((f) => f.path === NODE_AWS_COMMAND_SOURCE)).toMatchObject({ permissions: '0755', owner: 'root:root' });
    expect(contentOf(writeFiles(u.text).find((f) => f.path === NODE_AWS_COMMAND_SOURCE)!)).toBe(nodeAwsCommand());
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(findingsOf(bash[0])).toBe('');
    }
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

  test('configuration files with secrets on the way are root-only; programs are root-owned', () => {
    for (const u of all) {
      for (const file of writeFiles(u.text)) {
        if (/kubeadm\.yaml|discovery\.conf/.test(file.path)) {
          expect([file.path, file.owner, file.permissions]).toEqual([file.path, 'root:root', '0600']);
        }
        if (contentOf(file).startsWith('#!')) {
          expect([file.path, file.owner, file.permissions]).toEqual([file.path, 'root:root', '0755']);
        }
      }
    }
  });
});
