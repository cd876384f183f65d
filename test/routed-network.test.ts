import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Cni } from '../lib/cni/cni';
import { VPC_ROUTES_CNI_CONFIG_PATH, VpcRoutes } from '../lib/cni/vpc-routes';
import { validateCluster } from '../lib/cluster-validation';
import { formatProblem, ProblemList } from '../lib/plan/problems';
import { checkRouteCapacity, podRouteCapacity } from '../lib/plan/route-capacity';
import { planSecurityGroupRules } from '../lib/network/security-group-rules';
import { KUBERNETES_PORTS } from '../lib/network/ports';
import { MASQUERADE_TABLE, nodePodNetworkProgram, nodePodNetworkUnit } from '../lib/network/routed/node-pod-network-program';
import { routedNetworkPolicy } from '../lib/network/routed/routed-policy';
import { routeReconcilerUnit } from '../lib/network/routed/routed-pod-network';
import { renderUnit } from '../lib/bootstrap/systemd';
import { synthesisedExample } from './support/example-synth';
import { NodeSandbox } from './support/node-sandbox';
import { problemsThrownBy } from './support/problems';
import { hasTool, shellcheck } from './support/validators';

describe('Cni.vpcRoutes()', () => {
  test('a routed datapath with no ports of its own, the VPC\'s MTU and its own default pod range', () => {
    const cni = Cni.vpcRoutes();
    expect(cni).toBeInstanceOf(VpcRoutes);
    expect(cni.datapath).toEqual({ encapsulation: 'routed', controlPorts: [] });
    expect(cni.ports).toEqual([]);
    expect(cni.mtu).toBe(9001);
    expect(cni.defaultPodCidr).toBe('10.200.0.0/16');
    expect(cni.cniConfig('10.200.3.0/24')).toMatchObject({
      plugins: [{ type: 'bridge', ipMasq: false, isGateway: true, mtu: 9001, ipam: { type: 'host-local', ranges: [[{ subnet: '10.200.3.0/24' }]] } }, { type: 'portmap' }],
    });
  });

  test('refuses a quota AWS cannot have', () => {
    expect(problemsThrownBy(() => Cni.vpcRoutes({ routeTableQuota: 20 })).map((p) => p.property)).toEqual(['vpcRoutes.routeTableQuota']);
    expect(problemsThrownBy(() => Cni.vpcRoutes({ routeTableQuota: 1001 }))).toHaveLength(1);
    expect(problemsThrownBy(() => Cni.vpcRoutes({ routeTableQuota: 1000 }))).toEqual([]);
  });
});

describe('route table capacity', () => {
  test('48 nodes fit the default 50 routes (the local and default routes take 2); 49 do not', () => {
    expect(podRouteCapacity(50)).toBe(48);
    const problems = (maxNodeCount: number, quota = 50) => {
      const list = new ProblemList();
      checkRouteCapacity(list, { maxNodeCount, routeTableQuota: quota, property: 'cni.routeTableQuota' });
      return list.problems;
    };
    expect(problems(48)).toEqual([]);
    expect(problems(49)).toHaveLength(1);
    expect(problems(200, 300)).toEqual([]);
    // Beyond what any quota allows, raising it is no way out.
    expect(problems(1200, 1000)[0].fix).not.toContain('raise the quota');
  });

  test('a cluster larger than the route tables allow is refused at synth, with the quota and the fixes', () => {
    const problems = problemsThrownBy(() =>
      validateCluster({ clusterName: 'big', cni: Cni.vpcRoutes(), workerPools: [{ name: 'workers', minSize: 1, maxSize: 60 }] }),
    );
    expect(problems).toHaveLength(1);
    const message = formatProblem(problems[0]);
    expect(message).toContain('cni.routeTableQuota');
    expect(message).toContain('the cluster can grow to 61 nodes');
    expect(message).toContain('L-93826ACB');
    expect(message).toContain('raise the quota "Routes per route table" (L-93826ACB) to at least 63 in Service Quotas and set cni.routeTableQuota to it');
    expect(message).toContain('or use an overlay plugin');
    // eslint-disable-next-line no-console
    console.log(`plan error for 61 nodes:\n${message}`);
    expect(problemsThrownBy(() => validateCluster({ clusterName: 'big', cni: Cni.vpcRoutes({ routeTableQuota: 100 }), workerPools: [{ name: 'workers', minSize: 1, maxSize: 60 }] }))).toEqual([]);
  });
});

