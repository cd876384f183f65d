import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { EXAMPLES } from '../examples/synth';
import { INSTALLATION_SCHEDULE } from '../lib/operations/node-channel';
import { NODE_TOOLS_PREPARE } from '../lib/operations/node-tools';
import { installationProgram } from '../lib/operations/ssm-documents';
import { APT_GET } from './support/bootstrap-node';
import { synthesisedExample } from './support/example-synth';
import { NodeSandbox } from './support/node-sandbox';
import { TerraformFiller } from './support/terraform-fill';
import { hasTool, shellcheck } from './support/validators';

// The SSM channel to running nodes: documents and the associations that apply them by tag.

const synth = synthesisedExample('default');
const documents = new Map(synth.resources('aws_ssm_document').map(([id, d]) => [d.name as string, { id, ...d }]));
const associations = new Map(synth.resources('aws_ssm_association').map(([, a]) => [a.association_name as string, a]));
const filler = new TerraformFiller();

/** The program a document runs, as the node gets it. */
function programOf(documentName: string): string {
  const content = JSON.parse(filler.evaluate(documents.get(documentName)!.content));
  const line = content.mainSteps[0].inputs.runCommand.find((l: string) => l.includes('base64 -d'));
  const encoded = /printf '%s' '(.*)' \| base64 -d/.exec(line)![1];
  return Buffer.from(encoded, 'base64').toString('utf8');
}

