import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { Fn } from 'cdktf';
import { renderUnit, SYSTEMD_UNIT_DIR } from '../bootstrap/systemd';
import { terraformText } from '../util/terraform-text';
import {
  CERTIFICATE_DAYS_METRIC,
  CERTIFICATE_RENEWAL_PROGRAM_PATH,
  CERTIFICATE_RENEWAL_TIMER,
  certificateRenewalProgram,
  certificateRenewalUnits,
} from './certificate-renewal-program';
import { METRIC_NAMESPACE } from './etcd-snapshot-program';
import type { NodeChannel } from './node-channel';

export interface CertificateRenewalProps {
  readonly clusterName: string;
  readonly region: string;
}

/** The alarm fires below this many days, well after renewal (under 30) should have happened. */
export const CERTIFICATE_ALARM_DAYS = 14;

export interface CertificateRenewal {
  readonly installation: SsmAssociation;
  /** A kubeadm certificate on some control-plane node has fewer than 14 days left. */
  readonly alarm: CloudwatchMetricAlarm;
}

/** Installs the daily certificate check and renewal on every control-plane node, and its alarm. */
export function addCertificateRenewal(channel: NodeChannel, props: CertificateRenewalProps): CertificateRenewal {
  const program = certificateRenewalProgram({ clusterName: props.clusterName, region: props.region });
  const installation = channel.addInstallation('certificate-renewal', 'certificate-renewal', {
    description: 'Installs the kubeadm certificate renewal: program, service and daily timer',
    roles: ['control-plane'],
    files: [
      { path: CERTIFICATE_RENEWAL_PROGRAM_PATH, contentBase64: Fn.base64encode(terraformText(program)), mode: '0755' },
      ...certificateRenewalUnits().map((unit) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Buffer.from(renderUnit(unit)).toString('base64'), mode: '0644' })),
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', CERTIFICATE_RENEWAL_TIMER],
    ],
  });
  const alarm = new CloudwatchMetricAlarm(channel, 'certificate-alarm', {
    alarmName: `${props.clusterName}-certificates-expiring`,
    alarmDescription: `A kubeadm certificate on a control-plane node of ${props.clusterName} has fewer than ${CERTIFICATE_ALARM_DAYS} days left: renewal (under 30 days) did not happen`,
    namespace: METRIC_NAMESPACE,
    metricName: CERTIFICATE_DAYS_METRIC,
    dimensions: { ClusterName: props.clusterName },
    statistic: 'Minimum',
    period: 86400,
    evaluationPeriods: 1,
    threshold: CERTIFICATE_ALARM_DAYS,
    comparisonOperator: 'LessThanThreshold',
    // The snapshot alarm notices control-plane nodes that report nothing at all.
    treatMissingData: 'missing',
  });
  return { installation, alarm };
}
