import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import type { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { Fn } from 'cdktf';
import type { NodeSecretsLocation } from '../bootstrap/cloud-init';
import { JOIN_TOKEN_METRIC, JOIN_TOKEN_PROGRAM_PATH, JOIN_TOKEN_TIMER, joinTokenProgram, joinTokenUnits } from '../bootstrap/join-token';
import { renderUnit, SYSTEMD_UNIT_DIR } from '../bootstrap/systemd';
import { terraformText } from '../util/terraform-text';
import { METRIC_NAMESPACE } from './etcd-snapshot-program';
import type { NodeChannel } from './node-channel';

export interface JoinTokenRotationProps {
  /** Names the alarm and the metric's ClusterName dimension. */
  readonly clusterName: string;
  readonly secrets: Omit<NodeSecretsLocation, 'channelDocuments'>;
}

/**
 * No rotation reported for this long raises the alarm. A run renews the token when it has less
 * than half its TTL left (12 h by default), so after the last successful run the published token
 * stays valid for at least 12 hours: an alarm at 6 leaves at least 6 to act before scale-outs fail,
 * and lets 5 hourly runs in a row fail (a control-plane replacement, an upgrade) without a page.
 */
export const JOIN_TOKEN_ALARM_HOURS = 6;

/** What the channel adds for the join token: the installation on control-plane nodes and the on-demand document. */
export interface JoinTokenRotation {
  readonly installation: SsmAssociation;
  /** Runs `rotate` or `revoke` on demand (`aws ssm send-command`). */
  readonly document: SsmDocument;
  /** No control-plane node reported a current join token in 6 hours (missing data counts). */
  readonly alarm: CloudwatchMetricAlarm;
}

const b64 = (text: string) => Fn.base64encode(terraformText(text));

/**
 * Installs the join-token rotation on every control-plane node through the channel (its program,
 * the service and its hourly timer), adds the document people run to rotate or revoke at once, and
 * the alarm for a rotation that has stopped. The first control-plane node's bootstrap waits for the
 * program and runs it once after `kubeadm init`; nodes of clusters deployed earlier get it the same
 * way.
 */
export function addJoinTokenRotation(channel: NodeChannel, props: JoinTokenRotationProps): JoinTokenRotation {
  const secrets = props.secrets;
  const program = joinTokenProgram({
    region: secrets.region,
    parameterName: secrets.joinTokenParameter,
    kmsKeyId: secrets.kmsKeyId,
    metric: { namespace: METRIC_NAMESPACE, clusterName: props.clusterName },
  });
  const installation = channel.addInstallation('join-token-rotation', 'join-token-rotation', {
    description: 'Installs the join-token rotation: program, service and hourly timer',
    roles: ['control-plane'],
    files: [
      { path: JOIN_TOKEN_PROGRAM_PATH, contentBase64: b64(program), mode: '0755' },
      ...joinTokenUnits().map((unit) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Buffer.from(renderUnit(unit)).toString('base64'), mode: '0644' })),
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', JOIN_TOKEN_TIMER],
    ],
  });
  const document = channel.addDocument('join-token-document', 'join-token', {
    schemaVersion: '2.2',
    description: 'Rotates the join token now, or revokes every join token (the next rotation publishes a new one)',
    parameters: {
      action: { type: 'String', description: 'rotate or revoke', allowedValues: ['rotate', 'revoke'], default: 'rotate' },
    },
    mainSteps: [{ action: 'aws:runShellScript', name: 'joinToken', inputs: { runCommand: [`${JOIN_TOKEN_PROGRAM_PATH} {{ action }}`], timeoutSeconds: 900 } }],
  });
  const alarm = new CloudwatchMetricAlarm(channel, 'join-token-alarm', {
    alarmName: `${props.clusterName}-join-token-rotation-stalled`,
    alarmDescription: `No control-plane node of ${props.clusterName} reported a current join token in ${JOIN_TOKEN_ALARM_HOURS} hours: `
      + `new nodes cannot join once the published token expires. See journalctl -u kubeadm-join-token on the control-plane nodes`,
    namespace: METRIC_NAMESPACE,
    metricName: JOIN_TOKEN_METRIC,
    dimensions: { ClusterName: props.clusterName },
    statistic: 'Sum',
    // Hourly periods, all of them empty: CloudWatch aligns periods, so one 6-hour period would fire
    // anywhere from 6 to 12 hours after the last report; six hourly ones fire within 7.
    period: 3600,
    evaluationPeriods: JOIN_TOKEN_ALARM_HOURS,
    datapointsToAlarm: JOIN_TOKEN_ALARM_HOURS,
    threshold: 1,
    comparisonOperator: 'LessThanThreshold',
    // No data at all is the failure this alarm exists for: nodes that stopped, or never started.
    treatMissingData: 'breaching',
  });
  return { installation, document, alarm };
}
