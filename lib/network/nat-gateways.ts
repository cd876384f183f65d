/**
 * How private subnets of a new VPC reach the internet. Each NAT gateway costs money by the hour and
 * lives in one zone, so the choice trades cost against surviving the loss of a zone.
 */
export class NatGateways {
  /**
   * No NAT gateway: private subnets get no default route, so nodes there cannot pull packages or
   * images. Put workers in the public subnets instead (`ClusterNetwork.workerSubnetIds` does so).
   */
  public static none(): NatGateways {
    return new NatGateways('none', () => 0, () => undefined);
  }

  /** One NAT gateway in the first zone, shared by every private subnet: cheapest with egress. */
  public static single(): NatGateways {
    return new NatGateways('single', (zones) => Math.min(1, zones), () => 0);
  }

  /** One NAT gateway per zone, so that losing a zone does not cut the others off the internet. */
  public static onePerZone(): NatGateways {
    return new NatGateways('one per zone', (zones) => zones, (zoneIndex) => zoneIndex);
  }

  private constructor(
    /** How the gateways are laid out, for messages. */
    public readonly description: string,
    private readonly countFor: (zoneCount: number) => number,
    private readonly gatewayFor: (zoneIndex: number) => number | undefined,
  ) {}

  /** Number of gateways for a VPC spread over `zoneCount` zones. */
  public count(zoneCount: number): number {
    return this.countFor(zoneCount);
  }

  /**
   * Index of the gateway (among `count(zoneCount)`) that the private subnet of zone `zoneIndex`
   * routes through, or undefined when it has none.
   */
  public gatewayIndexFor(zoneIndex: number): number | undefined {
    return this.gatewayFor(zoneIndex);
  }
}
