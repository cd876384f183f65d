import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..');
// No bytecode beside the sources: lib/ is hashed to key the shared example synths.
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
const python = (args: string[], input?: string) => execFileSync('python3', args, { cwd: root, encoding: 'utf8', input, env });

// ---------------------------------------------------------------------------------------------
// The cleanup logic, against the stand-in AWS API in test/support/fake_aws.py.

const OWNED = { 'kubernetes.io/cluster/demo': 'owned', 'kubernetes.io/service-name': 'default/web' };
const lbArn = (kind: string, name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/${kind}/${name}/0123`;
const tgArn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/${name}/0123`;

function world(overrides: Record<string, unknown> = {}) {
  return {
    loadBalancers: [
      { arn: lbArn('net', 'web'), vpc: 'vpc-1', tags: OWNED, interfacePolls: 3 },
      // The HA control plane's own API load balancer: owned, but no Service.
      { arn: lbArn('net', 'demo-int'), vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/demo': 'owned', Name: 'demo-api-internal' } },
      { arn: lbArn('net', 'other'), vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/other': 'owned', 'kubernetes.io/service-name': 'default/web' } },
      { arn: lbArn('app', 'elsewhere'), vpc: 'vpc-2', tags: OWNED },
    ],
    targetGroups: [
      { arn: tgArn('k8s-default-web'), vpc: 'vpc-1', tags: OWNED },
      { arn: tgArn('demo-api'), vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { arn: tgArn('k8s-other'), vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/other': 'owned', 'kubernetes.io/service-name': 'a/b' } },
    ],
    classic: [
      { name: 'a1b2c3', vpc: 'vpc-1', tags: OWNED, interfacePolls: 2 },
      { name: 'untagged', vpc: 'vpc-1', tags: {} },
    ],
    securityGroups: [
      { id: 'sg-cp', name: 'demo-control-plane', vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/demo': 'owned' }, references: ['sg-elb'] },
      { id: 'sg-worker', name: 'demo-worker', vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/demo': 'owned' }, references: ['sg-elb'] },
      { id: 'sg-elb', name: 'k8s-elb-a1b2c3', vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'sg-api', name: 'demo-api-internal', vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'sg-other', name: 'k8s-elb-x', vpc: 'vpc-1', tags: { 'kubernetes.io/cluster/other': 'owned' } },
      { id: 'sg-untagged', name: 'k8s-elb-y', vpc: 'vpc-1', tags: {} },
    ],
    volumes: [
      { id: 'vol-1', state: 'available', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'vol-2', state: 'in-use', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'vol-3', state: 'available', tags: { 'kubernetes.io/cluster/other': 'owned' } },
      { id: 'vol-4', state: 'available', tags: {} },
    ],
    ...overrides,
  };
}

interface Run {
  report: { removed: string[]; gone: string[]; left: Array<{ resource: string; reason: string; failed: boolean }> };
  calls: string[];
  seconds: number;
  left: Record<string, string[]>;
}

function runCleanup(w: object, waitSeconds?: number): Run {
  const scenario = { clusterName: 'demo', vpcId: 'vpc-1', ourGroupIds: ['sg-cp', 'sg-worker'], world: w, waitSeconds };
  return JSON.parse(python([join('test', 'support', 'fake_aws.py')], JSON.stringify(scenario)));
}

describe('the destroy-time cleanup logic', () => {
  const run = runCleanup(world());
  const at = (call: string) => {
    const index = run.calls.indexOf(call);
    expect([call, index >= 0]).toEqual([call, true]);
    return index;
  };

  test('deletes load balancers, waits for their interfaces, then revokes our rules and deletes the CCM group, target groups and volumes', () => {
    const deletedLbs = Math.max(at(`delete_load_balancer ${lbArn('net', 'web')}`), at('delete_classic_load_balancer a1b2c3'));
    const interfacesGone = Math.max(at('describe_network_interfaces ELB net/web/0123 -> 0'), at('describe_network_interfaces ELB a1b2c3 -> 0'));
    expect(run.calls.filter((c) => c.startsWith('describe_network_interfaces ELB net/web/0123 -> ')).length).toBe(4);
    expect(deletedLbs).toBeLessThan(interfacesGone);
    expect(interfacesGone).toBeLessThan(at(`delete_target_group ${tgArn('k8s-default-web')}`));
    expect(interfacesGone).toBeLessThan(at('revoke sg-cp sg-elb'));
    expect(at('revoke sg-cp sg-elb')).toBeLessThan(at('delete_security_group sg-elb'));
    expect(at('revoke sg-worker sg-elb')).toBeLessThan(at('delete_security_group sg-elb'));
    // Deleted at the first attempt: nothing still held it.
    expect(run.calls.filter((c) => c === 'delete_security_group sg-elb')).toHaveLength(1);
    expect(at('delete_security_group sg-elb')).toBeLessThan(at('delete_volume vol-1'));
    // The fake clock advanced while waiting (3 + 2 polls of 10 s); no real time passed.
    expect(run.seconds).toBe(50);
  });

  test('touches only what is tagged owned by this cluster and made for a Service', () => {
    expect(run.left).toEqual({
      loadBalancers: [lbArn('net', 'demo-int'), lbArn('net', 'other'), lbArn('app', 'elsewhere')],
      targetGroups: [tgArn('demo-api'), tgArn('k8s-other')],
      classic: ['untagged'],
      securityGroups: ['sg-cp', 'sg-worker', 'sg-api', 'sg-other', 'sg-untagged'],
      volumes: ['vol-2', 'vol-3', 'vol-4'],
    });
    const deletes = run.calls.filter((c) => c.startsWith('delete_'));
    expect(deletes).toEqual([
      `delete_load_balancer ${lbArn('net', 'web')}`,
      'delete_classic_load_balancer a1b2c3',
      `delete_target_group ${tgArn('k8s-default-web')}`,
      'delete_security_group sg-elb',
      'delete_volume vol-1',
    ]);
  });

  test('reports what it removed and what it left, and why', () => {
    expect(run.report).toEqual({
      removed: [
        `load-balancer ${lbArn('net', 'web')}`,
        'classic-load-balancer a1b2c3',
        `target-group ${tgArn('k8s-default-web')}`,
        'ingress-rule sg-cp<-sg-elb',
        'ingress-rule sg-worker<-sg-elb',
        'security-group sg-elb',
        'volume vol-1',
      ],
      gone: [],
      left: [{ resource: 'volume vol-2', reason: 'state in-use', failed: false }],
    });
  });

  test('tolerates resources that are already gone', () => {
    const gone = runCleanup(world({ vanishBeforeDelete: [lbArn('net', 'web'), 'a1b2c3', tgArn('k8s-default-web'), 'sg-elb', 'vol-1'] }));
    expect(gone.report.gone).toEqual([
      `load-balancer ${lbArn('net', 'web')}`,
      'classic-load-balancer a1b2c3',
      `target-group ${tgArn('k8s-default-web')}`,
      'security-group sg-elb',
      'volume vol-1',
    ]);
    expect(gone.report.left.filter((l) => l.failed)).toEqual([]);
  });

  test('waits a bounded time for interfaces that do not go, and reports what is left', () => {
    const w = world();
    (w.loadBalancers[0] as { interfacePolls: number }).interfacePolls = 1000;
    const stuck = runCleanup(w, 60);
    expect(stuck.seconds).toBeLessThanOrEqual(70);
    expect(stuck.report.left).toEqual(
      expect.arrayContaining([
        { resource: 'network-interfaces ELB net/web/0123', reason: 'still present after waiting', failed: true },
        { resource: 'security-group sg-elb', reason: 'DependencyViolation', failed: true },
      ]),
    );
    expect(stuck.left.securityGroups).toContain('sg-elb');
  });

  test('the handler does nothing on create and update, and only it needs boto3', () => {
    const program = [
      'import json, sys',
      "sys.path.insert(0, 'lib/addons/cleanup')",
      'import cleanup',
      "assert 'boto3' not in sys.modules",
      "print(json.dumps([cleanup.handler({'tf': {'action': a}}, None) for a in ('create', 'update')]))",
    ].join('\n');
    expect(JSON.parse(python(['-c', program]))).toEqual([
      { action: 'create', skipped: true },
      { action: 'update', skipped: true },
    ]);
  });

  test('compiles', () => {
    expect(() => python(['-c', "import os, py_compile, tempfile; py_compile.compile('lib/addons/cleanup/cleanup.py', cfile=os.path.join(tempfile.mkdtemp(), 'c.pyc'), doraise=True)"])).not.toThrow();
  });
});
