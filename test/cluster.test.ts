import { DEFAULT_READINESS_TIMEOUT_MINUTES } from '../lib/bootstrap/boot-budget';
import { parse } from 'yaml';
import { ClusterConfigError, ClusterNetworkSource, Cni, ControlPlaneNodes, KubeadmCluster, KubeadmClusterProps, NatGateways } from '../lib';
import { DEPLOYER_ADDRESS_WARNING } from '../lib/cluster';
import { READINESS_PROGRAM } from '../lib/kubernetes/readiness-program';
import { EXAMPLES } from '../examples/synth';
import { synthesisedExample } from './support/example-synth';
import { synthStack } from './support/synth';
import { dependencyGraph, waitsOf } from './support/terraform-graph';

const base: KubeadmClusterProps = { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] };

// Control-plane nodes are groups of one (with their launch templates); workers are the others.
const isControlPlane = ([id]: [string, any]) => /_control-plane_/.test(id);
const workerGroups = (synth: { resources(type: string): [string, any][] }) => synth.resources('aws_autoscaling_group').filter((r) => !isControlPlane(r));
const workerTemplates = (synth: { resources(type: string): [string, any][] }) => synth.resources('aws_launch_template').filter((r) => !isControlPlane(r));
const controlPlaneGroups = (synth: { resources(type: string): [string, any][] }) => synth.resources('aws_autoscaling_group').filter(isControlPlane);
const controlPlaneTemplates = (synth: { resources(type: string): [string, any][] }) => synth.resources('aws_launch_template').filter(isControlPlane);

function problemsOf(props: KubeadmClusterProps) {
  try {
    synthStack((stack) => new KubeadmCluster(stack, 'cluster', props));
  } catch (e) {
    expect(e).toBeInstanceOf(ClusterConfigError);
    return (e as ClusterConfigError).problems;
  }
  throw new Error('expected a ClusterConfigError');
}

