import { criticalPath, deployGraph, StackJson } from '../lib/deploy-graph';
import { DurationRule, TYPICAL_DURATIONS, typicalDuration } from '../lib/deploy-durations';
import { blockName, describeDeployPath, estimateDeployPath } from '../lib/deploy-path';
import { EXAMPLES, stackName } from '../examples/synth';
import { synthesisedExample } from './support/example-synth';

const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
const minutes = (table: Record<string, number>) => (node: string) => table[node];

describe('criticalPath', () => {
  test('a chain adds up its waits', () => {
    const path = criticalPath(graphOf({ a: [], b: ['a'], c: ['b'] }), minutes({ a: 1, b: 2, c: 3 }), ['c']);
    expect(path).toEqual({ minutes: 6, chain: ['a', 'b', 'c'] });
  });

  test('of parallel branches the longer wins, whichever is listed first', () => {
    const durations = minutes({ start: 1, quick: 1, slow: 4, join: 1 });
    expect(criticalPath(graphOf({ start: [], quick: ['start'], slow: ['start'], join: ['quick', 'slow'] }), durations, ['join'])).toEqual({ minutes: 6, chain: ['start', 'slow', 'join'] });
    expect(criticalPath(graphOf({ start: [], quick: ['start'], slow: ['start'], join: ['slow', 'quick'] }), durations, ['join'])).toEqual({ minutes: 6, chain: ['start', 'slow', 'join'] });
  });

  test('of several targets the one done last ends the path; ties go to the first by name', () => {
    const graph = graphOf({ a: [], b: [], x: ['a'], y: ['b'] });
    expect(criticalPath(graph, minutes({ a: 1, b: 5, x: 1, y: 1 }), ['x', 'y']).chain).toEqual(['b', 'y']);
    expect(criticalPath(graph, minutes({ a: 2, b: 2, x: 1, y: 1 }), ['y', 'x']).chain).toEqual(['a', 'x']);
  });

  test('a cycle is refused, naming it', () => {
    const graph = graphOf({ root: [], a: ['root', 'c'], b: ['a'], c: ['b'], end: ['c'] });
    expect(() => criticalPath(graph, () => 1, ['end'])).toThrow('the dependency graph has a cycle, so no deploy order exists: c -> b -> a -> c');
  });

  test('a wait for a block the graph lacks, a negative duration and no target are refused', () => {
    expect(() => criticalPath(graphOf({ a: ['ghost'] }), () => 1, ['a'])).toThrow('a waits for ghost, which is not in the graph');
    expect(() => criticalPath(graphOf({ a: [] }), () => -1, ['a'])).toThrow('a has no duration (-1)');
    expect(() => criticalPath(graphOf({ a: [] }), () => 1, [])).toThrow('no target');
  });
});

describe('deployGraph', () => {
  const stack: StackJson = {
    provider: { helm: [{ alias: 'demo', kubernetes: { host: 'https://${aws_eip.endpoint.public_ip}:6443' } }], aws: [{ region: 'eu-west-1' }] },
    data: { aws_region: { here: {} } },
    resource: {
      aws_eip: { endpoint: {} },
      aws_vpc: { vpc: { '//': { metadata: { path: 'stack/cluster/network/vpc' } }, cidr_block: '10.0.0.0/16' } },
      aws_subnet: { a: { vpc_id: '${aws_vpc.vpc.id}', tags: { Name: '${format("%s-a", data.aws_region.here.region)}' } } },
      aws_instance: { node: { depends_on: ['aws_subnet.a'], user_data: '${jsonencode({ subnet = aws_subnet.a.id, tail = var.x.aws_vpc.vpc })}', tags: { note: 'aws_vpc.vpc in plain text is no reference' } } },
      helm_release: { chart: { provider: 'helm.demo', values: ['${aws_instance.node.id} ${aws_instance.missing.id} ${helm_release.chart.name}'] } },
    },
  };
  const graph = deployGraph(stack);

  test('reads depends_on, references inside interpolations, data sources and providers', () => {
    expect(graph.get('aws_subnet.a')!.needs).toEqual(['aws_vpc.vpc', 'data.aws_region.here', 'provider.aws']);
    expect(graph.get('aws_instance.node')!.needs).toEqual(['aws_subnet.a', 'provider.aws']);
    expect(graph.get('helm_release.chart')!.needs).toEqual(['aws_instance.node', 'provider.helm.demo']);
    expect(graph.get('provider.helm.demo')!.needs).toEqual(['aws_eip.endpoint']);
    expect(graph.get('data.aws_region.here')!.mode).toBe('data');
  });

  test('names blocks by construct path, or by the path their logical id spells', () => {
    expect(blockName(graph.get('aws_vpc.vpc')!)).toBe('cluster/network/vpc');
    expect(blockName({ address: 'aws_nat_gateway.cluster_network_nat-gateway-0_1A2B3C4D' })).toBe('cluster/network/nat-gateway-0');
    expect(blockName({ address: 'aws_subnet.a' })).toBe('aws_subnet.a');
  });
});

