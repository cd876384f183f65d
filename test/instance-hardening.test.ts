import { Instance } from '@cdktf/provider-aws/lib/instance';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { TerraformStack } from 'cdktf';
import { DEFAULT_ROOT_VOLUME_SIZE_GIB, instanceRootBlockDevice, launchTemplateRootBlockDevice, NODE_METADATA_OPTIONS, POD_REACHABLE_METADATA_OPTIONS } from '../lib/network/instance-hardening';
import { ClusterConfigError } from '../lib/plan/problems';
import { synthStack } from './support/synth';

type Json = Record<string, any>;

function synth(build: (stack: TerraformStack) => void): Json {
  return synthStack(build).json;
}

describe('instance hardening', () => {
  test('IMDSv2 required, hop limit 2, endpoint on', () => {
    expect(NODE_METADATA_OPTIONS).toEqual({ httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 });
    expect(POD_REACHABLE_METADATA_OPTIONS).toEqual({ httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 2 });
    expect(Object.isFrozen(NODE_METADATA_OPTIONS)).toBe(true);
  });

  test('encrypted gp3 root volume of 30 GiB by default', () => {
    expect(DEFAULT_ROOT_VOLUME_SIZE_GIB).toBe(30);
    expect(instanceRootBlockDevice()).toEqual({ volumeType: 'gp3', volumeSize: 30, encrypted: true, deleteOnTermination: true });
    expect(launchTemplateRootBlockDevice('/dev/sda1', { sizeGiB: 50, kmsKeyId: 'alias/nodes' })).toEqual({
      deviceName: '/dev/sda1',
      ebs: { volumeType: 'gp3', volumeSize: 50, encrypted: 'true', deleteOnTermination: 'true', kmsKeyId: 'alias/nodes' },
    });
  });

  test('the same values fit aws_instance and aws_launch_template', () => {
    const json = synth((stack) => {
      new Instance(stack, 'node', { ami: 'ami-0123456789abcdef0', instanceType: 't3.medium', metadataOptions: NODE_METADATA_OPTIONS, rootBlockDevice: instanceRootBlockDevice() });
      new LaunchTemplate(stack, 'pool', { imageId: 'ami-0123456789abcdef0', metadataOptions: NODE_METADATA_OPTIONS, blockDeviceMappings: [launchTemplateRootBlockDevice('/dev/xvda')] });
    });
    const metadata = { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 };
    const instance = Object.values<Json>(json.resource.aws_instance)[0];
    expect(instance.metadata_options).toEqual(metadata);
    expect(instance.root_block_device).toEqual({ volume_type: 'gp3', volume_size: 30, encrypted: true, delete_on_termination: true });
    const template = Object.values<Json>(json.resource.aws_launch_template)[0];
    expect(template.metadata_options).toEqual(metadata);
    expect(template.block_device_mappings).toEqual([{ device_name: '/dev/xvda', ebs: { volume_type: 'gp3', volume_size: 30, encrypted: 'true', delete_on_termination: 'true' } }]);
  });

  test.each([0, 7, 12.5, 20000])('a root volume of %p GiB is refused with the fix', (sizeGiB) => {
    expect(() => instanceRootBlockDevice({ sizeGiB })).toThrow(ClusterConfigError);
    expect(() => launchTemplateRootBlockDevice('/dev/xvda', { sizeGiB })).toThrow(/sizeGiB = .*Fix: use a whole number/);
  });
});