describe('the SSM channel', () => {
  test('associations target the cluster nodes by their role tag, which every node carries', () => {
    expect(associations.get('demo-node-tools')!.targets).toEqual([{ key: 'tag:cdktf-kubeadm-cluster/demo', values: ['control-plane', 'worker'] }]);
    expect(associations.get('demo-join-token-rotation')!.targets).toEqual([{ key: 'tag:cdktf-kubeadm-cluster/demo', values: ['control-plane'] }]);
    // A control-plane group puts the role tag on every instance it launches.
    expect(synth.resources('aws_autoscaling_group').find(([id]) => id.includes('_control-plane_'))![1].tag).toContainEqual({ key: 'cdktf-kubeadm-cluster/demo', value: 'control-plane', propagate_at_launch: true });
    const [, template] = synth.resources('aws_launch_template').find(([id]) => !id.includes('_control-plane_'))!;
    expect(template.tag_specifications.find((t: { resource_type: string }) => t.resource_type === 'instance').tags['cdktf-kubeadm-cluster/demo']).toBe('worker');
  });

  test('an association follows its document: a changed document reaches running nodes on the next deploy', () => {
    expect(associations.size).toBeGreaterThan(2);
    for (const [, association] of associations) {
      const id = /^\$\{aws_ssm_document\.([\w-]+)\.name\}$/.exec(association.name)![1];
      expect([...documents.values()].map((d) => d.id)).toContain(id);
      expect(association.document_version).toBe(`\${aws_ssm_document.${id}.latest_version}`);
    }
    // Installations carry their document's name.
    expect(documents.get('demo-node-tools')!.id).toBe(/aws_ssm_document\.([\w-]+)\.name/.exec(associations.get('demo-node-tools')!.name)![1]);
  });

  test('the installation programs are shellcheck-clean and install files atomically', () => {
    for (const name of ['demo-node-tools', 'demo-join-token-rotation']) {
      const program = programOf(name);
      expect(program).toMatch(/^#!\/usr\/bin\/env bash/);
      if (hasTool('shellcheck', 'shellcheck')) {
        expect(shellcheck(program)).toBe('');
      }
    }
    expect(programOf('demo-join-token-rotation')).toContain('systemctl enable --now kubeadm-join-token.timer');
  });

  test('every document fits the 64 KB limit of SSM once Terraform filled it in', () => {
    for (const [name, document] of documents) {
      expect([name, Buffer.byteLength(filler.evaluate(document.content)) <= 64 * 1024]).toEqual([name, true]);
    }
  });

  test('an installation program writes every file whole and runs its commands', () => {
    const s = new NodeSandbox();
    try {
      s.standIn('systemctl', 'exit 0');
      const target = s.path('/usr/local/sbin/tool');
      const program = installationProgram({
        name: 'test',
        description: 'test',
        files: [{ path: target, contentBase64: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), mode: '0755' }],
        commands: [['systemctl', 'daemon-reload']],
      });
      const result = s.run(program);
      expect(result.status).toBe(0);
      expect(s.readFile('/usr/local/sbin/tool')).toBe('#!/bin/sh\necho hi\n');
      expect(s.callLines('systemctl')).toEqual(['systemctl daemon-reload']);
    } finally {
      s.cleanup();
    }
  });

  test('the join-token document rotates or revokes on demand, and the output says how', () => {
    const content = JSON.parse(documents.get('demo-join-token')!.content);
    expect(content.parameters.action.allowedValues).toEqual(['rotate', 'revoke']);
    expect(content.mainSteps[0].inputs.runCommand).toEqual(['/usr/local/sbin/kubeadm-join-token {{ action }}']);
    const command = synth.json.output.demo_revoke_join_tokens_command.value as string;
    expect(command).toMatch(/^aws ssm send-command --region \$\{data\.aws_region\.[\w-]+\.region\} --document-name \$\{aws_ssm_document\.[\w-]+\.name\} --parameters action=revoke --targets Key=tag:cdktf-kubeadm-cluster\/demo,Values=control-plane$/);
  });

  test.each(Object.keys(EXAMPLES))('%s: every installation association runs on a schedule too, so a failed run heals by itself', (example) => {
    const installations = synthesisedExample(example).resources('aws_ssm_association').filter(([, a]) => !/kubernetes-upgrade/.test(a.association_name));
    expect(installations.length).toBeGreaterThanOrEqual(4);
    for (const [, association] of installations) {
      expect([association.association_name, association.schedule_expression]).toEqual([association.association_name, INSTALLATION_SCHEDULE]);
    }
    expect(INSTALLATION_SCHEDULE).toBe('rate(30 minutes)');
  });

  test('control-plane nodes may read the documents of the installations that target them, and no other document', () => {
    const policies = synth.resources('aws_iam_role_policy').filter(([, p]) => p.name === 'channel-documents');
    expect(policies).toHaveLength(1);
    expect(policies[0][1].role).toMatch(/aws_iam_role\.cluster_identities_control-plane_role/);
    const statements = JSON.parse(policies[0][1].policy).Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['ssm:GetDocument']);
    const controlPlaneInstallations = [...associations.values()].filter((a) => a.targets[0].values.includes('control-plane') && a.targets[0].key.startsWith('tag:'));
    const expected = controlPlaneInstallations.map((a) => a.name.replace(/\.name\}$/, '.arn}')).sort();
    expect([...statements[0].Resource].sort()).toEqual(expected);
  });

  test('the first control-plane node names in its bootstrap the documents the stack has, and runs their commands as the agent would', () => {
    const [, instance] = synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))!;
    const userData = filler.decodeUserData(instance.user_data).text;
    const files = (parse(userData) as { write_files: Array<{ path: string; content: string }> }).write_files;
    const bootstrap = files.find((f) => f.path === '/usr/local/sbin/kubeadm-bootstrap')!.content;
    const setting = (name: string) => new RegExp(`^readonly ${name}='([^']*)'$`, 'm').exec(bootstrap)![1];
    for (const name of ['JOIN_TOKEN_DOCUMENT', 'ISSUER_KEYS_DOCUMENT', 'ETCD_RESTORE_DOCUMENT']) {
      expect([name, documents.has(setting(name))]).toEqual([name, true]);
    }
    // The bootstrap's extraction of a document's commands gives exactly the lines the SSM agent runs.
    for (const name of [setting('JOIN_TOKEN_DOCUMENT'), setting('ISSUER_KEYS_DOCUMENT'), setting('ETCD_RESTORE_DOCUMENT')]) {
      const content = filler.evaluate(documents.get(name)!.content);
      const extracted = spawnSync('python3', ['-c', setting('DOCUMENT_COMMANDS')], { input: content, encoding: 'utf8' });
      expect(extracted.status).toBe(0);
      expect(extracted.stdout).toBe(`${JSON.parse(content).mainSteps[0].inputs.runCommand.join('\n')}\n`);
      expect(spawnSync('sh', ['-n'], { input: extracted.stdout }).status).toBe(0);
    }
  });

  test('node-tools leaves apt to a node still booting, and refreshes the lists and retries apt on a node that lacks boto3', () => {
    expect(programOf('demo-node-tools')).toContain("if [ ! -f '/var/lib/kubeadm-bootstrap/packages.done' ]");
    // Its preparation alone, run against stand-ins: the files it writes go to the node's own paths.
    const program = installationProgram({ name: 'node-tools', description: 'test', files: [], commands: [], prepare: NODE_TOOLS_PREPARE });
    const s = new NodeSandbox();
    try {
      s.standIn('apt-get', 'exit 0');
      // No aws and no boto3 on this node: the python3 stand-in cannot import it.
      s.standIn('python3', 'exit 1');
      const env = { PATH: `${s.bin}:/usr/bin:/bin` };
      const onlyCommand = (p: string) => p.replace(/\/usr\/bin\/python3/g, 'python3').replace(/'\/var\/lib\/kubeadm-bootstrap/g, `'${s.path('/var/lib/kubeadm-bootstrap')}`);
      const booting = s.run(onlyCommand(program), { env });
      expect(booting.status).toBe(0);
      expect(booting.output).toContain('the bootstrap installs python3-boto3 with its packages; the next scheduled run checks again');
      expect(s.callLines('apt-get')).toEqual([]);
      s.writeFile('/var/lib/kubeadm-bootstrap/complete', '');
      const booted = s.run(onlyCommand(program), { env });
      expect(booted.status).toBe(0);
      expect(s.callLines('apt-get')).toEqual([`${APT_GET} update`, `${APT_GET} install python3-boto3`]);
    } finally {
      s.cleanup();
    }
  });
});