describe('security group rules of the routed pod network', () => {
  test('every node admits the pod range, all protocols; nothing else by range between nodes', () => {
    const { rules } = planSecurityGroupRules({ portTables: [{ property: 'KUBERNETES_PORTS', rules: KUBERNETES_PORTS }], vpcCidr: '10.0.0.0/16', podCidr: '10.200.0.0/16' });
    const pod = rules.filter((r) => r.cidr === '10.200.0.0/16');
    expect(pod.map((r) => [r.group, r.direction, r.ipProtocol])).toEqual([
      ['control-plane', 'ingress', '-1'],
      ['worker', 'ingress', '-1'],
    ]);
    const without = planSecurityGroupRules({ portTables: [{ property: 'KUBERNETES_PORTS', rules: KUBERNETES_PORTS }], vpcCidr: '10.0.0.0/16' });
    expect(rules.length - without.rules.length).toBe(2);
    expect(problemsThrownBy(() => planSecurityGroupRules({ portTables: [], podCidr: '10.200.0.1/16' })).map((p) => p.property)).toEqual(['podCidr']);
  });
});

describe('the node program (CNI configuration and masquerade)', () => {
  const program = (polls = 3) =>
    nodePodNetworkProgram({ podCidr: '10.200.0.0/16', vpcCidr: '10.0.0.0/16', podCidrPolls: polls, paths: { kubeletConfig: '/etc/kubernetes/kubelet.conf', cniConfig: VPC_ROUTES_CNI_CONFIG_PATH } });
  const sandboxed = (s: NodeSandbox, polls = 3) => program(polls).replace(/readonly (KUBELET_CONFIG|CNI_CONFIG)='([^']*)'/g, (_, name, path) => `readonly ${name}='${s.path(path)}'`);

  function node(podCidr: string, afterPolls = 0) {
    const s = new NodeSandbox();
    s.writeFile('/etc/kubernetes/kubelet.conf', 'apiVersion: v1\nkind: Config\n');
    s.standIn('hostname', 'echo IP-10-0-1-7');
    s.standIn('kubectl', `n=$(cat "$STATE/polls" 2>/dev/null || echo 0); echo $((n + 1)) > "$STATE/polls"; [ "$n" -ge ${afterPolls} ] && printf '%s' '${podCidr}'; exit 0`);
    s.standIn('nft', 'cat > "$STATE/nft"');
    return s;
  }

  test('waits for spec.podCIDR, writes the bridge configuration for it, and masquerades only what leaves the VPC and the pod range', () => {
    const s = node('10.200.7.0/24', 2);
    try {
      const run = s.run(sandboxed(s));
      expect(run.status).toBe(0);
      expect(run.output).toContain('node ip-10-0-1-7 owns 10.200.7.0/24');
      expect(s.callLines('kubectl')[0]).toContain('get node ip-10-0-1-7 -o jsonpath={.spec.podCIDR}');
      const config = JSON.parse(s.readFile(VPC_ROUTES_CNI_CONFIG_PATH));
      expect(config).toEqual(Cni.vpcRoutes().cniConfig('10.200.7.0/24'));
      const rules = s.readFile('/../state/nft');
      expect(rules).toContain(`delete table ip ${MASQUERADE_TABLE}`);
      expect(rules).toContain('type nat hook postrouting priority srcnat; policy accept;');
      expect(rules).toContain('ip saddr 10.200.0.0/16 ip daddr != { 10.200.0.0/16, 10.0.0.0/16 } masquerade');
    } finally {
      s.cleanup();
    }
  });

  test('a Node without a range fails after its polls, saying what to check', () => {
    const s = node('', 0);
    try {
      const run = s.run(sandboxed(s, 3));
      expect(run.status).toBe(1);
      expect(run.output).toContain('node ip-10-0-1-7 has no spec.podCIDR after 3 polls; check that the kubelet registered it');
      expect(s.exists(VPC_ROUTES_CNI_CONFIG_PATH)).toBe(false);
    } finally {
      s.cleanup();
    }
  });

  test('passes shellcheck, and its unit retries at every boot', () => {
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(program())).toBe('');
    }
    const unit = renderUnit(nodePodNetworkUnit());
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('WantedBy=multi-user.target');
  });
});

