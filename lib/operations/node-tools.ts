import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { NODE_AWS_COMMAND_SOURCE, PHASE_MARKER_DIR } from '../bootstrap/bootstrap-program';
import { SHARED_FUNCTIONS } from '../bootstrap/node-program';
import { nodeAwsCommand } from '../bootstrap/cloud-init';
import type { NodeChannel } from './node-channel';

/**
 * Boto3 comes from Ubuntu's archive (the AWS CLI is not in it). The bootstrap installs it in its
 * one apt transaction, so on a node still booting this leaves apt alone (a second apt run would
 * wait on the bootstrap's lock, and the bootstrap on it); nodes of clusters deployed by an earlier
 * release get it here, with the package lists refreshed first and apt retried. A real AWS CLI,
 * where the image has one, is left alone.
 */
export const NODE_TOOLS_PREPARE = `
${SHARED_FUNCTIONS.aptGet}
if ! command -v aws > /dev/null && ! /usr/bin/python3 -c 'import boto3' 2> /dev/null; then
  if [ ! -f '${PHASE_MARKER_DIR}/packages.done' ] && [ ! -f '${PHASE_MARKER_DIR}/complete' ]; then
    log 'the bootstrap installs python3-boto3 with its packages; the next scheduled run checks again'
  else
    log 'installing python3-boto3 for the node AWS command'
    export DEBIAN_FRONTEND=noninteractive
    apt_get update
    apt_get install python3-boto3
  fi
fi
`;

const LINK = `
if [ ! -e /usr/local/bin/aws ] || [ -L /usr/local/bin/aws ]; then
  ln -sfn '${NODE_AWS_COMMAND_SOURCE}' /usr/local/bin/aws
fi
`;

/**
 * Installs the node AWS command on every node through the channel: the programs on the nodes read
 * their secrets and publish the join token with it. Booting nodes have it from user-data already;
 * this brings changes to running nodes, and the command to nodes of clusters deployed earlier.
 */
export function addNodeTools(channel: NodeChannel): SsmAssociation {
  return channel.addInstallation('node-tools', 'node-tools', {
    description: 'Installs the node AWS command (a subset of the AWS CLI on Ubuntu boto3)',
    roles: ['control-plane', 'worker'],
    prepare: NODE_TOOLS_PREPARE,
    files: [{ path: NODE_AWS_COMMAND_SOURCE, contentBase64: Buffer.from(nodeAwsCommand()).toString('base64'), mode: '0755' }],
    commands: [],
    finish: LINK,
  });
}
