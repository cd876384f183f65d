import { parse } from 'yaml';
import { ADDONS_BY_MINOR, CCM_CHART_VERSION } from '../lib/addons/addon-versions';
import { CCM_READ_ACTIONS, CCM_TAGGED_CREATE_ACTIONS, CCM_TAGGED_RESOURCE_ACTIONS, cloudControllerManagerPolicy } from '../lib/addons/ccm-policy';
import { cloudControllerManagerValues } from '../lib/addons/cloud-controller-manager';
import { webIdentityPodSpec } from '../lib/addons/web-identity';
import { PACKAGES_BY_MINOR } from '../lib/bootstrap/node-packages';
import { waitKinds } from './support/addon-waits';
import { synthesisedCluster } from './support/cluster-synth';
import { evaluateAttributeValue } from './support/hcl-eval';
import { dependencyGraph, waitsOf } from './support/terraform-graph';

/**
 * Every value key the templates of aws-cloud-controller-manager chart 0.0.11 read (identical to
 * kubernetes/cloud-provider-aws charts/aws-cloud-controller-manager at tag v1.36.1), as the chart's
 * templates/*.yaml and _helpers.tpl use them. `hostNetworking` is read by templates/daemonset.yaml
 * but missing from values.yaml; `serviceAccount.annotations` is only on the unreleased master.
 */
const CCM_0_0_11_TEMPLATE_KEYS = [
  'namespace', 'args', 'image.repository', 'image.tag', 'imagePullSecrets', 'nameOverride', 'nodeSelector', 'tolerations', 'dnsPolicy',
  'clusterRoleRules', 'clusterRoleName', 'roleBindingName', 'roleName', 'serviceAccountName', 'resources', 'env', 'securityContext',
  'podSecurityContext', 'podAnnotations', 'extraVolumes', 'extraVolumeMounts', 'hostNetworking',
];

/** The control-plane actions of cloud-provider-aws docs/prerequisites.md (2026-07 snapshot). */
const UPSTREAM_CONTROL_PLANE_ACTIONS = [
  'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeLaunchConfigurations', 'autoscaling:DescribeTags',
  'ec2:DescribeInstances', 'ec2:DescribeRegions', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVolumes',
  'ec2:DescribeAvailabilityZones', 'ec2:DescribeVpcs', 'ec2:DescribeInstanceTopology',
  'ec2:CreateSecurityGroup', 'ec2:CreateTags', 'ec2:CreateVolume', 'ec2:ModifyInstanceAttribute', 'ec2:ModifyVolume', 'ec2:AttachVolume',
  'ec2:AuthorizeSecurityGroupIngress', 'ec2:CreateRoute', 'ec2:DeleteRoute', 'ec2:DeleteSecurityGroup', 'ec2:DeleteVolume', 'ec2:DetachVolume',
  'ec2:RevokeSecurityGroupIngress',
  'elasticloadbalancing:AddTags', 'elasticloadbalancing:AttachLoadBalancerToSubnets', 'elasticloadbalancing:ApplySecurityGroupsToLoadBalancer',
  'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateLoadBalancerPolicy', 'elasticloadbalancing:CreateLoadBalancerListeners',
  'elasticloadbalancing:ConfigureHealthCheck', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteLoadBalancerListeners',
  'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DetachLoadBalancerFromSubnets',
  'elasticloadbalancing:DeregisterInstancesFromLoadBalancer', 'elasticloadbalancing:ModifyLoadBalancerAttributes',
  'elasticloadbalancing:RegisterInstancesWithLoadBalancer', 'elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer',
  'elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeLoadBalancerPolicies', 'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:SetLoadBalancerPoliciesOfListener',
  'elasticloadbalancing:SetSecurityGroups',
  'iam:CreateServiceLinkedRole', 'kms:DescribeKey',
];
/** Upstream actions left out on purpose: the in-tree volume code (the EBS CSI driver's job) and cloud routes (off). */
const LEFT_OUT = ['ec2:DescribeVolumes', 'ec2:CreateVolume', 'ec2:ModifyVolume', 'ec2:AttachVolume', 'ec2:DeleteVolume', 'ec2:DetachVolume', 'ec2:CreateRoute', 'ec2:DeleteRoute'];