describe('KubeadmCluster with defaults', () => {
  const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { clusterName: 'demo' }));

  test('creates one self-healing control-plane node with an Elastic IP and one worker pool', () => {
    expect(synth.resources('aws_instance')).toHaveLength(0);
    expect(controlPlaneGroups(synth).map(([, g]) => [g.name, g.min_size, g.max_size, g.desired_capacity])).toEqual([['demo-control-plane-0', 1, 1, 1]]);
    expect(synth.resources('aws_eip').map(([, e]) => e.tags.Name).sort()).toEqual(['demo-api', 'demo-nat-0']);
    // The Elastic IP is associated with the node's network interface, so it follows it to every replacement.
    const [[eniId]] = synth.resources('aws_network_interface');
    expect(synth.resources('aws_eip_association').map(([, a]) => [a.network_interface_id, a.instance_id])).toEqual([[`\${aws_network_interface.${eniId}.id}`, undefined]]);
    // The node's only way out is that address: the group launches after it is associated, and the
    // association after the internet gateway's route.
    const [[associationId, association]] = synth.resources('aws_eip_association');
    expect(controlPlaneGroups(synth)[0][1].depends_on).toContain(`aws_eip_association.${associationId}`);
    expect(association.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_route\.cluster_network_default-route-public/)]));
    expect(workerGroups(synth).map(([, g]) => [g.min_size, g.max_size, g.desired_capacity])).toEqual([[2, 2, 2]]);
    expect(synth.resources('aws_lb')).toHaveLength(0);
  });

  test('the control-plane node keeps its fixed IP and its etcd volume across instances; IMDSv2 and encrypted volumes', () => {
    const [[eniId, eni]] = synth.resources('aws_network_interface');
    expect(eni.private_ips).toEqual(['10.0.128.10']);
    const [[volumeId, volume]] = synth.resources('aws_ebs_volume');
    expect(volume).toMatchObject({ encrypted: true, type: 'gp3', size: 20 });
    expect(volume.availability_zone).toMatch(/^\$\{data\.aws_subnet\.[\w-]+\.availability_zone\}$/);
    const [, template] = controlPlaneTemplates(synth)[0];
    expect(template.network_interfaces).toEqual([{ device_index: 0, network_interface_id: `\${aws_network_interface.${eniId}.id}`, delete_on_termination: 'false' }]);
    expect(template.vpc_security_group_ids).toBeUndefined();
    expect(template.metadata_options).toEqual({ http_endpoint: 'enabled', http_put_response_hop_limit: 1, http_tokens: 'required' });
    expect(template.block_device_mappings[0].ebs).toMatchObject({ encrypted: 'true', volume_type: 'gp3' });
    // The node attaches its own volume: its id is in the bootstrap's settings.
    expect(template.user_data).toContain(`aws_ebs_volume.${volumeId}.id`);
    const [, group] = controlPlaneGroups(synth)[0];
    // One instance at a time (the interface fits one), and no roll by itself.
    expect(group.instance_maintenance_policy).toEqual({ min_healthy_percentage: 0, max_healthy_percentage: 100 });
    expect(group.instance_refresh).toBeUndefined();
    expect(group.initial_lifecycle_hook).toBeUndefined();
    // Every replacement carries the tags the upgrade associations and the SSM channel target.
    expect(group.tag).toEqual(expect.arrayContaining([
      { key: 'cdktf-kubeadm-cluster/demo', value: 'control-plane', propagate_at_launch: true },
      { key: 'cdktf-kubeadm-cluster/demo/control-plane-node', value: '0', propagate_at_launch: true },
    ]));
    // Nodes start once their subnets have a way to the internet.
    expect(group.depends_on.join()).toMatch(/aws_route\./);
  });

  test("the control-plane role attaches only its cluster's control-plane volumes to its control-plane instances", () => {
    const [, policy] = synth.resources('aws_iam_role_policy').find(([id]) => id.includes('recovery-policy'))!;
    const statements = JSON.parse(policy.policy).Statement;
    const attach = statements.filter((st: any) => st.Action.includes('ec2:AttachVolume'));
    expect(attach.map((st: any) => st.Resource[0].replace(/\$\{[^}]+\}/g, 'X'))).toEqual(['arn:X:ec2:X:X:volume/*', 'arn:X:ec2:X:X:instance/*']);
    for (const st of attach) {
      expect(st.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/demo': 'owned' }, StringLike: { 'aws:ResourceTag/cdktf-kubeadm-cluster/demo/control-plane-node': '*' } });
    }
    expect(statements.find((st: any) => st.Sid === 'ReadAndWriteClusterGeneration').Action).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
    // One node: nothing to fence.
    expect(statements.some((st: any) => st.Action.includes('autoscaling:UpdateAutoScalingGroup'))).toBe(false);
    const [, generation] = synth.resources('aws_ssm_parameter').find(([, p]) => p.name?.endsWith?.('/cluster-generation'))!;
    expect(generation).toMatchObject({ type: 'String', value: 'none', lifecycle: { ignore_changes: ['value'] } });
  });

  test('ControlPlaneNodes.instances() keeps the previous release: an aws_instance at its fixed IP, the Elastic IP on the instance', () => {
    const kept = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', controlPlane: { nodes: ControlPlaneNodes.instances() } }));
    const [, instance] = kept.resources('aws_instance')[0];
    expect(instance.private_ip).toBe('10.0.128.10');
    expect(instance.metadata_options).toEqual({ http_endpoint: 'enabled', http_put_response_hop_limit: 1, http_tokens: 'required' });
    expect(instance.root_block_device).toMatchObject({ encrypted: true, volume_type: 'gp3' });
    expect(instance.lifecycle.ignore_changes).toEqual(['ami', 'user_data_base64']);
    expect(instance.depends_on.join()).toMatch(/aws_route\./);
    expect(kept.resources('aws_eip_association')[0][1].instance_id).toMatch(/aws_instance\./);
    expect(kept.resources('aws_network_interface')).toEqual([]);
    expect(controlPlaneGroups(kept)).toEqual([]);
    // It still knows its cluster's generation: a replaced instance never inits an empty cluster.
    expect(/GENERATION_PARAMETER='", aws_ssm_parameter\.[\w-]*generation[\w-]*\.name/.test(instance.user_data_base64)).toBe(true);
    const [, readiness] = kept.resources('terraform_data').find(([id]) => id.includes('readiness'))!;
    expect(readiness.provisioner[0]['local-exec'].environment.READYZ_INSTANCE_IDS).toMatch(/aws_instance\./);
  });

  test('API access defaults to the deploying machine, looked up at deploy time', () => {
    const [, lookup] = synth.data('http').find(([id]) => id.includes('deployer'))!;
    expect(lookup.url).toBe('https://checkip.amazonaws.com');
    const api = synth.resources('aws_vpc_security_group_ingress_rule').filter(([, r]) => r.cidr_ipv4 && r.ip_protocol === 'tcp');
    expect(api).toHaveLength(1);
    expect(api[0][1]).toMatchObject({ from_port: 6443, to_port: 6443 });
    expect(api[0][1].cidr_ipv4).toMatch(/^\$\{chomp\(data\.http\..*deployer.*\.response_body\)\}\/32$/);
  });

  test("a later deploy leaves each worker group's size to its operators", () => {
    for (const [, group] of workerGroups(synth)) {
      expect(group.lifecycle.ignore_changes).toEqual(['desired_capacity']);
    }
  });

  test('the synth warns that the default API access follows the deploying machine', () => {
    const warnings = (props: KubeadmClusterProps) => {
      let cluster: KubeadmCluster | undefined;
      synthStack((stack) => (cluster = new KubeadmCluster(stack, 'cluster', props)));
      return cluster!.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    };
    expect(warnings({ clusterName: 'demo' })).toEqual([DEPLOYER_ADDRESS_WARNING]);
    expect(DEPLOYER_ADDRESS_WARNING).toContain('apiAccessCidrs');
    expect(warnings(base)).toEqual([]);
  });

  test('worker groups: a launch hook the node ends once Ready, a bounded termination hook, refreshes that keep capacity', () => {
    const [, group] = workerGroups(synth)[0];
    expect(group.initial_lifecycle_hook).toEqual([
      { name: 'node-ready', lifecycle_transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', heartbeat_timeout: 4200, default_result: 'ABANDON' },
      { name: 'node-terminating', lifecycle_transition: 'autoscaling:EC2_INSTANCE_TERMINATING', heartbeat_timeout: 300, default_result: 'CONTINUE' },
    ]);
    expect(group.instance_refresh.preferences).toMatchObject({ min_healthy_percentage: 100, max_healthy_percentage: 200 });
    expect(group.force_delete).toBe(true);
    // Terraform waits for Ready nodes as long as the launch hook lets an instance take.
    expect(group.wait_for_capacity_timeout).toBe('70m');
    // The node's bootstrap knows the hook it ends.
    const [, template] = workerTemplates(synth)[0];
    expect(template.user_data).toContain("readonly LAUNCH_HOOK='node-ready'");
  });

  test('workers do not wait for the control-plane node', () => {
    const [, template] = workerTemplates(synth)[0];
    const [, group] = workerGroups(synth)[0];
    for (const resource of [template, group]) {
      const text = JSON.stringify(resource);
      expect(text).not.toMatch(/aws_instance\.|aws_eip\.|aws_eip_association\.|_control-plane_node-/);
    }
    // The pool waits only for the network's routes to the internet, what workers read at boot (the
    // join token's parameter, its key and their permissions, the SSM agent's included) and the
    // control plane's upgrade association (which targets its node by tag and waits only on a
    // version change), never for a node's bootstrap.
    for (const resource of [template, group]) {
      expect(resource.depends_on.length).toBeGreaterThan(0);
      expect(resource.depends_on.every((d: string) => /^(aws_route(_table_association)?|aws_ssm_parameter|aws_kms_key|aws_iam_role_policy(_attachment)?|aws_ssm_association|aws_lambda_invocation)\./.test(d))).toBe(true);
      expect(resource.depends_on.filter((d: string) => d.startsWith('aws_ssm_association.'))).toEqual([expect.stringContaining('kubernetes-upgrade-0')]);
    }
    // The worker's user-data reaches the API at the control plane's fixed private IP, known at synth.
    expect(template.user_data).toContain('10.0.128.10');
  });

  test('pods cannot reach instance metadata unless a pool asks for it', () => {
    const [, template] = workerTemplates(synth)[0];
    expect(template.metadata_options.http_put_response_hop_limit).toBe(1);
    const open = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, workerPools: [{ name: 'aws', desiredSize: 2, podsReachInstanceMetadata: true }] }));
    expect(workerTemplates(open)[0][1].metadata_options.http_put_response_hop_limit).toBe(2);
    expect(controlPlaneTemplates(open)[0][1].metadata_options.http_put_response_hop_limit).toBe(1);
  });

  test('Terraform authenticates as system:masters; the kubeconfig output as kubeadm:cluster-admins', () => {
    const subjects = Object.fromEntries(synth.resources('tls_cert_request').map(([id, r]) => [id.replace(/_[0-9A-F]{8}$/, ''), r.subject]));
    expect(subjects['cluster_pki_terraform-csr']).toEqual([{ common_name: 'cdktf-kubeadm-cluster', organization: 'system:masters' }]);
    expect(subjects['cluster_pki_admin-csr']).toEqual([{ common_name: 'kubernetes-admin', organization: 'kubeadm:cluster-admins' }]);
    const provider = synth.json.provider.kubernetes.find((p: any) => p.alias === 'demo');
    expect(provider.client_certificate).toMatch(/tls_locally_signed_cert\.cluster_pki_terraform-cert/);
    expect(synth.json.output.demo_kubeconfig.value).toMatch(/tls_locally_signed_cert\.cluster_pki_admin-cert/);
    const [, readiness] = synth.resources('terraform_data').find(([id]) => id.includes('readiness'))!;
    expect(readiness.provisioner[0]['local-exec'].environment.READYZ_CLIENT_CERT_PEM).toMatch(/tls_locally_signed_cert\.cluster_pki_terraform-cert/);
    expect(readiness.provisioner[0]['local-exec'].environment.READYZ_CLIENT_KEY_PEM).toMatch(/tls_private_key\.cluster_pki_terraform-key/);
    // The wait also follows the rule that lets the deploying machine in.
    expect(readiness.depends_on.join()).toMatch(/aws_vpc_security_group_ingress_rule\..*tcp-6443/);
  });

  test('every Kubernetes resource uses the cluster provider and waits for the API', () => {
    const kubernetes = Object.entries(synth.json.resource).filter(([type]) => type.startsWith('kubernetes_'));
    expect(kubernetes.length).toBeGreaterThan(5);
    for (const [, resources] of kubernetes) {
      for (const resource of Object.values(resources as Record<string, any>)) {
        expect(resource.provider).toBe('kubernetes.demo');
      }
    }
    const [readinessId, readiness] = synth.resources('terraform_data').find(([id]) => id.includes('readiness'))!;
    expect(readiness.depends_on.join()).toMatch(/aws_autoscaling_group\.[\w-]*control-plane[\w-]*.*aws_eip_association\./);
    // Each one waits for the readiness, directly or through what it refers to or depends on.
    const byAddress = new Map<string, any>();
    for (const [type, resources] of Object.entries(synth.json.resource)) {
      for (const [id, resource] of Object.entries(resources as Record<string, any>)) {
        byAddress.set(`${type}.${id}`, resource);
      }
    }
    const waits = (address: string, seen = new Set<string>()): boolean => {
      if (address === `terraform_data.${readinessId}`) {
        return true;
      }
      if (seen.has(address) || !byAddress.has(address)) {
        return false;
      }
      seen.add(address);
      const refs = JSON.stringify(byAddress.get(address)).match(/\b(?:kubernetes_\w+|helm_release|terraform_data)\.[\w-]+/g) ?? [];
      return refs.some((ref) => waits(ref, seen));
    };
    for (const [type, resources] of kubernetes) {
      for (const id of Object.keys(resources as Record<string, any>)) {
        expect([id, waits(`${type}.${id}`)]).toEqual([id, true]);
      }
    }
    expect(Object.keys(synth.json.resource)).not.toContain('kubernetes_manifest');
  });

  test('the API is waited for once, at creation and when its endpoint or CA changes; no data source polls it', () => {
    expect(synth.data('http').map(([, d]) => d.url)).toEqual(['https://checkip.amazonaws.com']);
    const [, readiness] = synth.resources('terraform_data').find(([id]) => id.includes('readiness'))!;
    expect(Object.keys(readiness.triggers_replace).sort()).toEqual(['ca_certificate', 'endpoint']);
    expect(readiness.triggers_replace.endpoint).toMatch(/^https:\/\/\$\{aws_eip\..*\.public_ip\}:6443$/);
    expect(readiness.triggers_replace.ca_certificate).toMatch(/^\$\{tls_self_signed_cert\..*\.cert_pem\}$/);
    expect(readiness.provisioner).toHaveLength(1);
    const exec = readiness.provisioner[0]['local-exec'];
    // A create-time provisioner: never run by a plan, an update or a destroy.
    expect(exec.when).toBeUndefined();
    expect(exec.interpreter).toEqual(['node', '-e', READINESS_PROGRAM]);
    expect(exec.environment.READYZ_TIMEOUT_SECONDS).toBe(String(DEFAULT_READINESS_TIMEOUT_MINUTES * 60));
  });

  test('the connectivity check runs after the plugin and the workers', () => {
    const [, job] = synth.resources('kubernetes_job_v1')[0];
    expect(job.wait_for_completion).toBe(true);
    const [, deployment] = synth.resources('kubernetes_deployment_v1')[0];
    const anti = deployment.spec.template.spec.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution[0];
    expect(anti.topology_key).toBe('kubernetes.io/hostname');
    const [, namespace] = synth.resources('kubernetes_namespace_v1')[0];
    expect(namespace.depends_on.join()).toMatch(/kubernetes_daemon_set_v1\..*aws_autoscaling_group\./);
  });

  test('outputs: endpoint, sensitive kubeconfig, CA, groups, plan and network description', () => {
    const outputs = synth.json.output;
    expect(Object.keys(outputs).sort()).toEqual([
      'demo_address_plan',
      'demo_api_endpoint',
      'demo_cluster_ca_certificate',
      'demo_control_plane_security_group_id',
      'demo_etcd_restore_command',
      'demo_etcd_snapshot_location',
      'demo_kubeconfig',
      'demo_network_description',
      'demo_parameter_path',
      'demo_revoke_join_tokens_command',
      'demo_service_account_issuer',
      'demo_vpc_id',
      'demo_worker_security_group_id',
    ]);
    expect(outputs.demo_kubeconfig.sensitive).toBe(true);
    // Only the kubeconfig holds a credential; every other output is public.
    for (const [name, output] of Object.entries<{ sensitive?: boolean; value: unknown }>(outputs)) {
      if (name !== 'demo_kubeconfig') {
        expect([name, JSON.stringify(output.value)]).not.toEqual([name, expect.stringMatching(/tls_private_key|random_bytes|aws_ssm_parameter\.[\w-]+\.value/)]);
      }
    }
    expect(outputs.demo_kubeconfig.value).toContain('client-key-data: ${base64encode(tls_private_key.');
    expect(outputs.demo_network_description.value).toMatchObject({
      kind: 'cdktf-kubeadm-cluster/network-description',
      plugin: { name: 'weave-net', datapath: { encapsulation: 'vxlan', port: 6784 } },
    });
  });

  test('nothing secret is written into the synthesised JSON', () => {
    expect(synth.text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(synth.text).not.toMatch(/"[a-z0-9]{6}\.[a-z0-9]{16}"/);
  });
});