describe('the route reconciler', () => {
  const fake = join(__dirname, 'support', 'fake_ec2_routes.py');
  const reconcile = (world: object) => {
    const run = spawnSync('python3', [fake], { input: JSON.stringify(world), encoding: 'utf8', timeout: 20_000 });
    if (run.status !== 0) {
      throw new Error(run.stderr);
    }
    return JSON.parse(run.stdout);
  };
  const node = (name: string, podCIDR: string | undefined, instance: string | undefined) => ({ metadata: { name }, spec: { ...(podCIDR ? { podCIDR } : {}), ...(instance ? { providerID: `aws:///eu-central-1a/${instance}` } : {}) } });
  const local = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' };
  const table = (id: string, routes: object[], tags: Record<string, string> = { 'kubernetes.io/cluster/demo': 'owned' }) => ({ RouteTableId: id, VpcId: 'vpc-1', Tags: tags, Routes: [local, ...routes] });

  test('routes every node\'s range to it in every cluster table, fixes wrong and stale routes, leaves the rest alone', () => {
    const result = reconcile({
      tables: [
        table('rtb-public', [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }]),
        table('rtb-private-a', [
          { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'nat-1', State: 'active' },
          { DestinationCidrBlock: '10.200.0.0/24', InstanceId: 'i-old', State: 'active' },
          { DestinationCidrBlock: '10.200.9.0/24', State: 'blackhole' },
        ]),
        // Not the cluster's: never read.
        table('rtb-other', [], { Name: 'other' }),
      ],
      instances: { 'i-cp': true, 'i-w1': false },
      nodes: [node('cp', '10.200.0.0/24', 'i-cp'), node('w1', '10.200.1.0/24', 'i-w1'), node('joining', undefined, 'i-new'), node('no-id', '10.200.2.0/24', undefined)],
    });
    expect(result.error).toBeNull();
    expect(result.tables['rtb-public']).toEqual([['0.0.0.0/0', 'igw-1'], ['10.0.0.0/16', 'local'], ['10.200.0.0/24', 'i-cp'], ['10.200.1.0/24', 'i-w1']]);
    expect(result.tables['rtb-private-a']).toEqual([['0.0.0.0/0', 'nat-1'], ['10.0.0.0/16', 'local'], ['10.200.0.0/24', 'i-cp'], ['10.200.1.0/24', 'i-w1']]);
    expect(result.tables['rtb-other']).toEqual([['10.0.0.0/16', 'local']]);
    expect(result.changes).toEqual([
      'rtb-private-a: deleted 10.200.9.0/24 (blackhole, no node owns it)',
      'rtb-private-a: replaced 10.200.0.0/24 -> i-cp',
      'rtb-private-a: created 10.200.1.0/24 -> i-w1',
      'rtb-public: created 10.200.0.0/24 -> i-cp',
      'rtb-public: created 10.200.1.0/24 -> i-w1',
      'i-cp: source/destination check off',
    ]);
    // The second page of route tables was read.
    expect(result.calls.filter((c: unknown[]) => c[0] === 'describe_route_tables')).toEqual([['describe_route_tables', null], ['describe_route_tables', 'page-2']]);
    expect(result.instances).toEqual({ 'i-cp': false, 'i-w1': false });
  });

  test('a second pass changes nothing; a race with another control-plane node is no failure', () => {
    const tables = [table('rtb-a', [{ DestinationCidrBlock: '10.200.0.0/24', InstanceId: 'i-cp', State: 'active' }])];
    const quiet = reconcile({ tables, instances: { 'i-cp': false }, nodes: [node('cp', '10.200.0.0/24', 'i-cp')] });
    expect(quiet.changes).toEqual([]);
    const raced = reconcile({ tables: [table('rtb-a', [])], instances: { 'i-cp': false }, nodes: [node('cp', '10.200.0.0/24', 'i-cp')], failOn: { create_route: 'RouteAlreadyExists' } });
    expect(raced.error).toBeNull();
    expect(raced.changes).toEqual(['rtb-a: replaced 10.200.0.0/24 -> i-cp']);
  });

  test('no tagged route table: the pass fails, saying which tag to add', () => {
    const result = reconcile({ tables: [table('rtb-x', [], {})], nodes: [] });
    expect(result.error).toBe('no route table in vpc-1 carries the tag kubernetes.io/cluster/demo; tag the route tables of the node subnets with kubernetes.io/cluster/demo=shared');
  });

  test('its unit restarts it for ever, with the cluster\'s settings', () => {
    const unit = renderUnit(routeReconcilerUnit({ region: 'eu-central-1', vpcId: 'vpc-1', clusterName: 'demo', podCidr: '10.200.0.0/16' }));
    expect(unit).toContain('ExecStart=/usr/bin/python3 /usr/local/sbin/kubeadm-vpc-routes --region eu-central-1 --vpc-id vpc-1 --cluster-name demo --pod-cidr 10.200.0.0/16 --interval 15');
    expect(unit).toContain('Restart=always');
  });
});

