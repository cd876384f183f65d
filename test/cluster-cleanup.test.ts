import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CLEANUP_TIMEOUT_SECONDS, cleanupPackage, cleanupSource } from '../lib/addons/cleanup/destroy-cleanup';
import { cleanupPolicy } from '../lib/addons/cleanup/cleanup-policy';
import { KubeadmCluster, KubeadmClusterProps } from '../lib';
import { SynthesisedStack, synthStack } from './support/synth';
import { problemsThrownBy } from './support/problems';
import { validateCluster } from '../lib/cluster-validation';

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
    // The cluster's nodes are gone; another cluster's run.
    instances: [
      { id: 'i-old', state: 'terminated', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'i-other', state: 'running', tags: { 'kubernetes.io/cluster/other': 'owned' } },
    ],
    volumes: [
      { id: 'vol-1', state: 'available', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'vol-2', state: 'in-use', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'vol-3', state: 'available', tags: { 'kubernetes.io/cluster/other': 'owned' } },
      { id: 'vol-4', state: 'available', tags: {} },
    ],
    // What the EBS CSI driver tags its snapshots with (v1.64.0 CreateSnapshot), beside others'.
    snapshots: [
      { id: 'snap-1', tags: { 'kubernetes.io/cluster/demo': 'owned', 'ebs.csi.aws.com/cluster': 'true', CSIVolumeSnapshotName: 'snapshot-1' } },
      { id: 'snap-2', tags: { 'kubernetes.io/cluster/demo': 'owned' } },
      { id: 'snap-3', tags: { 'kubernetes.io/cluster/other': 'owned', 'ebs.csi.aws.com/cluster': 'true' } },
      { id: 'snap-4', tags: { 'ebs.csi.aws.com/cluster': 'true' } },
    ],
    ...overrides,
  };
}

interface Run {
  report: { removed: string[]; gone: string[]; kept: string[]; left: Array<{ resource: string; reason: string; failed: boolean }> };
  calls: string[];
  seconds: number;
  left: Record<string, string[]>;
  /** What the failed invocation would say; null when nothing failed. */
  message: string | null;
}