describe('KubeadmCluster variants', () => {
  test("the synth summary names each self-healing node's Elastic IP with three control-plane nodes, not with plain instances", () => {
    let selfHealing = '';
    let instances = '';
    synthStack((stack) => {
      selfHealing = new KubeadmCluster(stack, 'a', { ...base, clusterName: 'a', controlPlane: { count: 3 }, zoneCount: 3 }).describe();
      instances = new KubeadmCluster(stack, 'b', { ...base, clusterName: 'b', controlPlane: { count: 3, nodes: ControlPlaneNodes.instances() }, zoneCount: 3 }).describe();
    });
    expect(selfHealing).toContain('3 control-plane nodes behind an internal and an internet-facing load balancer, each with an Elastic IP for its way out;');
    expect(instances).toContain('3 control-plane nodes behind an internal and an internet-facing load balancer;');
  });

  test('three control-plane nodes sit behind an internal and a public load balancer', () => {
    const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, controlPlane: { count: 3 }, zoneCount: 3 }));
    expect(synth.resources('aws_network_interface').map(([, i]) => i.private_ips[0])).toEqual(['10.0.96.10', '10.0.128.10', '10.0.160.10']);
    expect(controlPlaneGroups(synth)).toHaveLength(3);
    const lbs = synth.resources('aws_lb').map(([, lb]) => lb.internal);
    expect(lbs.sort()).toEqual([false, true]);
    // Targets are the fixed IPs, which every replacement instance takes over: nothing re-registers.
    expect(synth.resources('aws_lb_target_group').map(([, g]) => g.target_type)).toEqual(['ip', 'ip']);
    expect(synth.resources('aws_lb_target_group_attachment').map(([, a]) => a.target_id).sort()).toEqual(['10.0.128.10', '10.0.128.10', '10.0.160.10', '10.0.160.10', '10.0.96.10', '10.0.96.10']);
    // A restore on one node may fence the others' groups, and only those.
    const [, policy] = synth.resources('aws_iam_role_policy').find(([id]) => id.includes('recovery-policy'))!;
    const fence = JSON.parse(policy.policy).Statement.find((st: any) => st.Sid === 'FenceControlPlaneGroups');
    expect(fence.Action).toEqual(['autoscaling:UpdateAutoScalingGroup']);
    expect(fence.Resource.map((r: string) => r.split('/').pop())).toEqual(['demo-control-plane-0', 'demo-control-plane-1', 'demo-control-plane-2']);
    // Each node's interface has an Elastic IP of its own: EC2 gives no public address to an interface made before the instance.
    expect(synth.resources('aws_eip').map(([, e]) => e.tags.Name)).toEqual(['demo-control-plane-0', 'demo-control-plane-1', 'demo-control-plane-2', 'demo-nat-0']);
    // ...associated with that node's interface, after the internet gateway's route (EC2 refuses an
    // association before the gateway is attached), and each group launches only after its address.
    const associations = synth.resources('aws_eip_association');
    expect(associations).toHaveLength(3);
    for (const [id, association] of associations) {
      const index = id.match(/node-(\d)-address-association/)![1];
      expect(association.network_interface_id).toMatch(new RegExp(`aws_network_interface\\.cluster_control-plane_node-${index}_network-interface_[0-9A-F]+\\.id`));
      expect(association.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_route\.cluster_network_default-route-public/)]));
      const [, group] = synth.resources('aws_autoscaling_group').find(([g]) => g.includes(`control-plane_node-${index}_group`))!;
      expect(group.depends_on).toContain(`aws_eip_association.${id}`);
    }
    const [, worker] = workerTemplates(synth)[0];
    expect(worker.user_data).toMatch(/aws_lb\.[^.]*internal[^.]*\.dns_name/);
    // The public balancer admits only apiAccessCidrs.
    const publicIngress = synth.resources('aws_vpc_security_group_ingress_rule').filter(([, r]) => r.cidr_ipv4 === '198.51.100.0/24');
    expect(publicIngress.length).toBeGreaterThanOrEqual(1);
  });

  test('switching plugin switches only the plugin ports', () => {
    const ports = (cni: ReturnType<typeof Cni.weave> | ReturnType<typeof Cni.flannel>) => {
      const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, cni }));
      return synth.resources('aws_vpc_security_group_ingress_rule').map(([, r]) => `${r.ip_protocol}/${r.from_port}-${r.to_port}`);
    };
    const weave = ports(Cni.weave());
    const flannel = ports(Cni.flannel());
    const onlyWeave = [...new Set(weave.filter((p) => !flannel.includes(p)))].sort();
    const onlyFlannel = [...new Set(flannel.filter((p) => !weave.includes(p)))].sort();
    expect(onlyWeave).toEqual(['tcp/6783-6783', 'udp/6783-6784']);
    expect(onlyFlannel).toEqual(['udp/8472-8472']);
  });

  test('Cilium runs one operator when only one node is sure to exist', () => {
    const replicasOf = (minSize: number) => {
      const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, cni: Cni.cilium(), connectivityCheck: false, workerPools: [{ name: 'w', minSize, desiredSize: minSize, maxSize: 4 }] }));
      return parse(synth.resources('helm_release')[0][1].values[0]).operator.replicas;
    };
    expect(replicasOf(0)).toBe(1);
    expect(replicasOf(1)).toBe(2);
  });

  test('the plugin default pod range applies unless podCidr is given', () => {
    const weave = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base }));
    expect(weave.json.output.demo_address_plan.value.podCidr).toBe('10.32.0.0/12');
    const calico = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, cni: Cni.calico() }));
    expect(calico.json.output.demo_address_plan.value.podCidr).toBe('192.168.0.0/16');
    const custom = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, podCidr: '10.200.0.0/16' }));
    expect(custom.json.output.demo_address_plan.value.podCidr).toBe('10.200.0.0/16');
    expect(custom.text).toContain('10.200.0.0/16');
  });

  test('two clusters in one stack do not clash', () => {
    const synth = synthStack((stack) => {
      new KubeadmCluster(stack, 'blue', { clusterName: 'blue', vpcCidr: '10.10.0.0/16' });
      new KubeadmCluster(stack, 'green', { clusterName: 'green', vpcCidr: '10.20.0.0/16', cni: Cni.flannel() });
    });
    expect(synth.resources('aws_vpc')).toHaveLength(2);
    expect(controlPlaneGroups(synth).map(([, g]) => g.name).sort()).toEqual(['blue-control-plane-0', 'green-control-plane-0']);
    expect(synth.json.provider.kubernetes.map((p: any) => p.alias).sort()).toEqual(['blue', 'green']);
    expect(synth.json.provider.tls).toHaveLength(1);
    const names = synth.resources('aws_iam_role').map(([, r]) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(synth.json.output).filter((o) => o.endsWith('_kubeconfig')).sort()).toEqual(['blue_kubeconfig', 'green_kubeconfig']);
  });
});

