import { DEFAULT_JOIN_TOKEN_TTL_HOURS, JOIN_TOKEN_METRIC, JOIN_TOKEN_PROGRAM_PATH, ROTATION_INTERVAL_HOURS } from '../lib/bootstrap/join-token';
import { KubeadmCluster } from '../lib/cluster';
import { EtcdBackup } from '../lib/operations/etcd-backup';
import { JOIN_TOKEN_ALARM_HOURS } from '../lib/operations/join-token-rotation';
import { synthesisedExample } from './support/example-synth';
import { SynthesisedStack, synthStack } from './support/synth';
import { TerraformFiller } from './support/terraform-fill';

// The join-token rotation as the stack deploys it: the program the channel installs reports the
// metric its alarm watches, and the control-plane role may report it.

const defaultSynth = synthesisedExample('default');
const filler = new TerraformFiller();

const alarmsOf = (synth: SynthesisedStack) => new Map(synth.resources('aws_cloudwatch_metric_alarm').map(([, a]) => [a.alarm_name as string, a]));

/** The statements of the IAM policies attached to the role whose id contains `fragment`. */
function roleStatements(synth: SynthesisedStack, fragment: string): Array<{ Action: string[]; Resource: string[]; Condition?: unknown }> {
  const [roleId] = synth.resources('aws_iam_role').find(([id]) => id.includes(fragment))!;
  return synth
    .resources('aws_iam_role_policy')
    .filter(([, p]) => p.role === `\${aws_iam_role.${roleId}.id}`)
    .flatMap(([, p]) => JSON.parse(p.policy).Statement);
}

const putMetricStatements = (synth: SynthesisedStack, fragment: string) => roleStatements(synth, fragment).filter((s) => s.Action.includes('cloudwatch:PutMetricData'));

/** The join-token program as the installation association writes it on the node. */
function installedProgram(synth: SynthesisedStack): string {
  const [, document] = synth.resources('aws_ssm_document').find(([, d]) => d.name === 'demo-join-token-rotation')!;
  const content = JSON.parse(filler.evaluate(document.content));
  const line = content.mainSteps[0].inputs.runCommand.find((l: string) => l.includes('base64 -d'));
  const installer = Buffer.from(/printf '%s' '(.*)' \| base64 -d/.exec(line)![1], 'base64').toString('utf8');
  const file = new RegExp(`^install_file '${JOIN_TOKEN_PROGRAM_PATH}' '0755' '([^']+)'$`, 'm').exec(installer)!;
  return Buffer.from(file[1], 'base64').toString('utf8');
}

describe('the alarm for a rotation that has stopped', () => {
  const alarm = alarmsOf(defaultSynth).get('demo-join-token-rotation-stalled')!;

  test('watches JoinTokenPublished of this cluster in the cluster programs\' namespace; no data counts as none', () => {
    expect([alarm.namespace, alarm.metric_name, alarm.dimensions, alarm.statistic, alarm.threshold, alarm.comparison_operator, alarm.treat_missing_data]).toEqual([
      'KubeadmCluster', 'JoinTokenPublished', { ClusterName: 'demo' }, 'Sum', 1, 'LessThanThreshold', 'breaching',
    ]);
  });

  test('fires after 6 hours without a report: six hourly periods, all of them empty', () => {
    expect([alarm.period, alarm.evaluation_periods, alarm.datapoints_to_alarm]).toEqual([3600, 6, 6]);
    expect(alarm.period * alarm.evaluation_periods).toBe(JOIN_TOKEN_ALARM_HOURS * 3600);
    // Later than a few missed hourly runs, and well before the published token, which has at least
    // the default renewal time (half its TTL) left after the last success, expires.
    expect(JOIN_TOKEN_ALARM_HOURS).toBeGreaterThan(3 * ROTATION_INTERVAL_HOURS);
    expect(JOIN_TOKEN_ALARM_HOURS).toBeLessThanOrEqual(DEFAULT_JOIN_TOKEN_TTL_HOURS / 2 - 6);
    expect(alarm.alarm_description).toContain('journalctl -u kubeadm-join-token');
  });

  test('the program the channel installs reports exactly what the alarm watches', () => {
    const program = installedProgram(defaultSynth);
    expect(program).toContain(`readonly METRIC_NAMESPACE='${alarm.namespace}'`);
    expect(program).toContain(`readonly METRIC_NAME='${alarm.metric_name}'`);
    expect(program).toContain(`readonly CLUSTER_NAME='${alarm.dimensions.ClusterName}'`);
    expect(program).toContain('--dimensions "ClusterName=$CLUSTER_NAME"');
    expect(JOIN_TOKEN_METRIC).toBe(alarm.metric_name);
  });

  test('the control-plane role may report it, in the cluster programs\' namespace only; workers may not', () => {
    expect(putMetricStatements(defaultSynth, 'control-plane').map((s) => [s.Resource, s.Condition])).toEqual([
      [['*'], { StringEquals: { 'cloudwatch:namespace': alarm.namespace } }],
    ]);
    expect(putMetricStatements(defaultSynth, 'worker')).toEqual([]);
  });
});

test('without etcd backups the rotation keeps its alarm and the permission to report, and the cluster exposes the alarm', () => {
  let cluster: KubeadmCluster | undefined;
  const synth = synthStack((s) => {
    cluster = new KubeadmCluster(s, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['203.0.113.0/24'], backup: EtcdBackup.disabled() });
  });
  const exposed = synth.json.resource.aws_cloudwatch_metric_alarm[cluster!.joinTokenRotation.alarm.friendlyUniqueId];
  expect([exposed.alarm_name, exposed.metric_name]).toEqual(['demo-join-token-rotation-stalled', JOIN_TOKEN_METRIC]);
  expect(putMetricStatements(synth, 'control-plane').map((s) => s.Condition)).toEqual([{ StringEquals: { 'cloudwatch:namespace': 'KubeadmCluster' } }]);
});