function runCleanup(w: object, waitSeconds?: number, removeSnapshots?: boolean): Run {
  const scenario = { clusterName: 'demo', vpcId: 'vpc-1', ourGroupIds: ['sg-cp', 'sg-worker'], world: w, waitSeconds, removeSnapshots };
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
      snapshots: ['snap-1', 'snap-2', 'snap-3', 'snap-4'],
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
      kept: ['snapshot snap-1'],
      left: [{ resource: 'volume vol-2', reason: 'state in-use', failed: false }],
    });
    expect(run.message).toBeNull();
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

  const CP = { 'kubernetes.io/cluster/demo': 'owned', 'cdktf-kubeadm-cluster/demo': 'control-plane' };
  const WORKER = { 'kubernetes.io/cluster/demo': 'owned', 'cdktf-kubeadm-cluster/demo': 'worker' };

  test('removes nothing while the control plane runs (the cleanup turned off on a live cluster), and that is no failure', () => {
    for (const state of ['running', 'stopped']) {
      const live = runCleanup(world({ instances: [{ id: 'i-cp', state, tags: CP }, { id: 'i-w', state: 'running', tags: WORKER }] }));
      expect(live.calls.filter((c) => !c.startsWith('describe_'))).toEqual([]);
      expect(live.report.left).toEqual([{ resource: 'all', failed: false, reason: 'the cluster is running (control-plane instances i-cp): nothing removed. This is what happens when cleanUpOnDestroy is turned off on a live cluster' }]);
      expect(live.left.volumes).toEqual(['vol-1', 'vol-2', 'vol-3', 'vol-4']);
      expect(live.seconds).toBe(0);
      expect(live.message).toBeNull();
    }
  });

  test('waits for worker instances still going (shutting down, or held by a lifecycle hook), then cleans up', () => {
    const going = runCleanup(world({
      instances: [
        { id: 'i-cp', state: 'terminated', tags: CP },
        { id: 'i-w1', state: 'shutting-down', tags: WORKER, terminatedAtSecond: 40 },
        { id: 'i-w2', state: 'running', tags: WORKER, terminatedAtSecond: 15 },
      ],
    }));
    const looks = going.calls.filter((c) => c.startsWith('describe_instances instance-state-name,tag:kubernetes.io/cluster/demo -> '));
    expect(looks).toEqual([
      'describe_instances instance-state-name,tag:kubernetes.io/cluster/demo -> i-w1,i-w2',
      'describe_instances instance-state-name,tag:kubernetes.io/cluster/demo -> i-w1,i-w2',
      'describe_instances instance-state-name,tag:kubernetes.io/cluster/demo -> i-w1',
      'describe_instances instance-state-name,tag:kubernetes.io/cluster/demo -> i-w1',
      'describe_instances instance-state-name,tag:kubernetes.io/cluster/demo -> none',
    ]);
    // Nothing is deleted before the last instance is gone.
    const lastLook = going.calls.lastIndexOf(looks[looks.length - 1]);
    expect(going.calls.findIndex((c) => c.startsWith('delete_'))).toBeGreaterThan(lastLook);
    expect(going.report.removed).toContain('volume vol-1');
    expect(going.report.left.filter((l) => l.failed)).toEqual([]);
    // Four polls of 10 s for the instances, then the interfaces' 50 s.
    expect(going.seconds).toBe(90);
  });

  test('instances that never go fail the cleanup within its budget, naming them and what to check, and nothing is removed', () => {
    const stuck = runCleanup(world({ instances: [{ id: 'i-cp', state: 'terminated', tags: CP }, { id: 'i-w1', state: 'running', tags: WORKER }, { id: 'i-x', state: 'stopped', tags: { 'kubernetes.io/cluster/demo': 'owned' } }] }));
    expect(stuck.calls.filter((c) => !c.startsWith('describe_'))).toEqual([]);
    expect(stuck.seconds).toBe(300);
    expect(stuck.report.left).toEqual([{ resource: 'instances i-w1 (running), i-x (stopped)', failed: true, reason: expect.stringContaining('still not terminated after 300 s, so nothing was removed') }]);
    expect(stuck.message).toContain('the destroy-time cleanup of demo left 1 thing(s) behind:\n- instances i-w1 (running), i-x (stopped): still not terminated after 300 s');
    expect(stuck.message).toContain("termination lifecycle hooks");
    expect(stuck.message).toContain('/aws/lambda/demo-cleanup');
    expect(stuck.message).toContain('run the destroy again');
    // A smaller budget (less time left in the function) cuts the wait short.
    expect(runCleanup(world({ instances: [{ id: 'i-w1', state: 'running', tags: WORKER }] }), 60).seconds).toBe(60);
  });

  test("keeps the driver's snapshots by default and says so; removes only them when asked", () => {
    expect(run.calls.filter((c) => c.startsWith('delete_snapshot'))).toEqual([]);
    expect(run.report.kept).toEqual(['snapshot snap-1']);
    const removing = runCleanup(world(), undefined, true);
    expect(removing.calls.filter((c) => c.startsWith('delete_snapshot'))).toEqual(['delete_snapshot snap-1']);
    expect(removing.report.removed).toContain('snapshot snap-1');
    expect(removing.report.kept).toEqual([]);
    expect(removing.left.snapshots).toEqual(['snap-2', 'snap-3', 'snap-4']);
  });

  test('a snapshot an image uses is left without failing; one already gone is fine', () => {
    const snapshots = [
      { id: 'snap-ami', inUse: true, tags: { 'kubernetes.io/cluster/demo': 'owned', 'ebs.csi.aws.com/cluster': 'true' } },
      { id: 'snap-gone', tags: { 'kubernetes.io/cluster/demo': 'owned', 'ebs.csi.aws.com/cluster': 'true' } },
    ];
    const result = runCleanup(world({ snapshots, vanishBeforeDelete: ['snap-gone'] }), undefined, true);
    expect(result.report.gone).toEqual(['snapshot snap-gone']);
    expect(result.report.left).toContainEqual({ resource: 'snapshot snap-ami', failed: false, reason: 'in use by an AMI: deregister the image, then delete the snapshot' });
    expect(result.message).toBeNull();
  });

  test('the shared budget ends before the function times out', () => {
    const program = [
      'import json, sys',
      "sys.path.insert(0, 'lib/addons/cleanup')",
      'import cleanup',
      'print(json.dumps([cleanup.FUNCTION_TIMEOUT_SECONDS, cleanup.BUDGET_SECONDS, cleanup.INSTANCE_WAIT_SECONDS]))',
    ].join('\n');
    const [timeout, budget, instanceWait] = JSON.parse(python(['-c', program])) as number[];
    expect(timeout).toBe(CLEANUP_TIMEOUT_SECONDS);
    expect(budget).toBeLessThanOrEqual(timeout - 60);
    expect(instanceWait).toBeLessThan(budget);
  });

  // The Lambda entry point itself, with boto3 and the clock stood in for.
  function invokeHandler(w: object, event: object, remainingMs: number): { result?: Run['report']; error?: string; left: Record<string, string[]>; seconds: number } {
    const program = [
      'import json, sys, types',
      "sys.path.insert(0, 'test/support')",
      'import fake_aws, cleanup',
      'world = fake_aws.World(json.loads(sys.argv[1]))',
      'clock = fake_aws.FakeClock()',
      'world.clock = clock',
      'cleanup.Clock = lambda: clock',
      "clients = {'elbv2': fake_aws.Elbv2(world), 'elb': fake_aws.Elb(world), 'ec2': fake_aws.Ec2(world)}",
      "sys.modules['boto3'] = types.SimpleNamespace(client=lambda name: clients[name])",
      'class Context:',
      '    def get_remaining_time_in_millis(self): return int(sys.argv[3])',
      'out = {}',
      'try:',
      '    out["result"] = cleanup.handler(json.loads(sys.argv[2]), Context())',
      'except RuntimeError as error:',
      '    out["error"] = str(error)',
      'out["left"] = {"snapshots": [x["id"] for x in world.snapshots], "volumes": [x["id"] for x in world.volumes]}',
      'out["seconds"] = clock.t',
      'sys.stderr.write(json.dumps(out))',
    ].join('\n');
    const result = require('node:child_process').spawnSync('python3', ['-c', program, JSON.stringify(w), JSON.stringify(event), String(remainingMs)], { cwd: root, encoding: 'utf8', env });
    return JSON.parse(result.stderr);
  }
  const deleteEvent = { tf: { action: 'delete' }, clusterName: 'demo', vpcId: 'vpc-1', securityGroupIds: ['sg-cp', 'sg-worker'] };

  test('the handler removes snapshots only with removeSnapshots: true in its input (and input from an earlier release keeps them)', () => {
    expect(invokeHandler(world(), deleteEvent, 900_000).left.snapshots).toContain('snap-1');
    const removing = invokeHandler(world(), { ...deleteEvent, removeSnapshots: true }, 900_000);
    expect(removing.result!.removed).toContain('snapshot snap-1');
    expect(removing.left.snapshots).toEqual(['snap-2', 'snap-3', 'snap-4']);
  });

  test('the handler fails the invocation with the message when instances never go, within the time the function has left', () => {
    const stuck = invokeHandler(world({ instances: [{ id: 'i-w1', state: 'running', tags: WORKER }] }), deleteEvent, 200_000);
    expect(stuck.result).toBeUndefined();
    expect(stuck.error).toMatch(/^the destroy-time cleanup of demo left 1 thing\(s\) behind:\n- instances i-w1 \(running\): still not terminated after 140 s/);
    // 200 s left, less the margin for the report: the wait ended at 140 s.
    expect(stuck.seconds).toBe(140);
    expect(stuck.left.volumes).toEqual(['vol-1', 'vol-2', 'vol-3', 'vol-4']);
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

// ---------------------------------------------------------------------------------------------
// The function, its permissions and its place in the destroy order.

const props: KubeadmClusterProps = { clusterName: 'demo', apiAccessCidrs: ['192.0.2.0/24'] };
const synth = (p: Partial<KubeadmClusterProps> = {}) => synthStack((stack) => new KubeadmCluster(stack, 'c', { ...props, ...p }));

/** Every resource's address and the addresses it names (references and depends_on). */
function dependencyGraph(stack: SynthesisedStack): Map<string, Set<string>> {
  const addresses = new Set<string>();
  for (const [type, byName] of Object.entries(stack.json.resource as Record<string, object>)) {
    for (const name of Object.keys(byName)) addresses.add(`${type}.${name}`);
  }
  for (const [type, byName] of Object.entries((stack.json.data ?? {}) as Record<string, object>)) {
    for (const name of Object.keys(byName)) addresses.add(`data.${type}.${name}`);
  }
  const graph = new Map<string, Set<string>>();
  for (const address of addresses) {
    const [first, ...rest] = address.split('.');
    const body = first === 'data' ? stack.json.data[rest[0]][rest[1]] : stack.json.resource[first][rest[0]];
    const text = JSON.stringify(body);
    const edges = new Set<string>();
    for (const match of text.matchAll(/(data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+/g)) {
      if (addresses.has(match[0]) && match[0] !== address) edges.add(match[0]);
    }
    graph.set(address, edges);
  }
  return graph;
}

function dependsOnTransitively(graph: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const next = stack.pop()!;
    for (const edge of graph.get(next) ?? []) {
      if (edge === to) return true;
      if (!seen.has(edge)) {
        seen.add(edge);
        stack.push(edge);
      }
    }
  }
  return false;
}

describe('the destroy-time cleanup in the stack', () => {
  const stack = synth();
  const [[invocationName, invocation]] = stack.resources('aws_lambda_invocation');
  const invocationAddress = `aws_lambda_invocation.${invocationName}`;
  const graph = dependencyGraph(stack);

  test('is invoked on create, update and delete, with the cluster, its VPC and its security groups', () => {
    expect(invocation.lifecycle_scope).toBe('CRUD');
    const input = JSON.parse(invocation.input);
    expect(input.clusterName).toBe('demo');
    expect(input.vpcId).toMatch(/^\$\{aws_vpc\.[^.]+\.id\}$/);
    const groups = stack.resources('aws_security_group').filter(([, g]) => ['demo-control-plane', 'demo-worker'].includes(g.name)).map(([n]) => `\${aws_security_group.${n}.id}`);
    expect(input.securityGroupIds).toEqual(groups);
  });

  test('runs on destroy after the nodes are gone and before the VPC, subnets and security groups', () => {
    const nodes = [...stack.resources('aws_instance').map(([n]) => `aws_instance.${n}`), ...stack.resources('aws_autoscaling_group').map(([n]) => `aws_autoscaling_group.${n}`)];
    expect(nodes.length).toBe(2);
    for (const node of nodes) {
      expect([node, graph.get(node)!.has(invocationAddress)]).toEqual([node, true]);
    }
    const mustOutlive = [
      ...stack.resources('aws_vpc').map(([n]) => `aws_vpc.${n}`),
      ...stack.resources('aws_subnet').map(([n]) => `aws_subnet.${n}`),
      ...stack.resources('aws_security_group').map(([n]) => `aws_security_group.${n}`),
      ...stack.resources('aws_internet_gateway').map(([n]) => `aws_internet_gateway.${n}`),
    ];
    expect(mustOutlive.length).toBeGreaterThan(5);
    for (const resource of mustOutlive) {
      expect([resource, dependsOnTransitively(graph, invocationAddress, resource)]).toEqual([resource, true]);
    }
    // Nodes wait for the invocation on the first deploy: it must not make them wait for a NAT gateway.
    for (const [n] of stack.resources('aws_nat_gateway')) {
      expect([n, dependsOnTransitively(graph, invocationAddress, `aws_nat_gateway.${n}`)]).toEqual([n, false]);
    }
    // And never the other way round, which would be a cycle.
    for (const node of nodes) {
      expect([node, dependsOnTransitively(graph, invocationAddress, node)]).toEqual([node, false]);
    }
    for (const address of graph.keys()) {
      expect([address, dependsOnTransitively(graph, address, address)]).toEqual([address, false]);
    }
  });

  test('the function keeps its permissions and log group until the invocation is done', () => {
    const [[fnName, fn]] = stack.resources('aws_lambda_function');
    const [[policyName]] = stack.resources('aws_iam_role_policy').filter(([, p]) => p.name === 'destroy-cleanup');
    expect(dependsOnTransitively(graph, invocationAddress, `aws_lambda_function.${fnName}`)).toBe(true);
    expect(dependsOnTransitively(graph, invocationAddress, `aws_iam_role_policy.${policyName}`)).toBe(true);
    expect(fn).toMatchObject({ runtime: 'python3.12', handler: 'cleanup.handler', timeout: 900, function_name: 'demo-cleanup' });
    expect(fn.source_code_hash).toBe(createHash('sha256').update(cleanupPackage()).digest('base64'));
  });

  test('may describe anything but delete only what carries the cluster tag, with no wildcard action', () => {
    const [[, policy]] = stack.resources('aws_iam_role_policy').filter(([, p]) => p.name === 'destroy-cleanup');
    const document = JSON.parse(policy.policy);
    for (const statement of document.Statement) {
      for (const action of statement.Action) expect(action).not.toContain('*');
      if (statement.Resource.includes('*')) {
        const describes = statement.Action.every((a: string) => /:Describe/.test(a));
        expect([statement.Sid, describes || statement.Condition?.StringEquals?.['aws:ResourceTag/kubernetes.io/cluster/demo'] === 'owned']).toEqual([statement.Sid, true]);
      }
    }
    const actions = document.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteTargetGroup', 'ec2:DeleteSecurityGroup', 'ec2:DeleteVolume']));
    const revoke = document.Statement.find((s: { Action: string[] }) => s.Action.includes('ec2:RevokeSecurityGroupIngress'));
    expect(revoke.Resource).toHaveLength(2);
    for (const arn of revoke.Resource) expect(arn).toMatch(/^\$\{aws_security_group\.[^.]+\.arn\}$/);
  });

  test('a pure policy: deletes are conditioned, revokes name the groups given', () => {
    const document = cleanupPolicy({ clusterName: 'x', securityGroupArns: ['arn:sg-1'], logGroupArn: 'arn:log' });
    const deletes = document.Statement.filter((s) => s.Action.some((a) => a.includes(':Delete')));
    expect(deletes.length).toBe(2);
    for (const s of deletes) expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/x': 'owned' } });
    expect(document.Statement.find((s) => s.Sid === 'Log')!.Resource).toEqual(['arn:log:*']);
  });

  test('the package is a zip of the code with fixed timestamps, the same bytes every time', () => {
    const bytes = cleanupPackage();
    expect(cleanupPackage().equals(bytes)).toBe(true);
    const check = [
      'import io, sys, zipfile',
      'z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))',
      'assert z.testzip() is None',
      'info = z.infolist()',
      "print(','.join(i.filename for i in info), info[0].date_time, oct(info[0].external_attr >> 16))",
      "sys.stdout.buffer.write(z.read('cleanup.py'))",
    ].join('\n');
    const out = execFileSync('python3', ['-c', check], { input: bytes, env });
    const text = out.toString('utf8');
    const firstLine = text.slice(0, text.indexOf('\n'));
    expect(firstLine).toBe('cleanup.py (1980, 1, 1, 0, 0, 0) 0o100644');
    expect(out.subarray(firstLine.length + 1).equals(cleanupSource())).toBe(true);
  });

  test('the control-plane instances carry the tags by which the cleanup tells a live cluster', () => {
    const prefix = /NODE_ROLE_TAG_PREFIX = "([^"]+)"/.exec(cleanupSource().toString())![1];
    // Self-healing nodes: each group of one gives its instance the node's tags at launch.
    const groups = stack.resources('aws_autoscaling_group').filter(([id]) => id.includes('_control-plane_'));
    expect(groups.length).toBeGreaterThan(0);
    for (const [, group] of groups) {
      const tags = Object.fromEntries(group.tag.filter((t: { propagate_at_launch: boolean }) => t.propagate_at_launch).map((t: { key: string; value: string }) => [t.key, t.value]));
      expect(tags).toMatchObject({ [`${prefix}demo`]: 'control-plane', 'kubernetes.io/cluster/demo': 'owned' });
      // Terraform empties such a group, and waits for its instance to terminate, before it deletes it.
      expect(group.force_delete).toBeUndefined();
    }
  });

  test('the synth is byte-identical', () => {
    expect(synth().text).toBe(stack.text);
  });
});

