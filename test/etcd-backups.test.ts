import { KubeadmCluster } from '../lib/cluster';
import { KubeadmClusterProps } from '../lib/cluster-props';
import { EtcdBackup } from '../lib/operations/etcd-backup';
import { synthesisedExample } from './support/example-synth';
import { problemsThrownBy } from './support/problems';
import { SynthesisedStack, synthStack } from './support/synth';
import { TerraformFiller } from './support/terraform-fill';
import { hasTool, shellcheck } from './support/validators';

// The backup bucket, who may use it, the installations on the control plane and the alarms, read
// off synthesised stacks.

const base: KubeadmClusterProps = { clusterName: 'demo', apiAccessCidrs: ['203.0.113.0/24'] };
const defaultSynth = synthesisedExample('default');
const filler = new TerraformFiller();

const roleStatements = (synth: SynthesisedStack, fragment: string) => {
  const [roleId] = synth.resources('aws_iam_role').find(([id]) => id.includes(fragment))!;
  return synth
    .resources('aws_iam_role_policy')
    .filter(([, p]) => p.role === `\${aws_iam_role.${roleId}.id}`)
    .flatMap(([, p]) => JSON.parse(p.policy).Statement);
};
// The backups' S3 statements and resources; the service-account issuer has a bucket of its own.
const s3Statements = (synth: SynthesisedStack, fragment: string) =>
  roleStatements(synth, fragment).filter((s: { Action: string[]; Resource: string[] }) => s.Action.some((a) => a.startsWith('s3:')) && !s.Resource.some((r) => r.includes('service-account-issuer')));
const backupResources = (synth: SynthesisedStack, type: string) => synth.resources(type).filter(([id]) => id.includes('etcd-backups'));
const documentsOf = (synth: SynthesisedStack) => new Map(synth.resources('aws_ssm_document').map(([id, d]) => [d.name as string, { id, ...d }]));
const associationsOf = (synth: SynthesisedStack) => new Map(synth.resources('aws_ssm_association').map(([, a]) => [a.association_name as string, a]));

/** The program an installation document runs, as the node gets it. */
function programOf(synth: SynthesisedStack, documentName: string): string {
  const content = JSON.parse(filler.evaluate(documentsOf(synth).get(documentName)!.content));
  const line = content.mainSteps[0].inputs.runCommand.find((l: string) => l.includes('base64 -d'));
  return Buffer.from(/printf '%s' '(.*)' \| base64 -d/.exec(line)![1], 'base64').toString('utf8');
}

/** The files an installation program writes, by path. */
function installedFiles(program: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of program.matchAll(/^install_file '([^']+)' '0[0-7]{3}' '([^']+)'$/gm)) {
    files.set(m[1], Buffer.from(m[2], 'base64').toString('utf8'));
  }
  return files;
}

