import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { synthesisedExample } from './support/example-synth';

/**
 * Every action of every node role of every example, with its resources: printed (the table of what
 * nodes may do), and held to one rule: no read of data on `*`. A read is a Get, List, Describe,
 * Decrypt, Select or Query call. `*` is allowed for a read only where AWS offers no narrower
 * resource, or where the API itself answers only for the caller; each such exception is in the
 * table below with its reason and source, and an exception no role uses any more fails too, so the
 * table stays true.
 */
const READ = /:(Get|List|Describe|Decrypt|Select|Query|BatchGet)/;

interface Exception {
  readonly why: string;
  readonly source: string;
}

const READS_ALLOWED_ON_ANY_RESOURCE: Readonly<Record<string, Exception>> = {
  'ec2messages:GetEndpoint': {
    why: "the Run Command message service's endpoint for the calling instance; no data of the account",
    source: 'Service Authorization Reference, Amazon Message Delivery Service: its actions define no resource types',
  },
  'ec2messages:GetMessages': {
    why: 'the commands queued for the calling instance (the agent\'s own mailbox)',
    source: 'Service Authorization Reference, Amazon Message Delivery Service: its actions define no resource types',
  },
  'ssm:ListInstanceAssociations': {
    why: "the State Manager associations of an instance, which the agent must read to run the cluster's channel; the cluster's associations carry document names and no secrets",
    source: 'AWS Managed Policy Reference, AmazonSSMManagedInstanceCore v2 (grants it on *); aws/amazon-ssm-agent agent/ssm/service.go',
  },
  'ssm:ListAssociations': {
    why: 'the legacy (InstanceId) association lookup the agent still makes; association metadata only',
    source: 'AWS Managed Policy Reference, AmazonSSMManagedInstanceCore v2; aws/amazon-ssm-agent agent/ssm/service.go ListAssociations (filtered on the instance id)',
  },
  'ec2:DescribeRouteTables': {
    why: "the routed network's reconciler finds the cluster's route tables by tag; route tables hold addresses, no secrets",
    source: 'Amazon EC2 User Guide, resource-level permissions: Describe actions do not support resource-level permissions (Service Authorization Reference, Amazon EC2: no resource types for Describe*)',
  },
  'ec2:DescribeInstances': {
    why: "the routed network's reconciler reads each node's source/destination check; instance metadata of the account, no secrets",
    source: 'Amazon EC2 User Guide, resource-level permissions: Describe actions do not support resource-level permissions (Service Authorization Reference, Amazon EC2: no resource types for Describe*)',
  },
  'ssm:DescribeAssociation': {
    why: 'the parameters of an association the agent runs; ours are names of files and parameters, never values',
    source: 'AWS Managed Policy Reference, AmazonSSMManagedInstanceCore v2; aws/amazon-ssm-agent agent/association/service/service.go LoadAssociationDetail',
  },
};

type Row = {
  readonly example: string;
  readonly role: string;
  readonly policy: string;
  readonly sid: string;
  readonly action: string;
  readonly resources: readonly string[];
  /** The names of the parameters among the resources (their ARNs are references to the stack's parameters). */
  readonly parameterNames: readonly string[];
};

function examples(): string[] {
  const dir = join(__dirname, '../examples');
  return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort();
}

/** Node roles: the roles EC2 may take. */
function nodeRows(example: string): Row[] {
  const stack = synthesisedExample(example);
  const rows: Row[] = [];
  for (const [roleKey, role] of stack.resources('aws_iam_role')) {
    const trust = JSON.parse(role.assume_role_policy);
    if (!trust.Statement.some((s: any) => s.Principal?.Service === 'ec2.amazonaws.com')) {
      continue;
    }
    const ofRole = (r: any) => r.role === `\${aws_iam_role.${roleKey}.name}` || r.role === `\${aws_iam_role.${roleKey}.id}`;
    // Managed policies would hide their actions from this table: none may be attached.
    expect([role.name, stack.resources('aws_iam_role_policy_attachment').filter(([, a]) => ofRole(a)).map(([, a]) => a.policy_arn)]).toEqual([role.name, []]);
    expect(role.managed_policy_arns).toBeUndefined();
    for (const [, policy] of stack.resources('aws_iam_role_policy').filter(([, p]) => ofRole(p))) {
      const document = JSON.parse(policy.policy);
      for (const statement of document.Statement) {
        expect(statement.Effect).toBe('Allow');
        const resources: string[] = [statement.Resource].flat();
        const parameterNames = resources.map((r) => {
          const ref = /^\$\{aws_ssm_parameter\.([\w-]+)\.arn\}$/.exec(r);
          return ref ? stack.json.resource.aws_ssm_parameter[ref[1]].name : r;
        });
        for (const action of [statement.Action].flat()) {
          rows.push({ example, role: role.name, policy: policy.name, sid: statement.Sid, action, resources, parameterNames });
        }
      }
    }
  }
  return rows;
}

const all = examples().flatMap(nodeRows);

describe('every action of every node role, in every example', () => {
  test('the examples are all here, each with both node roles', () => {
    expect(examples()).toEqual(['autoscaled-spot', 'calico', 'default', 'existing-vpc', 'flannel', 'ha-cilium', 'routed', 'two-clusters']);
    for (const example of examples()) {
      const roles = new Set(all.filter((r) => r.example === example).map((r) => r.role.replace(/^.*-(cp|worker)-.*$/, '$1')));
      expect([example, [...roles].sort()]).toEqual([example, ['cp', 'worker']]);
    }
  });

  test('printed for the record', () => {
    const byRole = new Map<string, string[]>();
    for (const row of all) {
      const key = `${row.example} ${row.role}`;
      byRole.set(key, [...(byRole.get(key) ?? []), `  ${row.policy}/${row.sid}  ${row.action}  ${row.resources.join(' ')}`]);
    }
    const text = [...byRole].map(([role, lines]) => `${role}\n${lines.join('\n')}`).join('\n');
    console.log(text);
    expect(text).not.toContain('ssm:GetParameter  *');
  });

  test('no read of data on *, except the sourced exceptions', () => {
    const offending = all.filter((r) => READ.test(r.action) && r.resources.includes('*') && !(r.action in READS_ALLOWED_ON_ANY_RESOURCE));
    expect(offending.map((r) => `${r.example} ${r.role} ${r.policy}/${r.sid} ${r.action}`)).toEqual([]);
  });

  test("no parameter is readable outside the cluster's own path", () => {
    const reads = all.filter((r) => /^ssm:GetParameter/.test(r.action));
    expect(reads.length).toBeGreaterThan(0);
    for (const row of reads) {
      const cluster = /^(.*)-(cp|worker)-/.exec(row.role)![1];
      for (const name of row.parameterNames) {
        expect([row.example, row.role, name, name.startsWith(`/kubeadm/${cluster}/`)]).toEqual([row.example, row.role, name, true]);
      }
    }
  });

  test('every exception is still used, and every one names its source', () => {
    const used = new Set(all.filter((r) => r.resources.includes('*')).map((r) => r.action));
    for (const [action, exception] of Object.entries(READS_ALLOWED_ON_ANY_RESOURCE)) {
      expect([action, used.has(action), exception.source.length > 20, exception.why.length > 20]).toEqual([action, true, true, true]);
    }
  });
});
