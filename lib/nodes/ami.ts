import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { ProblemList } from '../plan/problems';
import { TerraformData } from '../util/terraform-data';
import { Architecture, ubuntuAmiParameter } from './architecture';

export interface UbuntuImageOptions {
  /**
   * A label of your choosing for the image generation the nodes run, for example `'2026-12'`.
   * The image id is read from Canonical's parameter once, when the nodes are first created, and
   * kept: Canonical publishing a newer image changes nothing. Changing this label reads the
   * parameter again at the next deploy, which gives worker pools a new launch template version
   * (they roll: new nodes first, old ones only as new ones are Ready) and leaves running control-plane
   * nodes alone.
   * @default - the image of the first deploy, kept until this label is set or changed
   */
  readonly refresh?: string;
}

/**
 * Where a node's machine image comes from. Get one from the static factories.
 */
export abstract class MachineImage {
  /**
   * Ubuntu 24.04 LTS from Canonical's public SSM parameter, for the instance type's architecture,
   * resolved once and then kept until `refresh` changes.
   */
  public static ubuntu2404(options: UbuntuImageOptions = {}): MachineImage {
    return new UbuntuImage(options.refresh);
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

  /** Adds a problem for each bad option, with its property under `property`. */
  public check(_problems: ProblemList, _property: string): void {}
}

/** Canonical's Ubuntu AMIs boot from /dev/sda1. */
export const UBUNTU_ROOT_DEVICE = '/dev/sda1';

/** The key of the resolved image id in the pinning `terraform_data`'s input and output. */
export const PINNED_IMAGE_KEY = 'ami_id';

/** EC2 image ids: `ami-` and 8 (older) or 17 hexadecimal digits (EC2 API reference, resource IDs). */
const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

const REFRESH_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

class UbuntuImage extends MachineImage {
  public readonly rootDeviceName = UBUNTU_ROOT_DEVICE;

  constructor(private readonly refresh: string | undefined) {
    super();
  }

  public amiId(scope: Construct, architecture: Architecture): string {
    const id = `ubuntu-2404-${architecture}-ami`;
    const existing = scope.node.tryFindChild(`${id}-pinned`) as TerraformData | undefined;
    if (existing) {
      return existing.output.lookup(PINNED_IMAGE_KEY) as string;
    }
    // Canonical's parameter moves whenever a new image is published; the data source is read at
    // every plan. Its value is copied once into a terraform_data whose input changes are ignored,
    // so nodes follow a new image only when `refresh` (a replacement trigger) changes.
    const latest = new DataAwsSsmParameter(scope, id, { name: ubuntuAmiParameter(architecture) });
    const pinned = new TerraformData(scope, `${id}-pinned`, {
      input: { [PINNED_IMAGE_KEY]: latest.insecureValue },
      triggersReplace: this.refresh === undefined ? undefined : { refresh: this.refresh },
      lifecycle: { ignoreChanges: ['input'] },
    });
    return pinned.output.lookup(PINNED_IMAGE_KEY) as string;
  }

  public check(problems: ProblemList, property: string): void {
    if (this.refresh !== undefined && !REFRESH_LABEL.test(this.refresh)) {
      problems.add(`${property}.refresh`, this.refresh, 'is a label of 1 to 64 letters, digits, dots, colons, dashes or underscores, starting with a letter or digit', "use a date-like label such as '2026-12', and change it to move to a newer image");
    }
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

  public check(problems: ProblemList, property: string): void {
    // A token (an id looked up at deploy time) is checked by AWS; a literal is checked here.
    if (!Token.isUnresolved(this.id) && !AMI_ID.test(this.id)) {
      problems.add(`${property}.amiId`, this.id, "is not an AMI id ('ami-' and 8 or 17 lowercase hex digits)", "copy the id from the EC2 console or 'aws ec2 describe-images', for example ami-0123456789abcdef0");
    }
  }
}