describe('KubeadmCluster validation', () => {
  test('reports every problem at once, across plan, version, pools and cluster', () => {
    const problems = problemsOf({
      clusterName: 'Bad_Name',
      kubernetesVersion: '1.2',
      podCidr: '10.0.0.0/8',
      controlPlane: { count: 2, instanceType: 'large' },
      workerPools: [{ name: 'w', desiredSize: 5, maxSize: 2 }],
    });
    const properties = problems.map((p) => p.property);
    for (const property of ['clusterName', 'kubernetesVersion', 'podCidr', 'controlPlane.count', 'controlPlane.instanceType', 'workerPools[0].desiredSize']) {
      expect(properties).toContain(property);
    }
  });

  test('the connectivity check needs a worker that is always there', () => {
    const problems = problemsOf({ ...base, workerPools: [{ name: 'w', desiredSize: 0, minSize: 0, maxSize: 3 }] });
    expect(problems.map((p) => p.property)).toEqual(['connectivityCheck']);
    expect(() => synthStack((stack) => new KubeadmCluster(stack, 'c', { ...base, connectivityCheck: false, workerPools: [{ name: 'w', desiredSize: 0, minSize: 0, maxSize: 3 }] }))).not.toThrow();
  });

  test('the secrets key must be a KMS key ARN, which IAM policies can name', () => {
    expect(problemsOf({ ...base, secretsKmsKeyArn: 'alias/mine' }).map((p) => p.property)).toEqual(['secretsKmsKeyArn']);
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const json = synthStack((stack) => new KubeadmCluster(stack, 'c', { ...base, secretsKmsKeyArn: arn })).json;
    expect(json.resource.aws_kms_key).toBeUndefined();
    expect(Object.values<{ type: string; key_id?: string }>(json.resource.aws_ssm_parameter).filter((p) => p.type === 'SecureString').every((p) => p.key_id === arn)).toBe(true);
  });

  test('pool sizes feed the address plan capacity', () => {
    const problems = problemsOf({ ...base, podCidr: '10.200.0.0/22', workerPools: [{ name: 'w', desiredSize: 2, maxSize: 4 }] });
    expect(problems.map((p) => p.property)).toEqual(['nodeCidrMaskSize']);
    expect(problems[0].message).toMatch(/fits 4 nodes, but 5 are planned/);
  });
});

