import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { Fn } from 'cdktf';
import type { ChannelProgram } from '../bootstrap/bootstrap-program';
import { RECOVERY_LIBRARY } from '../bootstrap/phases/recovery-library';
import { terraformText } from '../util/terraform-text';
import type { NodeChannel } from './node-channel';

/** Where control-plane nodes keep the bootstrap's recovery library. */
export const RECOVERY_LIBRARY_PATH = '/usr/local/lib/kubeadm-bootstrap/control-plane-recovery';

/**
 * Installs the bootstrap's recovery library (fencing old etcd members before a restore, removing a
 * stale member before a join) on control-plane nodes through the channel. Nothing runs it on its
 * own: a booting control-plane node installs it from the same document when it needs it.
 */
export function addControlPlaneRecoveryLibrary(channel: NodeChannel): { readonly installation: SsmAssociation; readonly library: ChannelProgram } {
  const installation = channel.addInstallation('control-plane-recovery', 'control-plane-recovery', {
    description: "Installs the control-plane bootstrap's recovery library (fencing before a restore, stale etcd members before a join)",
    roles: ['control-plane'],
    files: [{ path: RECOVERY_LIBRARY_PATH, contentBase64: Fn.base64encode(terraformText(RECOVERY_LIBRARY)), mode: '0755' }],
    commands: [],
  });
  return { installation, library: { path: RECOVERY_LIBRARY_PATH, document: channel.resourceName('control-plane-recovery') } };
}
