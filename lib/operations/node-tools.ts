import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { NODE_AWS_COMMAND_SOURCE } from '../bootstrap/bootstrap-program';
import { nodeAwsCommand } from '../bootstrap/cloud-init';
import type { NodeChannel } from './node-channel';

/**
 * Boto3 comes from Ubuntu's archive (the AWS CLI is not in it). The bootstrap installs it with the
 * other packages; nodes of clusters deployed by an earlier release get it here. A real AWS CLI,
 * where the image has one, is left alone.
 */
const PREPARE = `
if ! command -v aws > /dev/null && ! /usr/bin/python3 -c 'import boto3' 2> /dev/null; then
  log 'installing python3-boto3 for the node AWS command'
  DEBIAN_FRONTEND=noninteractive apt-get -qy -o DPkg::Lock::Timeout=300 install python3-boto3
fi
`;

const LINK = `
if [ ! -e /usr/local/bin/aws ] || [ -L /usr/local/bin/aws ]; then
  ln -sfn '${NODE_AWS_COMMAND_SOURCE}' /usr/local/bin/aws
fi
`;

/**
 * Installs the node AWS command on every node through the channel: the programs on the nodes read
 * their secrets and publish the join token with it. Nodes that boot later get it when their SSM
 * agent registers, while their packages install; their bootstrap waits for it.
 */
export function addNodeTools(channel: NodeChannel): SsmAssociation {
  return channel.addInstallation('node-tools', 'node-tools', {
    description: 'Installs the node AWS command (a subset of the AWS CLI on Ubuntu boto3)',
    roles: ['control-plane', 'worker'],
    prepare: PREPARE,
    files: [{ path: NODE_AWS_COMMAND_SOURCE, contentBase64: Buffer.from(nodeAwsCommand()).toString('base64'), mode: '0755' }],
    commands: [],
    finish: LINK,
  });
}