/** Every dotted key path of an object's leaves and arrays. */
function keyPaths(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? keyPaths(v, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

const podSpec = webIdentityPodSpec({ roleArn: 'arn:aws:iam::111122223333:role/demo-ccm-eu-west-1', region: 'eu-west-1' });

describe('aws-cloud-controller-manager values', () => {
  const values = cloudControllerManagerValues({ clusterName: 'demo', imageTag: 'v1.35.2', podSpec }) as any;

  test('every key set is one the chart templates read (host networking included, which values.yaml lacks)', () => {
    for (const path of keyPaths(values)) {
      expect([path, CCM_0_0_11_TEMPLATE_KEYS.includes(path)]).toEqual([path, true]);
    }
    expect(values.hostNetworking).toBe(true);
    expect(CCM_CHART_VERSION).toBe('0.0.11');
  });

  test('the controller knows its cluster, leaves routes alone and calls AWS by web identity', () => {
    expect(values.args).toEqual(['--v=2', '--cloud-provider=aws', '--cluster-name=demo', '--configure-cloud-routes=false']);
    expect(values.env).toEqual(podSpec.env);
    expect(values.extraVolumes).toEqual(podSpec.volumes);
    expect(values.extraVolumeMounts).toEqual(podSpec.volumeMounts);
    expect(values.image).toEqual({ repository: 'registry.k8s.io/provider-aws/cloud-controller-manager', tag: 'v1.35.2' });
    // The chart's node selector and tolerations put it on the control plane; nothing overrides them.
    expect(values).not.toHaveProperty('nodeSelector');
    expect(values).not.toHaveProperty('tolerations');
  });

  test('an image tag per Kubernetes minor, of that minor, only promoted ones', () => {
    expect(Object.keys(ADDONS_BY_MINOR).sort()).toEqual(Object.keys(PACKAGES_BY_MINOR).sort());
    expect(Object.fromEntries(Object.entries(ADDONS_BY_MINOR).map(([minor, a]) => [minor, a.ccmImageTag]))).toEqual({ 34: 'v1.34.3', 35: 'v1.35.2', 36: 'v1.35.2' });
    for (const [minor, addons] of Object.entries(ADDONS_BY_MINOR)) {
      // Of the minor itself, or (with a stated reason) of the one before, never newer.
      const own = addons.ccmImageTag.startsWith(`v1.${minor}.`);
      const previous = addons.ccmImageTag.startsWith(`v1.${Number(minor) - 1}.`) && (addons.ccmImageFallback ?? '').length > 0;
      expect([minor, own || previous, own && addons.ccmImageFallback !== undefined]).toEqual([minor, true, false]);
      // Tags never promoted to registry.k8s.io (the k8s.io promotion list).
      expect(['v1.34.1', 'v1.35.1', 'v1.36.0', 'v1.36.1']).not.toContain(addons.ccmImageTag);
    }
  });
});

describe('aws-cloud-controller-manager permissions', () => {
  const policy = cloudControllerManagerPolicy({ clusterName: 'demo', ec2ArnPrefix: 'arn:aws:ec2:eu-west-1:*', elbArnPrefix: 'arn:aws:elasticloadbalancing:eu-west-1:*', vpcId: 'vpc-0abc' });
  const granted = new Set(policy.Statement.flatMap((s) => s.Action));

  test('every upstream control-plane action is granted, or left out for a stated reason', () => {
    for (const action of UPSTREAM_CONTROL_PLANE_ACTIONS) {
      expect([action, granted.has(action) !== LEFT_OUT.includes(action)]).toEqual([action, true]);
    }
    for (const action of granted) {
      expect([action, UPSTREAM_CONTROL_PLANE_ACTIONS.includes(action) || ['ec2:DeleteTags', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:ModifyTargetGroupAttributes'].includes(action)]).toEqual([action, true]);
    }
  });

  test('only describe calls are unconditional; every change needs this cluster tag on the resource or in the request', () => {
    for (const statement of policy.Statement) {
      const changes = statement.Action.filter((a) => !/:(Describe|Get|List)/.test(a));
      if (changes.length === 0) {
        continue;
      }
      const scoped = statement.Condition !== undefined || statement.Resource.every((r) => r === 'arn:aws:ec2:eu-west-1:*:vpc/vpc-0abc');
      expect([statement.Sid, scoped]).toEqual([statement.Sid, true]);
    }
    const tagged = policy.Statement.find((s) => s.Sid === 'ChangeOwnedResources')!;
    expect(tagged.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/demo': 'owned' } });
    expect(tagged.Action).toEqual(CCM_TAGGED_RESOURCE_ACTIONS);
    expect(policy.Statement.find((s) => s.Sid === 'CreateOwnedLoadBalancers')!.Condition).toEqual({ StringEquals: { 'aws:RequestTag/kubernetes.io/cluster/demo': 'owned' } });
    expect(policy.Statement.find((s) => s.Sid === 'Read')!.Action).toEqual(CCM_READ_ACTIONS);
    expect(CCM_TAGGED_CREATE_ACTIONS.every((a) => a.includes(':Create'))).toBe(true);
  });
});

describe('KubeadmCluster with the cloud controller manager (the default)', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], kubernetesVersion: '1.35.3' });
  const [releaseKey, release] = synth.resources('helm_release').find(([, r]) => r.chart === 'aws-cloud-controller-manager')!;

  test('the pinned chart in kube-system, with the image of the cluster minor and its role by web identity', () => {
    expect(release).toMatchObject({ provider: 'helm.demo', repository: 'https://kubernetes.github.io/cloud-provider-aws', version: '0.0.11', namespace: 'kube-system', create_namespace: false });
    const values = parse(release.values[0]);
    expect(values.image.tag).toBe('v1.35.2');
    const [roleKey, role] = synth.resources('aws_iam_role').find(([, r]) => r.name === 'demo-ccm-${data.aws_region.cluster_region_807B4548.region}')!;
    expect(values.env.find((e: any) => e.name === 'AWS_ROLE_ARN').value).toBe(`\${aws_iam_role.${roleKey}.arn}`);
    expect(Object.values(JSON.parse(role.assume_role_policy).Statement[0].Condition.StringEquals)).toEqual(['system:serviceaccount:kube-system:cloud-controller-manager', 'sts.amazonaws.com']);
  });

  test("the release waits for exactly the API, a Ready node (the network plugin), the published issuer, its permissions and the control plane's upgrade", () => {
    // Its chart tolerates the uninitialized and control-plane taints, not not-ready: it needs the plugin.
    expect(waitKinds(release)).toEqual(['the API readiness wait', "the control plane's upgrade", 'the network plugin', 'the published issuer', "the role's policy"]);
  });

  test('the release waits for the API, the published issuer and its permissions; the connectivity check waits for it', () => {
    expect(release.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^terraform_data\..*readiness/), expect.stringMatching(/^aws_s3_bucket_policy\./), expect.stringMatching(/^aws_s3_object\./), expect.stringMatching(/^aws_iam_openid_connect_provider\./), expect.stringMatching(/^aws_iam_role_policy\.cluster_cloud-controller-manager_role_policy/)]));
    // The check's first object (its namespace) waits for the controller: its pods need initialised nodes.
    const [, checkNamespace] = synth.resources('kubernetes_namespace_v1').find(([key]) => key.includes('connectivity-check'))!;
    expect(checkNamespace.depends_on).toContain(`helm_release.${releaseKey}`);
  });

  test('every node registers with cloud-provider external; no node role gets a load-balancer or security-group permission', () => {
    const [, instance] = synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))!;
    const [, template] = synth.resources('aws_launch_template').find(([id]) => !id.includes('_control-plane_'))!;
    expect(instance.user_data).toContain("- name: 'cloud-provider'\\n            value: 'external'");
    expect(template.user_data).toBeDefined();
    const nodePolicies = synth.resources('aws_iam_role_policy').filter(([key]) => key.includes('identities'));
    expect(nodePolicies.length).toBeGreaterThan(0);
    for (const [, p] of nodePolicies) {
      expect(p.policy).not.toMatch(/elasticloadbalancing:|ec2:(Create|Authorize|Revoke|Delete|Modify)/);
    }
  });

  test('each node has exactly one security group carrying the cluster tag, as the controller requires', () => {
    const tagged = new Set(synth.resources('aws_security_group').filter(([, g]) => g.tags?.['kubernetes.io/cluster/demo'] === 'owned').map(([key]) => `\${aws_security_group.${key}.id}`));
    // The control-plane node's groups are its network interface's; a worker's, its template's.
    const groupsOf = [synth.resources('aws_network_interface')[0][1].security_groups, synth.resources('aws_launch_template').find(([id]) => !id.includes('_control-plane_'))![1].vpc_security_group_ids];
    for (const groups of groupsOf) {
      expect((groups as string[]).filter((g) => tagged.has(g))).toHaveLength(1);
    }
  });
});