describe('KubeadmCluster validation of access and node options', () => {
  test('reports access lists, volumes, timeouts and plugin conflicts with everything else', () => {
    const problems = problemsOf({
      clusterName: 'demo',
      apiAccessCidrs: ['10.0.0.1/8'],
      sshAccessCidrs: ['203.0.113.0/24'],
      controlPlane: { rootVolume: { sizeGiB: 2 } },
      workerPools: [{ name: 'w', desiredSize: 2, rootVolume: { sizeGiB: 99999 } }],
      readinessTimeoutMinutes: 0,
      cni: Cni.flannel({ enableNftables: true }),
      podCidr: 'nope',
    });
    expect(problems.map((p) => p.property).sort()).toEqual(
      ['apiAccessCidrs[0]', 'cni', 'controlPlane.rootVolume.sizeGiB', 'podCidr', 'readinessTimeoutMinutes', 'sshKeyName', 'workerPools[0].rootVolume.sizeGiB'].sort(),
    );
  });

  test('Mac instance types are refused for nodes', () => {
    const problems = problemsOf({ ...base, controlPlane: { instanceType: 'mac2.metal' }, workerPools: [{ name: 'w', desiredSize: 2, instanceTypes: ['mac1.metal'] }] });
    expect(problems.map((p) => p.property)).toEqual(['controlPlane.instanceType', 'workerPools[0].instanceTypes']);
  });

  test('an empty apiAccessCidrs is refused: Terraform itself must reach the API', () => {
    expect(problemsOf({ clusterName: 'demo', apiAccessCidrs: [] }).map((p) => p.property)).toEqual(['apiAccessCidrs']);
  });

  test('an SSH key pair reaches every node', () => {
    const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, sshAccessCidrs: ['203.0.113.7/32'], sshKeyName: 'ops' }));
    expect(controlPlaneTemplates(synth)[0][1].key_name).toBe('ops');
    expect(workerTemplates(synth)[0][1].key_name).toBe('ops');
    expect(synth.resources('aws_vpc_security_group_ingress_rule').filter(([, r]) => r.from_port === 22).map(([, r]) => r.cidr_ipv4)).toEqual(['203.0.113.7/32', '203.0.113.7/32']);
  });
});

