import { SSM_AGENT_ASSOCIATION_ACTIONS, SSM_AGENT_CHANNEL_ACTIONS } from '../lib/network/ssm-agent-policy';
import { secretsPolicy } from '../lib/bootstrap/secrets-policies';
import { synthesisedExample } from './support/example-synth';

// Who may read and write the cluster's secrets, read off the synthesised default example: the
// parameters, their KMS key, and the node roles' inline policies.

const synth = synthesisedExample('default');
const parameters = new Map(synth.resources('aws_ssm_parameter').map(([id, p]) => [p.name as string, { id, ...p }]));
const arnOf = (name: string) => `\${aws_ssm_parameter.${parameters.get(name)!.id}.arn}`;
const roleNamed = (fragment: string) => synth.resources('aws_iam_role').find(([id]) => id.includes(fragment))!;
const policiesOf = (fragment: string) => {
  const [roleId] = roleNamed(fragment);
  return synth
    .resources('aws_iam_role_policy')
    .filter(([, p]) => p.role === `\${aws_iam_role.${roleId}.id}`)
    .map(([, p]) => JSON.parse(p.policy));
};
const statements = (fragment: string) => policiesOf(fragment).flatMap((p) => p.Statement);
const allowed = (fragment: string, action: string) => statements(fragment).filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
const [keyId] = synth.resources('aws_kms_key')[0];
const keyArn = `\${aws_kms_key.${keyId}.arn}`;

const KEYS = ['ca.key', 'front-proxy-ca.key', 'etcd/ca.key', 'sa.key'].map((f) => `/kubeadm/demo/pki/${f}`);
const TOKEN = '/kubeadm/demo/join-token';

describe('the cluster secrets in Parameter Store', () => {
  test('keys and the encryption configuration are SecureStrings under the cluster key; certificates are plain', () => {
    for (const name of [...KEYS, '/kubeadm/demo/encryption-config', TOKEN]) {
      expect([name, parameters.get(name)!.type, parameters.get(name)!.key_id]).toEqual([name, 'SecureString', keyArn]);
    }
    for (const name of ['ca.crt', 'front-proxy-ca.crt', 'etcd/ca.crt', 'sa.pub'].map((f) => `/kubeadm/demo/pki/${f}`)) {
      expect([name, parameters.get(name)!.type]).toEqual([name, 'String']);
    }
    const [, key] = synth.resources('aws_kms_key')[0];
    expect(key.enable_key_rotation).toBe(true);
    expect(synth.resources('aws_kms_alias')[0][1].name).toBe('alias/kubeadm/demo');
  });

  test('Terraform holds no join token: it creates the parameter with a placeholder and keeps out of its value', () => {
    const token = parameters.get(TOKEN)!;
    expect(token.value).toBe('none');
    expect(token.lifecycle.ignore_changes).toEqual(['value']);
    expect(synth.resources('random_string')).toEqual([]);
    expect(synth.text).not.toMatch(/random_password|bootstrap-token/);
  });

  test('the encryption key is random bytes in the SecureString, never in the JSON', () => {
    const config = parameters.get('/kubeadm/demo/encryption-config')!;
    expect(config.value).toMatch(/secretbox:\n\s+keys:\n\s+- name: 'key-1'\n\s+secret: '\$\{random_bytes\.[\w-]+\.base64\}'/);
    expect(config.value).toContain('- identity: {}');
    expect(config.value).not.toContain('aescbc');
    expect(synth.resources('random_bytes')[0][1].length).toBe(32);
  });
});

