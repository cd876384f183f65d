import { ProblemList } from '../plan/problems';
import { checkBucketAndPrefix } from './etcd-snapshot-program';

export const DEFAULT_SNAPSHOT_INTERVAL_MINUTES = 30;
export const DEFAULT_SNAPSHOT_RETENTION_DAYS = 14;

export interface EtcdBackupSchedule {
  /**
   * Minutes between snapshots (5 to 1440).
   * @default 30
   */
  readonly intervalMinutes?: number;
}

export interface NewBackupBucketOptions extends EtcdBackupSchedule {
  /**
   * Days a snapshot is kept; older ones expire, and their versions are deleted a day later.
   * @default 14
   */
  readonly retentionDays?: number;
  /**
   * Make a plain bucket that `cdktf destroy` empties and deletes, snapshots included. By default
   * the bucket is made through a CloudFormation stack that keeps it (DeletionPolicy Retain) when
   * the cluster's stack is destroyed, so snapshots outlive the cluster.
   * @default false
   */
  readonly emptyOnDestroy?: boolean;
}

export interface ExistingBackupBucketOptions extends EtcdBackupSchedule {
  /** Name of your bucket, in the cluster's region. Its retention and encryption are yours to set. */
  readonly bucketName: string;
  /**
   * Key prefix under the bucket: empty or ending in `/`. Snapshots go to `<prefix><cluster>/`.
   * @default ''
   */
  readonly prefix?: string;
}

/** Where etcd snapshots go, and how often they are taken. */
export class EtcdBackup {
  /** A new bucket for the cluster's snapshots (versioned, SSE-S3, public access blocked, expiry). */
  public static toNewBucket(options: NewBackupBucketOptions = {}): EtcdBackup {
    return new EtcdBackup('new-bucket', options.intervalMinutes ?? DEFAULT_SNAPSHOT_INTERVAL_MINUTES, {
      retentionDays: options.retentionDays ?? DEFAULT_SNAPSHOT_RETENTION_DAYS,
      emptyOnDestroy: options.emptyOnDestroy ?? false,
    });
  }

  /** A bucket of yours; the cluster's control plane may write only under `<prefix><cluster>/`. */
  public static toBucket(options: ExistingBackupBucketOptions): EtcdBackup {
    return new EtcdBackup('existing-bucket', options.intervalMinutes ?? DEFAULT_SNAPSHOT_INTERVAL_MINUTES, {
      bucketName: options.bucketName,
      prefix: options.prefix ?? '',
    });
  }

  /** No snapshots: no bucket, no timer, no alarm. Certificate renewal runs all the same. */
  public static disabled(): EtcdBackup {
    return new EtcdBackup('disabled', DEFAULT_SNAPSHOT_INTERVAL_MINUTES, {});
  }

  private constructor(
    public readonly kind: 'new-bucket' | 'existing-bucket' | 'disabled',
    public readonly intervalMinutes: number,
    private readonly options: { retentionDays?: number; emptyOnDestroy?: boolean; bucketName?: string; prefix?: string },
  ) {}

  public get enabled(): boolean {
    return this.kind !== 'disabled';
  }

  /** Days snapshots are kept in a new bucket. */
  public get retentionDays(): number {
    return this.options.retentionDays ?? DEFAULT_SNAPSHOT_RETENTION_DAYS;
  }

  public get emptyOnDestroy(): boolean {
    return this.options.emptyOnDestroy ?? false;
  }

  /** The user's bucket (`toBucket`). */
  public get bucketName(): string | undefined {
    return this.options.bucketName;
  }

  public get prefix(): string {
    return this.options.prefix ?? '';
  }

  /** Adds every problem of these options, each named under `property` (for example `backup`). */
  public check(problems: ProblemList, property: string): void {
    if (!this.enabled) {
      return;
    }
    if (!Number.isInteger(this.intervalMinutes) || this.intervalMinutes < 5 || this.intervalMinutes > 1440) {
      problems.add(`${property}.intervalMinutes`, this.intervalMinutes, 'must be a whole number of minutes from 5 to 1440', `use ${DEFAULT_SNAPSHOT_INTERVAL_MINUTES} (the default), or up to a day`);
    }
    if (this.kind === 'new-bucket') {
      const days = this.retentionDays;
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        problems.add(`${property}.retentionDays`, days, 'must be a whole number of days from 1 to 3650', `use ${DEFAULT_SNAPSHOT_RETENTION_DAYS} (the default)`);
      } else if (days * 1440 < this.intervalMinutes * 2) {
        problems.add(`${property}.retentionDays`, days, `keeps fewer than two snapshots at one every ${this.intervalMinutes} minutes`, 'keep snapshots for at least two intervals');
      }
    } else {
      checkBucketAndPrefix(problems, this.bucketName ?? '', this.prefix, `${property}.`);
    }
  }
}
