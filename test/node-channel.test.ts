import { installationProgram } from '../lib/operations/ssm-documents';
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
    expect(synth.resources('aws_instance')[0][1].tags['cdktf-kubeadm-cluster/demo']).toBe('control-plane');
    const [, template] = synth.resources('aws_launch_template')[0];
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
});
