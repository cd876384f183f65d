import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import type { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { Fn } from 'cdktf';
import type { NodeSecretsLocation } from '../bootstrap/cloud-init';
import { JOIN_TOKEN_PROGRAM_PATH, JOIN_TOKEN_TIMER, joinTokenProgram, joinTokenUnits } from '../bootstrap/join-token';
import { renderUnit, SYSTEMD_UNIT_DIR } from '../bootstrap/systemd';
import { terraformText } from '../util/terraform-text';
import type { NodeChannel } from './node-channel';

export interface JoinTokenRotationProps {
  readonly secrets: Omit<NodeSecretsLocation, 'channelDocuments'>;
}

/** What the channel adds for the join token: the installation on control-plane nodes and the on-demand document. */
export interface JoinTokenRotation {
  readonly installation: SsmAssociation;
  /** Runs `rotate` or `revoke` on demand (`aws ssm send-command`). */
  readonly document: SsmDocument;
}

const b64 = (text: string) => Fn.base64encode(terraformText(text));

/**
 * Installs the join-token rotation on every control-plane node through the channel (its program,
 * the service and its hourly timer) and adds the document people run to rotate or revoke at once.
 * The first control-plane node's bootstrap waits for the program and runs it once after
 * `kubeadm init`; nodes of clusters deployed earlier get it the same way.
 */
export function addJoinTokenRotation(channel: NodeChannel, props: JoinTokenRotationProps): JoinTokenRotation {
  const secrets = props.secrets;
  const program = joinTokenProgram({ region: secrets.region, parameterName: secrets.joinTokenParameter, kmsKeyId: secrets.kmsKeyId });
  const installation = channel.addInstallation('join-token-rotation', 'join-token-rotation', {
    description: 'Installs the join-token rotation: program, service and hourly timer',
    roles: ['control-plane'],
    files: [
      { path: JOIN_TOKEN_PROGRAM_PATH, contentBase64: b64(program), mode: '0755' },
      ...joinTokenUnits().map((unit) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Buffer.from(renderUnit(unit)).toString('base64'), mode: '0644' })),
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', JOIN_TOKEN_TIMER],
    ],
  });
  const document = channel.addDocument('join-token-document', 'join-token', {
    schemaVersion: '2.2',
    description: 'Rotates the join token now, or revokes every join token (the next rotation publishes a new one)',
    parameters: {
      action: { type: 'String', description: 'rotate or revoke', allowedValues: ['rotate', 'revoke'], default: 'rotate' },
    },
    mainSteps: [{ action: 'aws:runShellScript', name: 'joinToken', inputs: { runCommand: [`${JOIN_TOKEN_PROGRAM_PATH} {{ action }}`], timeoutSeconds: 900 } }],
  });
  return { installation, document };
}