describe('turning the cleanup on and off', () => {
  const has = (p: Partial<KubeadmClusterProps>) => synth(p).resources('aws_lambda_invocation').length === 1;

  test('on by default, off with cleanUpOnDestroy: false', () => {
    expect(has({})).toBe(true);
    expect(has({ cleanUpOnDestroy: false })).toBe(false);
  });

  test('off by default without the cloud integration, on when asked', () => {
    const withoutCloud = synth({ cloudControllerManager: false, ebsCsiDriver: false });
    expect(withoutCloud.resources('aws_lambda_function')).toEqual([]);
    for (const [, instance] of withoutCloud.resources('aws_instance')) {
      expect(JSON.stringify(instance.depends_on)).not.toContain('aws_lambda_invocation');
    }
    expect(has({ cloudControllerManager: false, ebsCsiDriver: false, cleanUpOnDestroy: true })).toBe(true);
  });
});

describe('removing the EBS driver snapshots on destroy', () => {
  const policyOf = (stack: SynthesisedStack) => JSON.parse(stack.resources('aws_iam_role_policy').find(([, p]) => p.name === 'destroy-cleanup')![1].policy);
  const inputOf = (stack: SynthesisedStack) => JSON.parse(stack.resources('aws_lambda_invocation')[0][1].input);

  test('off by default: the input and the policy are what they were, and snapshots may only be described', () => {
    const stack = synth();
    expect(Object.keys(inputOf(stack)).sort()).toEqual(['clusterName', 'securityGroupIds', 'vpcId']);
    const actions = policyOf(stack).Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions).toContain('ec2:DescribeSnapshots');
    expect(actions).not.toContain('ec2:DeleteSnapshot');
  });

  test('removeSnapshotsOnDestroy: true puts it in the input and allows deleting only snapshots tagged for the cluster', () => {
    const stack = synth({ removeSnapshotsOnDestroy: true });
    expect(inputOf(stack).removeSnapshots).toBe(true);
    const statement = policyOf(stack).Statement.find((s: { Sid: string }) => s.Sid === 'DeleteOwnedSnapshots');
    expect(statement).toEqual({ Sid: 'DeleteOwnedSnapshots', Effect: 'Allow', Action: ['ec2:DeleteSnapshot'], Resource: ['*'], Condition: { StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/demo': 'owned' } } });
  });

  test('asked for without the cleanup, a problem naming the property and the fix', () => {
    for (const p of [{ cleanUpOnDestroy: false }, { cloudControllerManager: false, ebsCsiDriver: false }]) {
      const problems = problemsThrownBy(() => validateCluster({ ...props, ...p, removeSnapshotsOnDestroy: true }));
      expect(problems).toEqual([expect.objectContaining({ property: 'removeSnapshotsOnDestroy', value: 'true', fix: 'set cleanUpOnDestroy to true, or leave removeSnapshotsOnDestroy out' })]);
    }
    expect(problemsThrownBy(() => validateCluster({ ...props, cloudControllerManager: false, ebsCsiDriver: false, cleanUpOnDestroy: true, removeSnapshotsOnDestroy: true }))).toEqual([]);
  });
});