describe('the cloud controller manager moves to a new minor only after the control plane has', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], kubernetesVersion: '1.36.4', controlPlane: { count: 3 } });
  const graph = dependencyGraph(synth.json);
  const [releaseKey, release] = synth.resources('helm_release').find(([, r]) => r.chart === 'aws-cloud-controller-manager')!;
  const associations = synth.resources('aws_ssm_association').filter(([key]) => key.includes('kubernetes-upgrade'));
  const [parameterKey] = synth.resources('aws_ssm_parameter').find(([key]) => key.includes('kubernetes-version'))!;

  test('its release, whose image is the one pinned for the cluster\'s minor, waits for every control-plane node upgrade', () => {
    expect(parse(release.values[0]).image.tag).toBe(ADDONS_BY_MINOR[36].ccmImageTag);
    expect(associations).toHaveLength(3);
    const last = associations.find(([, a]) => a.association_name === 'demo-kubernetes-upgrade-2')!;
    expect(release.depends_on).toContain(`aws_ssm_association.${last[0]}`);
    const waits = waitsOf(graph, `helm_release.${releaseKey}`);
    for (const [key] of associations) {
      expect(waits).toContain(`aws_ssm_association.${key}`);
    }
  });

  test('on a first deploy the edge costs nothing: the upgrades wait for no instance, and not for success while the recorded version is the target', () => {
    for (const [key, association] of associations) {
      expect([key, [...waitsOf(graph, `aws_ssm_association.${key}`)].filter((a) => a.startsWith('aws_instance.') || a.startsWith('aws_autoscaling_group.'))]).toEqual([key, []]);
      const wait = (recorded: string) =>
        evaluateAttributeValue(association.wait_for_success_timeout_seconds, (reference) => {
          expect(reference).toBe(`aws_ssm_parameter.${parameterKey}.insecure_value`);
          return recorded;
        });
      // First deploy (the parameter is created at the target): no wait. A version change: the upgrade's wait.
      expect(wait('1.36.4')).toBeNull();
      expect(wait('1.35.6')).toBe(3600);
    }
  });
});

describe('KubeadmCluster without the cloud controller manager', () => {
  test('no release, and kubelets do not wait for one', () => {
    const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], cloudControllerManager: false });
    expect(synth.resources('helm_release').filter(([, r]) => r.chart === 'aws-cloud-controller-manager')).toEqual([]);
    expect(synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))![1].user_data).not.toContain("name: 'cloud-provider'");
  });
});