describe('the routed example as synthesised', () => {
  const synth = synthesisedExample('routed');

  test('control plane without source/destination check, the reconciler\'s scoped policy, both installations', () => {
    // Self-healing control-plane nodes: the check belongs to the network interface every
    // replacement instance takes over.
    const interfaces = synth.resources('aws_network_interface');
    expect(interfaces.map(([, i]) => i.source_dest_check)).toEqual([false]);
    expect(synth.resources('aws_instance')).toEqual([]);
    const policy = synth.resources('aws_iam_role_policy').find(([id]) => id.includes('vpc-routes-policy'))!;
    const document = JSON.parse(policy[1].policy);
    expect(document.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['ReadRoutesAndInstances', 'PodRoutesInClusterRouteTables', 'SourceDestCheckOfClusterInstances']);
    expect(document.Statement[1].Condition).toEqual({ StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/routed': ['owned', 'shared'] } });
    const associations = synth.resources('aws_ssm_association').filter(([id]) => id.includes('vpc-routes'));
    expect(associations.map(([, a]) => [a.association_name, a.targets[0].values])).toEqual([
      ['routed-vpc-routes-node', ['control-plane', 'worker']],
      ['routed-vpc-routes-reconciler', ['control-plane']],
    ]);
    // Every route table of the node subnets carries the tag the reconciler finds it by.
    const tables = synth.resources('aws_route_table');
    expect(tables).toHaveLength(4);
    expect(tables.every(([, t]) => t.tags['kubernetes.io/cluster/routed'] === 'owned')).toBe(true);
    // The cloud controller manager keeps its route controller off: the reconciler owns the routes.
    const ccm = synth.resources('helm_release').find(([, r]) => r.name === 'aws-cloud-controller-manager')!;
    expect(ccm[1].values[0]).toContain('--configure-cloud-routes=false');
  });

  test('overlay clusters keep the source/destination check and get no reconciler policy', () => {
    expect(routedNetworkPolicy({ clusterName: 'routed', ec2ArnPrefix: 'arn:aws:ec2:eu-central-1:*' }).Statement).toHaveLength(3);
    expect(synthesisedExample('flannel').resources('aws_iam_role_policy').some(([id]) => id.includes('vpc-routes'))).toBe(false);
    const flannelInterfaces = synthesisedExample('flannel').resources('aws_network_interface');
    expect(flannelInterfaces.length).toBeGreaterThan(0);
    expect(flannelInterfaces.every(([, i]) => i.source_dest_check === undefined)).toBe(true);
  });
});