describe('typical durations', () => {
  const resource = (type: string, body: Record<string, unknown> = {}) => typicalDuration({ type, mode: 'resource', body });

  test('the first matching rule gives the time: a chart of its own before small charts, a waiting group before any group', () => {
    expect(resource('helm_release', { chart: 'cilium' }).minutes).toBe(2.5);
    expect(resource('helm_release', { chart: 'cert-manager' }).minutes).toBe(1);
    expect(resource('aws_autoscaling_group', { min_size: 2, wait_for_capacity_timeout: '60m', initial_lifecycle_hook: [{ name: 'node-ready' }] }).minutes).toBe(5);
    // A control-plane group of one has no launch hook: it is InService once its instance runs.
    expect(resource('aws_autoscaling_group', { min_size: 1, wait_for_capacity_timeout: '10m' }).minutes).toBe(0.75);
    expect(resource('aws_autoscaling_group', { min_size: 2, wait_for_capacity_timeout: '0' }).minutes).toBe(0.1);
    expect(resource('kubernetes_deployment_v1', { wait_for_rollout: false }).minutes).toBe(0);
    expect(resource('terraform_data', { provisioner: [{ 'local-exec': { command: 'wait for the Kubernetes API at https://x:6443' } }] }).minutes).toBe(4);
    expect(resource('terraform_data').minutes).toBe(0);
  });

  test('every rule says what it waits for and why that long; data sources and providers take no time', () => {
    for (const rule of TYPICAL_DURATIONS) {
      expect([String(rule.type), rule.what.length > 0, rule.basis.length > 10, rule.minutes >= 0]).toEqual([String(rule.type), true, true, true]);
    }
    expect(typicalDuration({ type: 'aws_region', mode: 'data', body: {} }).minutes).toBe(0);
    const only: DurationRule[] = [{ type: 'aws_vpc', minutes: 1, what: 'x', basis: 'y' }];
    expect(() => typicalDuration({ type: 'aws_lb', mode: 'resource', body: {} }, only)).toThrow('no typical duration for aws_lb');
  });
});

describe('estimateDeployPath', () => {
  const check = (name: string) => ({ '//': { metadata: { path: `stack/${name}/connectivity-check/check` } }, wait_for_completion: true });
  const stack: StackJson = {
    resource: {
      aws_nat_gateway: { nat: {} },
      aws_instance: { blue: {}, green: { depends_on: ['aws_nat_gateway.nat'] } },
      kubernetes_job_v1: { blue: { ...check('blue'), depends_on: ['aws_instance.blue'] }, green: { ...check('green'), depends_on: ['aws_instance.green'] } },
      helm_release: { late: { depends_on: ['kubernetes_job_v1.green'] } },
    },
  };

  test("ends at the named cluster's check, and says when the apply goes on after it", () => {
    const blue = estimateDeployPath(stack, { clusterPath: 'stack/blue' });
    expect(blue).toMatchObject({ minutes: 1.75, endsAtCheck: true, applyMinutes: 4.25, applyEndsWith: 'helm_release.late' });
    expect(blue.steps.map((s) => [s.name, s.minutes, s.doneAt])).toEqual([['aws_instance.blue', 0.75, 0.75], ['blue/connectivity-check/check', 1, 1.75]]);
    expect(describeDeployPath(blue)).toContain('The apply itself goes on until ~4.25 min (its last step: helm_release.late).');
    const green = estimateDeployPath(stack, { clusterPath: 'stack/green' });
    expect(green.steps.map((s) => s.name)).toEqual(['aws_nat_gateway.nat', 'aws_instance.green', 'green/connectivity-check/check']);
    expect(describeDeployPath(green)).toMatch(/^Estimated deploy time to a checked cluster \(modelled, typical AWS times\): ~3 min\n/);
    expect(estimateDeployPath({ resource: { aws_instance: { node: {} }, kubernetes_job_v1: { check: { wait_for_completion: true, depends_on: ['aws_instance.node'] } } } }).applyMinutes).toBe(1.75);
    expect(describeDeployPath(estimateDeployPath({ resource: { kubernetes_job_v1: { check: { wait_for_completion: true } } } }))).not.toContain('goes on');
  });

  test('without a check, ends where the apply does, and says so', () => {
    const estimate = estimateDeployPath({ resource: { aws_nat_gateway: { nat: {} } } });
    expect(estimate).toMatchObject({ minutes: 1.5, endsAtCheck: false });
    expect(describeDeployPath(estimate)).toContain('Estimated deploy time, no connectivity check (modelled, typical AWS times): ~2 min');
  });
});

