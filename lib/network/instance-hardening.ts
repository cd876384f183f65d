import type { InstanceMetadataOptions, InstanceRootBlockDevice } from '@cdktf/provider-aws/lib/instance';
import type { LaunchTemplateBlockDeviceMappings, LaunchTemplateMetadataOptions } from '@cdktf/provider-aws/lib/launch-template';
import { ProblemList } from '../plan/problems';

// Pure values for the nodes layer; type-only imports keep the provider bindings out of the runtime.

/**
 * Instance metadata with IMDSv2 only: session tokens defeat SSRF-style reads of the node's
 * credentials. The hop limit of 1 keeps the metadata service, and with it the node's user-data
 * (the control plane's carries the cluster CA keys, a worker's the bootstrap token) and its
 * instance role, out of reach of ordinary pods, which sit one network hop behind the node.
 * Fits both `aws_instance` and `aws_launch_template` `metadata_options`.
 */
export const NODE_METADATA_OPTIONS: Readonly<InstanceMetadataOptions & LaunchTemplateMetadataOptions> = Object.freeze({
  httpEndpoint: 'enabled',
  httpTokens: 'required',
  httpPutResponseHopLimit: 1,
});

/**
 * The same with a hop limit of 2, so that pods can reach the metadata service, as AWS
 * integrations that run as pods and use the node's role expect. Pods can then also read the
 * node's user-data.
 */
export const POD_REACHABLE_METADATA_OPTIONS: Readonly<InstanceMetadataOptions & LaunchTemplateMetadataOptions> = Object.freeze({
  ...NODE_METADATA_OPTIONS,
  httpPutResponseHopLimit: 2,
});

/** Root volume size that holds the OS, kubelet's state and a fair set of container images. */
export const DEFAULT_ROOT_VOLUME_SIZE_GIB = 30;
/** Smallest root volume: the common Linux AMIs ship an 8 GiB root snapshot. */
export const MIN_ROOT_VOLUME_SIZE_GIB = 8;
/** Largest gp3 volume. */
export const MAX_ROOT_VOLUME_SIZE_GIB = 16384;

export interface RootVolumeOptions {
  /**
   * Size of the root volume in GiB.
   * @default 30
   */
  readonly sizeGiB?: number;
  /**
   * KMS key to encrypt the volume with.
   * @default - the account's default EBS key (aws/ebs)
   */
  readonly kmsKeyId?: string;
}

/** Encrypted gp3 root volume for `aws_instance.root_block_device`. */
export function instanceRootBlockDevice(options: RootVolumeOptions = {}): InstanceRootBlockDevice {
  const sizeGiB = checkedSize(options);
  return {
    volumeType: 'gp3',
    volumeSize: sizeGiB,
    encrypted: true,
    deleteOnTermination: true,
    ...(options.kmsKeyId !== undefined ? { kmsKeyId: options.kmsKeyId } : {}),
  };
}

/**
 * Encrypted gp3 root volume for `aws_launch_template.block_device_mappings`. A launch template
 * names the root device explicitly; it must be the AMI's root device name (`aws_ami.root_device_name`,
 * for example `/dev/sda1` on Ubuntu, `/dev/xvda` on Amazon Linux and Debian), or the instance gets a
 * second, unused volume instead.
 */
export function launchTemplateRootBlockDevice(deviceName: string, options: RootVolumeOptions = {}): LaunchTemplateBlockDeviceMappings {
  const sizeGiB = checkedSize(options);
  return {
    deviceName,
    ebs: {
      volumeType: 'gp3',
      volumeSize: sizeGiB,
      // The launch-template schema takes these flags as strings.
      encrypted: 'true',
      deleteOnTermination: 'true',
      ...(options.kmsKeyId !== undefined ? { kmsKeyId: options.kmsKeyId } : {}),
    },
  };
}

function checkedSize(options: RootVolumeOptions): number {
  const sizeGiB = options.sizeGiB ?? DEFAULT_ROOT_VOLUME_SIZE_GIB;
  if (!Number.isInteger(sizeGiB) || sizeGiB < MIN_ROOT_VOLUME_SIZE_GIB || sizeGiB > MAX_ROOT_VOLUME_SIZE_GIB) {
    const problems = new ProblemList();
    problems.add('sizeGiB', sizeGiB, `a gp3 root volume is a whole number of GiB from ${MIN_ROOT_VOLUME_SIZE_GIB} (the AMI's snapshot) to ${MAX_ROOT_VOLUME_SIZE_GIB}`, `use a whole number in that range; ${DEFAULT_ROOT_VOLUME_SIZE_GIB} is the default`);
    problems.throwIfAny();
  }
  return sizeGiB;
}