describe('node roles', () => {
  test('control-plane nodes can read every key parameter and decrypt it, only through Parameter Store', () => {
    const readable = allowed('control-plane', 'ssm:GetParameter');
    for (const name of [...KEYS, '/kubeadm/demo/encryption-config', TOKEN]) {
      expect(readable).toContain(arnOf(name));
    }
    const decrypt = statements('control-plane').find((s) => s.Action.includes('kms:Decrypt'));
    expect(decrypt.Resource).toEqual([keyArn]);
    expect(decrypt.Condition.StringEquals['kms:ViaService']).toMatch(/^ssm\.\$\{data\.aws_region\.[\w-]+\.region\}\.amazonaws\.com$/);
    expect([...decrypt.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN']].sort()).toEqual([...KEYS, '/kubeadm/demo/encryption-config', TOKEN].map(arnOf).sort());
  });

  test('control-plane nodes write the join token, the etcd restore request and the version their upgrade reached, encrypting only the token', () => {
    // The restore request is a plain String (a snapshot name or none) that the first node clears;
    // the version is a plain String the first node's upgrade writes.
    const writable = allowed('control-plane', 'ssm:PutParameter');
    // And the cluster's generation, which the node that starts the cluster records.
    expect(writable).toHaveLength(4);
    expect(writable).toEqual(expect.arrayContaining([arnOf(TOKEN), arnOf('/kubeadm/demo/etcd-restore'), expect.stringMatching(/^\$\{aws_ssm_parameter\.[\w-]*kubernetes-version[\w-]*\.arn\}$/), expect.stringMatching(/^\$\{aws_ssm_parameter\.[\w-]*generation[\w-]*\.arn\}$/)]));
    expect(parameters.get('/kubeadm/demo/etcd-restore')!.type).toBe('String');
    const encrypt = statements('control-plane').find((s) => s.Action.includes('kms:Encrypt'));
    expect(encrypt.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN']).toEqual([arnOf(TOKEN)]);
  });

  test('workers read the join token and nothing else; they cannot write it or decrypt any key', () => {
    expect(allowed('worker', 'ssm:GetParameter')).toEqual([arnOf(TOKEN)]);
    expect(allowed('worker', 'ssm:PutParameter')).toEqual([]);
    expect(allowed('worker', 'kms:Encrypt')).toEqual([]);
    const decrypt = statements('worker').find((s) => s.Action.includes('kms:Decrypt'));
    expect(decrypt.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN']).toEqual([arnOf(TOKEN)]);
    for (const name of KEYS) {
      expect(JSON.stringify(policiesOf('worker'))).not.toContain(arnOf(name));
    }
    // The other things a worker may do, on its own group only: hand its instance back, and end the
    // launch lifecycle hook once its Node is Ready.
    expect(allowed('worker', 'autoscaling:SetInstanceHealth')).toEqual([expect.stringMatching(/:autoScalingGroup:\*:autoScalingGroupName\/demo-workers$/)]);
    expect(allowed('worker', 'autoscaling:CompleteLifecycleAction')).toEqual([expect.stringMatching(/:autoScalingGroup:\*:autoScalingGroupName\/demo-workers$/)]);
    expect(allowed('control-plane', 'autoscaling:CompleteLifecycleAction')).toEqual([]);
  });

  test("no action is a wildcard and no statement names every resource, but PutMetricData, limited to its namespace, and the SSM agent's own calls", () => {
    for (const s of [...statements('control-plane'), ...statements('worker')]) {
      expect(s.Action.some((a: string) => a.includes('*'))).toBe(false);
      if (s.Sid === 'AgentChannels' || s.Sid === 'AgentAssociations') {
        // The agent's registration, message channels and association calls, exactly: what each
        // read among them exposes, and why it is on *, is in test/node-role-permissions.test.ts.
        expect([s.Sid, s.Action, s.Resource]).toEqual([s.Sid, s.Sid === 'AgentChannels' ? SSM_AGENT_CHANNEL_ACTIONS : SSM_AGENT_ASSOCIATION_ACTIONS, ['*']]);
      } else if (s.Action.includes('cloudwatch:PutMetricData')) {
        // CloudWatch has no resource-level permissions for it; the namespace condition is the limit.
        expect([s.Action, s.Resource, s.Condition]).toEqual([['cloudwatch:PutMetricData'], ['*'], { StringEquals: { 'cloudwatch:namespace': 'KubeadmCluster' } }]);
      } else {
        expect(s.Resource).not.toContain('*');
      }
    }
  });

  test('nodes boot after their permissions and parameters exist', () => {
    const [, instance] = synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))!;
    expect(instance.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\./), expect.stringMatching(/^aws_ssm_parameter\./), expect.stringMatching(/^aws_kms_key\./)]));
    const [, group] = synth.resources('aws_autoscaling_group').find(([id]) => !id.includes('_control-plane_'))!;
    expect(group.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\./), expect.stringMatching(/join-token/)]));
  });
});

describe('secretsPolicy', () => {
  test('a role without a writable parameter gets no write statement', () => {
    const policy = secretsPolicy({ keyArn: 'arn:k', region: 'eu-west-1', secureParameterArns: ['arn:p'] });
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['ReadClusterParameters', 'DecryptClusterParameters']);
  });
});