describe('the default backup bucket (kept on destroy)', () => {
  const [, stack] = defaultSynth.resources('aws_cloudformation_stack')[0];
  const template = JSON.parse(stack.template_body);
  const bucket = template.Resources.Bucket;

  test('is a CloudFormation bucket that the stack keeps when it is deleted', () => {
    expect(defaultSynth.resources('aws_cloudformation_stack')).toHaveLength(1);
    expect(backupResources(defaultSynth, 'aws_s3_bucket')).toEqual([]);
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    // Its TLS-only policy stays with it, whether the stack is deleted or the policy replaced.
    expect([template.Resources.BucketPolicy.DeletionPolicy, template.Resources.BucketPolicy.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(stack.name).toBe('demo-etcd-backups');
    expect(template.Outputs.BucketName.Value).toEqual({ Ref: 'Bucket' });
  });

  test('is versioned, encrypted with SSE-S3, closed to the public, TLS only, and expires old snapshots and versions', () => {
    const p = bucket.Properties;
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);
    expect(p.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(p.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    const [rule] = p.LifecycleConfiguration.Rules;
    expect([rule.Status, rule.ExpirationInDays, rule.NoncurrentVersionExpiration.NoncurrentDays]).toEqual(['Enabled', 14, 1]);
    const deny = template.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0];
    expect([deny.Effect, deny.Condition]).toEqual(['Deny', { Bool: { 'aws:SecureTransport': 'false' } }]);
  });

  test('retention follows the prop', () => {
    const synth = synthStack((s) => new KubeadmCluster(s, 'cluster', { ...base, backup: EtcdBackup.toNewBucket({ retentionDays: 3 }) }));
    const t = JSON.parse(synth.resources('aws_cloudformation_stack')[0][1].template_body);
    expect(t.Resources.Bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(3);
  });
});

describe('who may use the snapshots', () => {
  test('only the control-plane role writes, and only under the cluster prefix; it lists only that prefix', () => {
    const statements = s3Statements(defaultSynth, 'control-plane');
    const write = statements.find((s: { Action: string[] }) => s.Action.includes('s3:PutObject'));
    expect(write.Resource).toEqual([expect.stringMatching(/^arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:s3:::\$\{aws_cloudformation_stack\.[\w-]+\.outputs\.BucketName\}\/demo\/\*$/)]);
    const read = statements.find((s: { Action: string[] }) => s.Action.includes('s3:GetObject'));
    expect(read.Resource).toEqual(write.Resource);
    const list = statements.find((s: { Action: string[] }) => s.Action.includes('s3:ListBucket'));
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['demo/*'] } });
    for (const s of statements) {
      expect(s.Action.every((a: string) => ['s3:PutObject', 's3:GetObject', 's3:ListBucket'].includes(a))).toBe(true);
    }
    expect(s3Statements(defaultSynth, 'worker')).toEqual([]);
  });

  test('a bucket of yours: no bucket is made, and the prefix is <prefix><cluster>/', () => {
    const synth = synthStack((s) => new KubeadmCluster(s, 'cluster', { ...base, backup: EtcdBackup.toBucket({ bucketName: 'acme-backups', prefix: 'kubernetes/' }) }));
    expect(synth.resources('aws_cloudformation_stack')).toEqual([]);
    expect(backupResources(synth, 'aws_s3_bucket')).toEqual([]);
    const write = s3Statements(synth, 'control-plane').find((s: { Action: string[] }) => s.Action.includes('s3:PutObject'));
    expect(write.Resource[0]).toMatch(/:s3:::acme-backups\/kubernetes\/demo\/\*$/);
    expect(synth.json.output.demo_etcd_snapshot_location.value).toBe('s3://acme-backups/kubernetes/demo/');
  });

  test('emptyOnDestroy makes a plain bucket that destroy empties, with the same protections', () => {
    const synth = synthStack((s) => new KubeadmCluster(s, 'cluster', { ...base, backup: EtcdBackup.toNewBucket({ emptyOnDestroy: true, retentionDays: 7 }) }));
    expect(synth.resources('aws_cloudformation_stack')).toEqual([]);
    const [[, bucket]] = backupResources(synth, 'aws_s3_bucket');
    expect(bucket.force_destroy).toBe(true);
    expect(backupResources(synth, 'aws_s3_bucket_versioning')[0][1].versioning_configuration.status).toBe('Enabled');
    expect(backupResources(synth, 'aws_s3_bucket_server_side_encryption_configuration')[0][1].rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('AES256');
    const block = backupResources(synth, 'aws_s3_bucket_public_access_block')[0][1];
    expect([block.block_public_acls, block.ignore_public_acls, block.block_public_policy, block.restrict_public_buckets]).toEqual([true, true, true, true]);
    const rule = backupResources(synth, 'aws_s3_bucket_lifecycle_configuration')[0][1].rule[0];
    expect([rule.status, rule.expiration[0].days, rule.noncurrent_version_expiration[0].noncurrent_days]).toEqual(['Enabled', 7, 1]);
  });

  test('bad backup options are refused with the property, the value and a fix', () => {
    const problems = problemsThrownBy(() => synthStack((s) => new KubeadmCluster(s, 'cluster', { ...base, backup: EtcdBackup.toBucket({ bucketName: 'Acme_Backups', prefix: 'x', intervalMinutes: 2 }) })));
    expect(problems.map((p) => p.property)).toEqual(['backup.intervalMinutes', 'backup.bucketName', 'backup.prefix']);
    const retention = problemsThrownBy(() => synthStack((s) => new KubeadmCluster(s, 'cluster', { ...base, backup: EtcdBackup.toNewBucket({ retentionDays: 0 }) })));
    expect(retention.map((p) => [p.property, p.value])).toEqual([['backup.retentionDays', '0']]);
  });
});

describe('the programs on the control plane', () => {
  const associations = associationsOf(defaultSynth);

  test('the snapshot and the certificate installations target control-plane nodes only', () => {
    for (const name of ['demo-etcd-backup', 'demo-certificate-renewal']) {
      expect(associations.get(name)!.targets).toEqual([{ key: 'tag:cdktf-kubeadm-cluster/demo', values: ['control-plane'] }]);
    }
  });

  test('the installation writes the programs and the timer at the interval, and enables it', () => {
    const program = programOf(defaultSynth, 'demo-etcd-backup');
    const files = installedFiles(program);
    expect([...files.keys()].sort()).toEqual([
      '/etc/systemd/system/kubeadm-etcd-snapshot.service',
      '/etc/systemd/system/kubeadm-etcd-snapshot.timer',
      '/usr/local/sbin/kubeadm-etcd-restore',
      '/usr/local/sbin/kubeadm-etcd-snapshot',
      '/usr/local/sbin/kubeadm-etcd-tools',
    ]);
    expect(files.get('/etc/systemd/system/kubeadm-etcd-snapshot.timer')).toContain('OnUnitActiveSec=30min');
    expect(files.get('/usr/local/sbin/kubeadm-etcd-tools')).toContain("readonly ETCD_IMAGE='registry.k8s.io/etcd:3.6.8-0'");
    expect(files.get('/usr/local/sbin/kubeadm-etcd-snapshot')).toContain("readonly BUCKET='kubeadm-cluster-demo-etcd-backups-bucket-1x2y3z4w5v6u7'");
    expect(program).toContain('systemctl enable --now kubeadm-etcd-snapshot.timer');
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(program)).toBe('');
      for (const [path, text] of files) {
        if (path.startsWith('/usr/local/sbin/')) {
          expect([path, shellcheck(text)]).toEqual([path, '']);
        }
      }
      expect(shellcheck(programOf(defaultSynth, 'demo-certificate-renewal'))).toBe('');
    }
  });

  test('the restore is one command: the output sets the request the first control-plane node reads', () => {
    const command = defaultSynth.json.output.demo_etcd_restore_command.value as string;
    expect(command).toMatch(/^aws ssm put-parameter --region \$\{data\.aws_region\.[\w-]+\.region\} --name \$\{aws_ssm_parameter\.[\w-]+restore-request[\w-]+\.name\} --type String --overwrite --value latest$/);
    const [, request] = defaultSynth.resources('aws_ssm_parameter').find(([id]) => id.includes('restore-request'))!;
    expect([request.name, request.type, request.value, request.lifecycle.ignore_changes]).toEqual(['/kubeadm/demo/etcd-restore', 'String', 'none', ['value']]);
    const restore = JSON.parse(documentsOf(defaultSynth).get('demo-etcd-restore')!.content);
    expect(restore.mainSteps[0].inputs.runCommand).toEqual(['/usr/local/sbin/kubeadm-etcd-restore restore {{ snapshot }}']);
    expect(new RegExp(restore.parameters.snapshot.allowedPattern).test('latest; rm -rf /')).toBe(false);
    expect(new RegExp(restore.parameters.snapshot.allowedPattern).test('etcd-20261129T113000Z-ip-10-0-128-10.db')).toBe(true);
  });

  test('disabled backups leave no bucket, timer, request or snapshot alarm; certificates are renewed anyway', () => {
    const synth = synthStack((s) => new KubeadmCluster(s, 'cluster', { ...base, backup: EtcdBackup.disabled() }));
    expect(synth.resources('aws_cloudformation_stack')).toEqual([]);
    expect(associationsOf(synth).has('demo-etcd-backup')).toBe(false);
    expect(associationsOf(synth).has('demo-certificate-renewal')).toBe(true);
    expect(synth.resources('aws_ssm_parameter').some(([id]) => id.includes('restore-request'))).toBe(false);
    expect(synth.resources('aws_cloudwatch_metric_alarm').map(([, a]) => a.alarm_name).sort()).toEqual(['demo-certificates-expiring', 'demo-join-token-rotation-stalled']);
    expect(s3Statements(synth, 'control-plane')).toEqual([]);
  });
});

