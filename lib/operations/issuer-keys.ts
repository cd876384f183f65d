import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { Fn } from 'cdktf';
import { renderUnit, SYSTEMD_UNIT_DIR } from '../bootstrap/systemd';
import { terraformText } from '../util/terraform-text';
import { ISSUER_KEYS_PROGRAM_PATH, ISSUER_KEYS_TIMER, IssuerKeysProgramProps, issuerKeysProgram, issuerKeysUnits } from '../bootstrap/issuer-keys';
import type { NodeChannel } from './node-channel';

/**
 * Installs the service-account key publication on every control-plane node through the channel:
 * the program, its service and an hourly timer, and runs it once (a node without an API server yet
 * skips; the first control-plane node's bootstrap runs it after `kubeadm init`).
 */
export function addIssuerKeysPublication(channel: NodeChannel, props: IssuerKeysProgramProps): SsmAssociation {
  return channel.addInstallation('issuer-keys', 'issuer-keys', {
    description: "Installs the publication of the API server's service-account keys: program, service and hourly timer",
    roles: ['control-plane'],
    files: [
      { path: ISSUER_KEYS_PROGRAM_PATH, contentBase64: Fn.base64encode(terraformText(issuerKeysProgram(props))), mode: '0755' },
      ...issuerKeysUnits().map((unit) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Buffer.from(renderUnit(unit)).toString('base64'), mode: '0644' })),
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', ISSUER_KEYS_TIMER],
      [ISSUER_KEYS_PROGRAM_PATH],
    ],
  });
}
