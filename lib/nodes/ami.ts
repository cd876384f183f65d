import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { Construct } from 'constructs';
import { Architecture, ubuntuAmiParameter } from './architecture';

/**
 * Where a node's machine image comes from. Get one from the static factories.
 */
export abstract class MachineImage {
  /** Ubuntu 24.04 LTS from Canonical's public SSM parameter, for the instance type's architecture. */
  public static ubuntu2404(): MachineImage {
    return new UbuntuImage();
  }

  /**
   * A fixed AMI id. It must be Ubuntu 24.04 or an image compatible with it (apt, systemd,
   * cloud-init), built for the instance types' architecture.
   * @param rootDeviceName the AMI's root device, which the launch template's volume settings target
   */
  public static fromAmiId(amiId: string, rootDeviceName = UBUNTU_ROOT_DEVICE): MachineImage {
    return new FixedImage(amiId, rootDeviceName);
  }

  /** The AMI's root device name. */
  public abstract readonly rootDeviceName: string;

  /** Returns the AMI id (a token when it is looked up at deploy time). */
  public abstract amiId(scope: Construct, architecture: Architecture): string;
}

/** Canonical's Ubuntu AMIs boot from /dev/sda1. */
export const UBUNTU_ROOT_DEVICE = '/dev/sda1';

class UbuntuImage extends MachineImage {
  public readonly rootDeviceName = UBUNTU_ROOT_DEVICE;

  public amiId(scope: Construct, architecture: Architecture): string {
    const id = `ubuntu-2404-${architecture}-ami`;
    const existing = scope.node.tryFindChild(id) as DataAwsSsmParameter | undefined;
    return (existing ?? new DataAwsSsmParameter(scope, id, { name: ubuntuAmiParameter(architecture) })).insecureValue;
  }
}

class FixedImage extends MachineImage {
  constructor(
    private readonly id: string,
    public readonly rootDeviceName: string,
  ) {
    super();
  }

  public amiId(): string {
    return this.id;
  }
}
