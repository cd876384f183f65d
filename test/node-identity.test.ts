import { TerraformStack } from 'cdktf';
import { ClusterNodeIdentities, nodeIamName, NodeIdentity } from '../lib/network/node-identity';
import { NodeRole } from '../lib/network/ports';
import { ssmAgentPolicy } from '../lib/network/ssm-agent-policy';
import { ClusterConfigError } from '../lib/plan/problems';
import { synthStack } from './support/synth';

type Json = Record<string, any>;

function synth(build: (stack: TerraformStack) => void): Json {
  return synthStack(build).json;
}

const refOf = (json: Json, type: string, name: string, attribute: string) => {
  const keys = Object.entries<Json>(json.resource[type]).filter(([, r]) => r.name === name).map(([key]) => key);
  expect(keys).toHaveLength(1);
  return `\${${type}.${keys[0]}.${attribute}}`;
};

describe('ClusterNodeIdentities', () => {
  let identities!: ClusterNodeIdentities;
  const json = synth((stack) => {
    identities = new ClusterNodeIdentities(stack, 'identity', { clusterName: 'demo', region: 'eu-west-1' });
  });

  test('one role per node role, trusted by EC2 only', () => {
    const roles = Object.values<Json>(json.resource.aws_iam_role);
    expect(roles.map((r) => r.name).sort()).toEqual(['demo-cp-eu-west-1', 'demo-worker-eu-west-1']);
    for (const role of roles) {
      expect(JSON.parse(role.assume_role_policy)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      expect(role).not.toHaveProperty('inline_policy');
      expect(role).not.toHaveProperty('managed_policy_arns');
      expect(role.tags['kubernetes.io/cluster/demo']).toBe('owned');
    }
  });

  test("each role has exactly the SSM agent's inline policy, in the looked-up partition, and no managed policy", () => {
    const partitions = Object.keys(json.data.aws_partition);
    expect(partitions).toHaveLength(1);
    const policies = Object.values<Json>(json.resource.aws_iam_role_policy);
    expect(policies).toHaveLength(2);
    for (const role of ['demo-cp-eu-west-1', 'demo-worker-eu-west-1']) {
      const ofRole = policies.filter((p) => p.role === refOf(json, 'aws_iam_role', role, 'id'));
      expect(ofRole.map((p) => p.name)).toEqual(['ssm-agent']);
      expect(JSON.parse(ofRole[0].policy)).toEqual(ssmAgentPolicy({ clusterName: 'demo', partition: `\${data.aws_partition.${partitions[0]}.partition}`, region: 'eu-west-1' }));
    }
    // Nothing else grants the nodes anything.
    for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy', 'aws_iam_policy_attachment', 'aws_iam_role_policies_exclusive']) {
      expect(json.resource[type]).toBeUndefined();
    }
    expect(identities.controlPlane.policies).toEqual([identities.controlPlane.agentPolicy]);
  });

  test('an instance profile per role, wrapping that role', () => {
    const profiles = Object.values<Json>(json.resource.aws_iam_instance_profile);
    expect(profiles.map((p) => [p.name, p.role]).sort()).toEqual([
      ['demo-cp-eu-west-1', refOf(json, 'aws_iam_role', 'demo-cp-eu-west-1', 'name')],
      ['demo-worker-eu-west-1', refOf(json, 'aws_iam_role', 'demo-worker-eu-west-1', 'name')],
    ]);
    const roles: NodeRole[] = ['control-plane', 'worker'];
    expect(roles.map((r) => identities.identity(r))).toEqual([identities.controlPlane, identities.worker]);
  });

  test('IAM names carry the region and fit 64 characters with a 40-character cluster and the longest regions', () => {
    const longest = 'c'.repeat(40);
    for (const region of ['ap-southeast-5', 'eusc-de-east-1', 'us-gov-west-1']) {
      for (const role of ['control-plane', 'worker'] as const) {
        const name = nodeIamName(longest, role, region);
        expect(name.endsWith(`-${region}`)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(64);
      }
    }
  });

  test('two clusters in one stack do not clash', () => {
    const both = synth((stack) => {
      new ClusterNodeIdentities(stack, 'blue', { clusterName: 'blue', region: 'eu-west-1' });
      new ClusterNodeIdentities(stack, 'green', { clusterName: 'green', region: 'eu-west-1' });
    });
    expect(Object.values<Json>(both.resource.aws_iam_role).map((r) => r.name).sort()).toEqual(['blue-cp-eu-west-1', 'blue-worker-eu-west-1', 'green-cp-eu-west-1', 'green-worker-eu-west-1']);
  });
});

describe('NodeIdentity', () => {
  test('alone, it looks up its own partition unless given one', () => {
    const own = synth((stack) => new NodeIdentity(stack, 'worker', { clusterName: 'demo', nodeRole: 'worker', region: 'eu-west-1' }));
    expect(Object.keys(own.data.aws_partition)).toHaveLength(1);
    const given = synth((stack) => new NodeIdentity(stack, 'worker', { clusterName: 'demo', nodeRole: 'worker', partition: 'aws-us-gov', region: 'us-gov-west-1' }));
    expect(given.data).toBeUndefined();
    expect(JSON.parse(Object.values<Json>(given.resource.aws_iam_role_policy)[0].policy).Statement.find((s: Json) => s.Sid === 'AgentDocuments').Resource).toEqual([
      'arn:aws-us-gov:ssm:us-gov-west-1:*:document/demo-*',
      'arn:aws-us-gov:ssm:us-gov-west-1::document/AWS-*',
      'arn:aws-us-gov:ssm:us-gov-west-1:*:document/SSM-SessionManagerRunShell',
    ]);
  });

  test('bad input is refused with every problem', () => {
    try {
      synth((stack) => new NodeIdentity(stack, 'x', { clusterName: '-x', nodeRole: 'etcd' as NodeRole, region: 'eu-west-1' }));
      throw new Error('expected a ClusterConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ClusterConfigError);
      expect((e as ClusterConfigError).problems.map((p) => p.property)).toEqual(['clusterName', 'nodeRole']);
    }
  });
});