describe('KubeadmCluster deploy order: nodes wait for the routes they use and no others', () => {
  /**
   * What a worker group waits for itself. Workers wait for the destroy cleanup's invocation, which
   * is there for the destroy order (it waits for the public routes, quicker than the NAT routes
   * workers need anyway); the routes they need themselves are what is left without it. The control
   * plane's upgrade steps, which workers also wait for, reach no route: they wait for no instance.
   */
  function ownWaitsOfWorkers(synth: ReturnType<typeof synthStack>, graph: Map<string, Set<string>>, groupName: string): Set<string> {
    const destroyOrder = synth.resources('aws_lambda_invocation').map(([n]) => `aws_lambda_invocation.${n}`);
    expect(destroyOrder).toHaveLength(1);
    const ownGraph = new Map([...graph].map(([node, edges]) => [node, new Set([...edges].filter((e) => !destroyOrder.includes(e)))]));
    return waitsOf(ownGraph, `aws_autoscaling_group.${groupName}`);
  }

  const natRoute = (json: any, address: string) => address.startsWith('aws_route.') && json.resource.aws_route[address.slice('aws_route.'.length)].nat_gateway_id !== undefined;
  const igwRoute = (json: any, address: string) => address.startsWith('aws_route.') && json.resource.aws_route[address.slice('aws_route.'.length)].gateway_id !== undefined;

  test.each<[string, Partial<KubeadmClusterProps>]>([
    ['one NAT gateway', {}],
    ['a NAT gateway per zone', { network: ClusterNetworkSource.newVpc({ natGateways: NatGateways.onePerZone() }), zoneCount: 3 }],
    ['three control-plane nodes', { controlPlane: { count: 3 }, zoneCount: 3 }],
  ])('%s: control-plane instances wait for their public route, never a NAT gateway; workers for the NAT routes', (_name, props) => {
    const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, ...props }));
    const graph = dependencyGraph(synth.json);
    const instances = controlPlaneGroups(synth);
    expect(instances.length).toBeGreaterThan(0);
    for (const [name, group] of instances) {
      const waits = waitsOf(graph, `aws_autoscaling_group.${name}`);
      expect([...waits].filter((a) => igwRoute(synth.json, a))).toHaveLength(1);
      // Its own subnet's association with the public route table.
      const association = synth.resources('aws_route_table_association').find(([, a]) => a.subnet_id === group.vpc_zone_identifier[0]);
      expect(association).toBeDefined();
      expect(waits).toContain(`aws_route_table_association.${association![0]}`);
      const natEips = synth.resources('aws_nat_gateway').map(([, g]) => /aws_eip\.([\w-]+)\./.exec(g.allocation_id)![1]).map((n) => `aws_eip.${n}`);
      expect([...waits].filter((a) => a.startsWith('aws_nat_gateway.') || natRoute(synth.json, a) || natEips.includes(a))).toEqual([]);
    }
    const [groupName] = workerGroups(synth)[0];
    const workerWaits = ownWaitsOfWorkers(synth, graph, groupName);
    const natRoutes = synth.resources('aws_route').filter(([, r]) => r.nat_gateway_id !== undefined).map(([n]) => `aws_route.${n}`);
    expect(natRoutes.length).toBeGreaterThan(0);
    expect([...workerWaits].filter((a) => natRoute(synth.json, a)).sort()).toEqual(natRoutes.sort());
    expect([...workerWaits].filter((a) => igwRoute(synth.json, a))).toEqual([]);
  });

  test('without NAT gateways, workers sit in the public subnets and wait for the public route', () => {
    const synth = synthStack((stack) => new KubeadmCluster(stack, 'cluster', { ...base, network: ClusterNetworkSource.newVpc({ natGateways: NatGateways.none() }) }));
    const graph = dependencyGraph(synth.json);
    const [groupName] = workerGroups(synth)[0];
    const workerWaits = ownWaitsOfWorkers(synth, graph, groupName);
    expect([...workerWaits].filter((a) => igwRoute(synth.json, a))).toHaveLength(1);
    expect(synth.resources('aws_nat_gateway')).toEqual([]);
  });
});

