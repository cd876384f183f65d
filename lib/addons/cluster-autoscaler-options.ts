import type { ProblemList } from '../plan/problems';

/** How the cluster autoscaler removes nodes it finds unneeded. */
export interface ClusterAutoscalerOptions {
  /**
   * How long a node must be unneeded before the autoscaler removes it (`--scale-down-unneeded-time`).
   * @default 10
   */
  readonly scaleDownUnneededMinutes?: number;
  /**
   * A node whose pods request less than this share of its CPU and of its memory is a candidate for
   * removal (`--scale-down-utilization-threshold`).
   * @default 0.5
   */
  readonly scaleDownUtilizationThreshold?: number;
}

/**
 * Whether the cluster runs cluster-autoscaler: `ClusterAutoscaler.enabled({...})` or
 * `ClusterAutoscaler.disabled()`. Off by default: the autoscaler changes the size of worker groups,
 * and so the bill, by itself, and only pools with maxSize > minSize give it room.
 */
export class ClusterAutoscaler {
  /** Size every pool whose maxSize exceeds its minSize (unless `autoscaled: false`) to its pods' requests. */
  public static enabled(options: ClusterAutoscalerOptions = {}): ClusterAutoscaler {
    return new ClusterAutoscaler(true, options.scaleDownUnneededMinutes ?? 10, options.scaleDownUtilizationThreshold ?? 0.5);
  }

  /** No autoscaler: the groups keep the size they were given or that an operator sets. */
  public static disabled(): ClusterAutoscaler {
    return new ClusterAutoscaler(false, 10, 0.5);
  }

  private constructor(
    public readonly enabled: boolean,
    public readonly scaleDownUnneededMinutes: number,
    public readonly scaleDownUtilizationThreshold: number,
  ) {}

  /** Adds the options' problems under `property`. */
  public check(problems: ProblemList, property: string): void {
    const minutes = this.scaleDownUnneededMinutes;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
      problems.add(`${property}.scaleDownUnneededMinutes`, minutes, 'is a whole number of minutes from 1 to 1440', 'use for example 10, the default');
    }
    const threshold = this.scaleDownUtilizationThreshold;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      problems.add(`${property}.scaleDownUtilizationThreshold`, threshold, 'is a share of a node above 0 and at most 1', 'use for example 0.5, the default');
    }
  }
}