describe('monitoring', () => {
  const alarms = new Map(defaultSynth.resources('aws_cloudwatch_metric_alarm').map(([, a]) => [a.alarm_name as string, a]));

  test('no successful snapshot in 24 hours raises an alarm, and no data at all counts as none', () => {
    const a = alarms.get('demo-etcd-snapshot-missing')!;
    expect([a.namespace, a.metric_name, a.dimensions, a.statistic, a.period, a.evaluation_periods, a.threshold, a.comparison_operator, a.treat_missing_data]).toEqual([
      'KubeadmCluster', 'EtcdSnapshotSucceeded', { ClusterName: 'demo' }, 'Sum', 86400, 1, 1, 'LessThanThreshold', 'breaching',
    ]);
  });

  test('a certificate with fewer than 14 days left raises an alarm', () => {
    const a = alarms.get('demo-certificates-expiring')!;
    expect([a.namespace, a.metric_name, a.dimensions, a.statistic, a.threshold, a.comparison_operator]).toEqual(['KubeadmCluster', 'CertificateDaysLeft', { ClusterName: 'demo' }, 'Minimum', 14, 'LessThanThreshold']);
  });

  test('the programs report in the namespace and with the dimension the alarms watch', () => {
    const files = installedFiles(programOf(defaultSynth, 'demo-etcd-backup'));
    expect(files.get('/usr/local/sbin/kubeadm-etcd-snapshot')).toContain("readonly METRIC_NAMESPACE='KubeadmCluster'");
    expect(files.get('/usr/local/sbin/kubeadm-etcd-snapshot')).toContain("readonly SNAPSHOT_METRIC='EtcdSnapshotSucceeded'");
    expect(files.get('/usr/local/sbin/kubeadm-etcd-snapshot')).toContain("readonly CLUSTER_NAME='demo'");
    const renewal = installedFiles(programOf(defaultSynth, 'demo-certificate-renewal')).get('/usr/local/sbin/kubeadm-certificate-renewal')!;
    expect(renewal).toContain("readonly DAYS_METRIC='CertificateDaysLeft'");
  });
});