describe.each(Object.keys(EXAMPLES))('example %s: what nodes wait for on a first deploy', (example) => {
  const synth = synthesisedExample(example);
  const graph = dependencyGraph(synth.json);
  const workerNodes = [...workerTemplates(synth).map(([n]) => `aws_launch_template.${n}`), ...workerGroups(synth).map(([n]) => `aws_autoscaling_group.${n}`)];
  const instances = controlPlaneGroups(synth).map(([n]) => `aws_autoscaling_group.${n}`);
  const controlPlaneNode = (a: string) => /^aws_(instance|autoscaling_group|launch_template|network_interface|ebs_volume)\.[\w-]*_control-plane_node-/.test(a);

  test('no worker launch template or group waits for a control-plane node, directly or through others', () => {
    expect(workerNodes.length).toBeGreaterThanOrEqual(2);
    expect(instances.length).toBeGreaterThan(0);
    for (const node of workerNodes) {
      expect([node, [...waitsOf(graph, node)].filter(controlPlaneNode)]).toEqual([node, []]);
    }
  });

  test('recovery needs no API: no control-plane group, launch template, interface or etcd volume waits for a Kubernetes or Helm resource', () => {
    const nodes = Object.entries(synth.json.resource).flatMap(([type, rs]) => Object.keys(rs as object).map((n) => `${type}.${n}`)).filter(controlPlaneNode);
    expect(nodes.filter((n) => n.startsWith('aws_ebs_volume.')).length).toBe(instances.length);
    for (const node of nodes) {
      expect([node, [...waitsOf(graph, node)].filter((a) => /^(kubernetes_|helm_)/.test(a) || a.includes('provider.kubernetes') || a.includes('provider.helm'))]).toEqual([node, []]);
    }
  });

  /** The role behind the one instance profile a node waits for, with everything that grants it permissions. */
  function permissionsOf(node: string): { attachments: string[]; inline: string[] } {
    const profiles = [...waitsOf(graph, node)].filter((a) => a.startsWith('aws_iam_instance_profile.'));
    expect(profiles).toHaveLength(1);
    const profile = synth.json.resource.aws_iam_instance_profile[profiles[0].slice('aws_iam_instance_profile.'.length)];
    const role = /^\$\{aws_iam_role\.([\w-]+)\.name\}$/.exec(profile.role)![1];
    const ofRole = (r: any) => new RegExp(`^\\$\\{aws_iam_role\\.${role}\\.(name|id)\\}$`).test(r.role);
    const addresses = (type: string) => synth.resources(type).filter(([, r]) => ofRole(r)).map(([n]) => `${type}.${n}`);
    return { attachments: addresses('aws_iam_role_policy_attachment'), inline: addresses('aws_iam_role_policy') };
  }

  test("agent permissions before boot: every node waits for its role's SSM agent policy and every other policy of its role", () => {
    for (const node of [...instances, ...workerNodes]) {
      const { attachments, inline } = permissionsOf(node);
      expect(attachments).toEqual([]);
      const agent = inline.filter((a) => synth.json.resource.aws_iam_role_policy[a.slice('aws_iam_role_policy.'.length)].name === 'ssm-agent');
      expect(agent).toHaveLength(1);
      expect(inline.length).toBeGreaterThan(1);
      const waits = waitsOf(graph, node);
      expect([node, [...attachments, ...inline].filter((p) => !waits.has(p))]).toEqual([node, []]);
    }
  });
});
