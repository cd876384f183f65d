import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { Fn } from 'cdktf';
import { renderUnit, SYSTEMD_UNIT_DIR } from '../bootstrap/systemd';
import { terraformText } from '../util/terraform-text';
import {
  KUBELET_SERVING_PROGRAM_PATH,
  KUBELET_SERVING_SERVICE,
  KUBELET_SERVING_TIMER,
  kubeletServingProgram,
  kubeletServingUnits,
} from './kubelet-serving-certificate-program';
import type { NodeChannel } from './node-channel';

/**
 * Installs, through the SSM channel, the program that gives every control-plane kubelet a serving
 * certificate signed by the cluster CA (see kubelet-serving-certificate-program.ts). The channel is
 * how new and already-deployed control-plane nodes alike get it: their user-data is never applied
 * again. Each run of the association (on registration, on a change and every 30 minutes) also
 * starts the check, which does nothing once the certificate is in place.
 */
export function addControlPlaneKubeletCertificates(channel: NodeChannel): SsmAssociation {
  return channel.addInstallation('kubelet-serving-certificate', 'kubelet-serving-certificate', {
    description: "Installs the control-plane kubelets' serving certificate from the cluster CA: program, service and hourly timer",
    roles: ['control-plane'],
    files: [
      { path: KUBELET_SERVING_PROGRAM_PATH, contentBase64: Fn.base64encode(terraformText(kubeletServingProgram())), mode: '0755' },
      ...kubeletServingUnits().map((unit) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Buffer.from(renderUnit(unit)).toString('base64'), mode: '0644' })),
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', KUBELET_SERVING_TIMER],
      ['systemctl', 'start', '--no-block', KUBELET_SERVING_SERVICE],
    ],
  });
}