/**
 * Each example's estimate: minutes to its checked cluster and the chain of waits. A change that
 * lengthens (or shortens) the path changes these, so it shows up in review: update them with the
 * change, and say why in its message.
 */
const EXPECTED: Record<string, Record<string, { minutes: number; chain: string[] }>> = {
  'default': {
    'cluster': { minutes: 9.55, chain: [
      'aws_cloudformation_stack.cluster_etcd-backups_bucket_stack_D0281BEC',
      'aws_ssm_document.cluster_channel_etcd-backup-document_FF5843AA',
      'aws_iam_role_policy.cluster_identities_control-plane_channel-documents-policy_C1DFA4EC',
      'aws_eip_association.cluster_control-plane_endpoint-association_797FC559',
      'aws_autoscaling_group.cluster_control-plane_node-0_group_D59FC119',
      'terraform_data.cluster_access_readiness_2627F513',
      'kubernetes_daemon_set_v1.cluster_cni_daemon-set_2DF7A0EE',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
    ] },
  },
  'ha-cilium': {
    'cluster': { minutes: 13.05, chain: [
      'aws_vpc.cluster_network_vpc_300AE977',
      'aws_security_group.cluster_control-plane_api_internal_security-group_11F007F5',
      'aws_lb.cluster_control-plane_api_internal_load-balancer_921C8988',
      'aws_launch_template.cluster_control-plane_node-0_launch-template_41157CAD',
      'aws_autoscaling_group.cluster_control-plane_node-0_group_D59FC119',
      'terraform_data.cluster_access_readiness_2627F513',
      'helm_release.cluster_cni_release_6BABA7E1',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
    ] },
  },
  'calico': {
    'cluster': { minutes: 9.55, chain: [
      'aws_cloudformation_stack.cluster_etcd-backups_bucket_stack_D0281BEC',
      'aws_ssm_document.cluster_channel_etcd-backup-document_FF5843AA',
      'aws_iam_role_policy.cluster_identities_control-plane_channel-documents-policy_C1DFA4EC',
      'aws_eip_association.cluster_control-plane_endpoint-association_797FC559',
      'aws_autoscaling_group.cluster_control-plane_node-0_group_D59FC119',
      'terraform_data.cluster_access_readiness_2627F513',
      'helm_release.cluster_cni_release_6BABA7E1',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
    ] },
  },
  'flannel': {
    'cluster': { minutes: 9.55, chain: [
      'aws_cloudformation_stack.cluster_etcd-backups_bucket_stack_D0281BEC',
      'aws_ssm_document.cluster_channel_etcd-backup-document_FF5843AA',
      'aws_iam_role_policy.cluster_identities_control-plane_channel-documents-policy_C1DFA4EC',
      'aws_eip_association.cluster_control-plane_endpoint-association_797FC559',
      'aws_autoscaling_group.cluster_control-plane_node-0_group_D59FC119',
      'terraform_data.cluster_access_readiness_2627F513',
      'kubernetes_daemon_set_v1.cluster_cni_daemon-set_2DF7A0EE',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
    ] },
  },
  'routed': {
    'cluster': { minutes: 8.6, chain: [
      'aws_cloudfront_cache_policy.cluster_service-account-issuer_cdn_cache_85633C2C',
      'aws_cloudfront_distribution.cluster_service-account-issuer_cdn_distribution_5481BAA8',
      'aws_s3_bucket_public_access_block.cluster_service-account-issuer_public-access_22773A35',
      'aws_s3_bucket_policy.cluster_service-account-issuer_policy_BE2AE34A',
      'terraform_data.cluster_service-account-issuer_issuer-served_B19C62F6',
      'aws_iam_openid_connect_provider.cluster_service-account-issuer_provider_E5AC98F4',
      'aws_iam_role.cluster_cloud-controller-manager_role_D1E311E0',
      'aws_iam_role_policy.cluster_cloud-controller-manager_role_policy_588337EC',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
    ] },
  },
  'existing-vpc': {
    'cluster': { minutes: 9.55, chain: [
      'aws_cloudformation_stack.cluster_etcd-backups_bucket_stack_D0281BEC',
      'aws_ssm_document.cluster_channel_etcd-backup-document_FF5843AA',
      'aws_iam_role_policy.cluster_identities_control-plane_channel-documents-policy_C1DFA4EC',
      'aws_eip_association.cluster_control-plane_endpoint-association_797FC559',
      'aws_autoscaling_group.cluster_control-plane_node-0_group_D59FC119',
      'terraform_data.cluster_access_readiness_2627F513',
      'kubernetes_daemon_set_v1.cluster_cni_daemon-set_2DF7A0EE',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
    ] },
  },
  'autoscaled-spot': {
    'cluster': { minutes: 15.55, chain: [
      'aws_cloudformation_stack.cluster_etcd-backups_bucket_stack_D0281BEC',
      'aws_ssm_document.cluster_channel_etcd-backup-document_FF5843AA',
      'aws_iam_role_policy.cluster_identities_control-plane_channel-documents-policy_C1DFA4EC',
      'aws_eip_association.cluster_control-plane_endpoint-association_797FC559',
      'aws_autoscaling_group.cluster_control-plane_node-0_group_D59FC119',
      'terraform_data.cluster_access_readiness_2627F513',
      'kubernetes_daemon_set_v1.cluster_cni_daemon-set_2DF7A0EE',
      'helm_release.cluster_workloads_cloud-controller-manager_71B02377',
      'kubernetes_deployment_v1.cluster_connectivity-check_servers_641CD5F8',
      'kubernetes_job_v1.cluster_connectivity-check_9F87C0ED',
      'kubernetes_job_v1.cluster_connectivity-check_scale-up-check_B34B6693',
    ] },
  },
  'two-clusters': {
    'blue': { minutes: 9.55, chain: [
      'aws_cloudformation_stack.blue_etcd-backups_bucket_stack_35D04797',
      'aws_ssm_document.blue_channel_etcd-backup-document_49A6CF83',
      'aws_iam_role_policy.blue_identities_control-plane_channel-documents-policy_95AEFF70',
      'aws_eip_association.blue_control-plane_endpoint-association_12F2E357',
      'aws_autoscaling_group.blue_control-plane_node-0_group_66C2B1D2',
      'terraform_data.blue_access_readiness_3AF2F5B3',
      'kubernetes_daemon_set_v1.blue_cni_daemon-set_8E44D45F',
      'helm_release.blue_workloads_cloud-controller-manager_C3623B62',
      'kubernetes_deployment_v1.blue_connectivity-check_servers_5E744D6B',
      'kubernetes_job_v1.blue_connectivity-check_782753EF',
    ] },
    'green': { minutes: 9.55, chain: [
      'aws_cloudformation_stack.green_etcd-backups_bucket_stack_6BCF6B6F',
      'aws_ssm_document.green_channel_etcd-backup-document_ABB9D0A0',
      'aws_iam_role_policy.green_identities_control-plane_channel-documents-policy_DDCECB71',
      'aws_eip_association.green_control-plane_endpoint-association_814F5D7A',
      'aws_autoscaling_group.green_control-plane_node-0_group_D8D0F9DE',
      'terraform_data.green_access_readiness_2BD67C72',
      'kubernetes_daemon_set_v1.green_cni_daemon-set_8F5D71A1',
      'helm_release.green_workloads_cloud-controller-manager_20D1CAB6',
      'kubernetes_deployment_v1.green_connectivity-check_servers_2744EDE4',
      'kubernetes_job_v1.green_connectivity-check_6C9A16DC',
    ] },
  },
};



describe.each(Object.keys(EXAMPLES))('the %s example', (example) => {
  test('takes its fixed path to each checked cluster', () => {
    const json = synthesisedExample(example).json;
    const expected = EXPECTED[example];
    expect(expected).toBeDefined();
    for (const [cluster, { minutes: total, chain }] of Object.entries(expected)) {
      const estimate = estimateDeployPath(json, { clusterPath: `${stackName(example)}/${cluster}` });
      expect([cluster, estimate.minutes, estimate.endsAtCheck, estimate.steps.map((s) => s.address)]).toEqual([cluster, total, true, chain]);
    }
  });
});
