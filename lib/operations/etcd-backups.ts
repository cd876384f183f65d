import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import type { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Fn, ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { ChannelProgram } from '../bootstrap/bootstrap-program';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import { packagesFor } from '../bootstrap/node-packages';
import type { PolicyStatement } from '../bootstrap/secrets-policies';
import { renderUnit, SYSTEMD_UNIT_DIR } from '../bootstrap/systemd';
import { terraformText } from '../util/terraform-text';
import { BackupBucket } from './backup-bucket';
import { EtcdBackup } from './etcd-backup';
import {
  ETCD_RESTORE_PROGRAM_PATH,
  ETCD_SNAPSHOT_PROGRAM_PATH,
  ETCD_SNAPSHOT_TIMER,
  etcdRestoreProgram,
  etcdSnapshotProgram,
  etcdSnapshotUnits,
  METRIC_NAMESPACE,
  NO_RESTORE_REQUEST,
  SNAPSHOT_METRIC,
  snapshotKeyPrefix,
} from './etcd-snapshot-program';
import { ETCD_TOOLS_PROGRAM_PATH, etcdToolsProgram } from './etcd-tools-program';
import type { NodeChannel } from './node-channel';
import { restoreRequestStatement, snapshotAccessStatements } from './operations-policies';

export interface EtcdBackupsProps {
  readonly clusterName: string;
  readonly region: string;
  readonly partition: string;
  /** The cluster's Parameter Store path; the restore request lives under it. */
  readonly parameterPath: string;
  readonly kubernetesVersion: KubernetesVersion;
  readonly backup: EtcdBackup;
  readonly channel: NodeChannel;
  /**
   * The cluster's generation parameter: snapshots go under its id, and `restore latest` looks there.
   * @default - no generations
   */
  readonly generationParameter?: string;
}

/** A snapshot without success for this long raises the alarm. */
export const SNAPSHOT_ALARM_HOURS = 24;

const b64 = (text: string) => Fn.base64encode(terraformText(text));

/**
 * etcd snapshots to S3: the bucket (or yours), the programs and the timer on every control-plane
 * node through the SSM channel (so clusters deployed earlier get them on the next deploy), the
 * restore request the first control-plane node reads at boot, an on-demand restore document, and
 * the alarm for missing snapshots.
 */
export class EtcdBackups extends Construct {
  public readonly bucket?: BackupBucket;
  public readonly bucketName: string;
  /** `<prefix><cluster>/`: every snapshot's key starts with it. */
  public readonly keyPrefix: string;
  public readonly installation: SsmAssociation;
  /** Name of the document that installs the programs (a booting node runs it itself for a restore). */
  public readonly installationDocument: string;
  /** Runs the restore program on a node (`aws ssm send-command`), before its kubeadm init. */
  public readonly restoreDocument: SsmDocument;
  /** `none`, or the snapshot (`latest` or its name) the next first control-plane node restores. */
  public readonly restoreRequest: SsmParameter;
  /** No successful snapshot in 24 hours (missing data counts). */
  public readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: EtcdBackupsProps) {
    super(scope, id);
    const backup = props.backup;
    if (backup.kind === 'new-bucket') {
      this.bucket = new BackupBucket(this, 'bucket', { clusterName: props.clusterName, retentionDays: backup.retentionDays, emptyOnDestroy: backup.emptyOnDestroy });
      this.bucketName = this.bucket.bucketName;
    } else {
      this.bucketName = backup.bucketName!;
    }
    const location = { region: props.region, bucketName: this.bucketName, prefix: backup.prefix, clusterName: props.clusterName, generationParameter: props.generationParameter };
    this.keyPrefix = snapshotKeyPrefix(location);
    const channel = props.channel;
    const tools = etcdToolsProgram({ image: packagesFor(props.kubernetesVersion).etcdImage });
    this.installation = channel.addInstallation('etcd-backup', 'etcd-backup', {
      description: 'Installs the etcd snapshot and restore programs and the snapshot timer',
      roles: ['control-plane'],
      files: [
        { path: ETCD_TOOLS_PROGRAM_PATH, contentBase64: b64(tools), mode: '0755' },
        { path: ETCD_SNAPSHOT_PROGRAM_PATH, contentBase64: b64(etcdSnapshotProgram(location)), mode: '0755' },
        { path: ETCD_RESTORE_PROGRAM_PATH, contentBase64: b64(etcdRestoreProgram(location)), mode: '0755' },
        ...etcdSnapshotUnits(backup.intervalMinutes).map((unit) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Buffer.from(renderUnit(unit)).toString('base64'), mode: '0644' })),
      ],
      commands: [
        ['systemctl', 'daemon-reload'],
        ['systemctl', 'enable', '--now', ETCD_SNAPSHOT_TIMER],
      ],
      // On a running control plane the tools come now; on a booting node containerd is not there
      // yet, and the programs fetch them when they first run.
      finish: `${ETCD_TOOLS_PROGRAM_PATH} || log 'etcdctl and etcdutl not installed yet; the snapshot and restore programs install them when they first run'`,
    });
    this.installationDocument = channel.resourceName('etcd-backup');
    this.restoreDocument = channel.addDocument('etcd-restore-document', 'etcd-restore', {
      schemaVersion: '2.2',
      description: 'Restores an etcd snapshot into /var/lib/etcd of a control-plane node that has not run kubeadm init yet',
      parameters: {
        snapshot: { type: 'String', description: "latest (the newest of the cluster's generation), or a snapshot's name (<generation>/etcd-<time>-<node>.db)", allowedPattern: '^(latest|([0-9TZ]+-[0-9a-f]+/)?etcd-[0-9TZ]+-[A-Za-z0-9.-]+\\.db)$', default: 'latest' },
      },
      mainSteps: [{ action: 'aws:runShellScript', name: 'restore', inputs: { runCommand: [`${ETCD_RESTORE_PROGRAM_PATH} restore {{ snapshot }}`], timeoutSeconds: 1800 } }],
    });
    this.restoreRequest = new SsmParameter(this, 'restore-request', {
      name: `${props.parameterPath}/etcd-restore`,
      description: `etcd snapshot the next first control-plane node of ${props.clusterName} restores before kubeadm init (latest or a snapshot name); ${NO_RESTORE_REQUEST} for none`,
      type: 'String',
      value: NO_RESTORE_REQUEST,
      // The request is the user's to set and the node's to clear; Terraform only creates it.
      lifecycle: { ignoreChanges: ['value'] },
    });
    this.alarm = new CloudwatchMetricAlarm(this, 'snapshot-alarm', {
      alarmName: `${props.clusterName}-etcd-snapshot-missing`,
      alarmDescription: `No etcd snapshot of cluster ${props.clusterName} reached s3://${this.bucketName}/${this.keyPrefix} in ${SNAPSHOT_ALARM_HOURS} hours`,
      namespace: METRIC_NAMESPACE,
      metricName: SNAPSHOT_METRIC,
      dimensions: { ClusterName: props.clusterName },
      statistic: 'Sum',
      period: SNAPSHOT_ALARM_HOURS * 3600,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      // No data at all is the failure this alarm exists for.
      treatMissingData: 'breaching',
    });
    this.partition = props.partition;
  }

  private readonly partition: string;

  /** What control-plane nodes may do with snapshots and the restore request. */
  public controlPlaneStatements(): PolicyStatement[] {
    return [
      ...snapshotAccessStatements({ partition: this.partition, bucketName: this.bucketName, keyPrefix: this.keyPrefix }),
      restoreRequestStatement({ parameterArn: this.restoreRequest.arn }),
    ];
  }

  /** What must exist before a control-plane node boots. */
  public get bootDependencies(): ITerraformDependable[] {
    return [this.restoreRequest, ...(this.bucket?.resources ?? [])];
  }

  /** The first control-plane node's restore settings: the request, and the program with the document that installs it. */
  public get restoreSettings(): { parameterName: string; program: ChannelProgram } {
    return { parameterName: this.restoreRequest.name, program: { path: ETCD_RESTORE_PROGRAM_PATH, document: this.installationDocument } };
  }
}
