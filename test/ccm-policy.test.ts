import { CCM_TAGGED_CREATE_ACTION_NAMES, cloudControllerManagerPolicy } from '../lib/addons/ccm-policy';
import { LOAD_BALANCER_SERVICE_NAME } from '../lib/kubernetes/cloud-check-objects';
import { allowingStatements, IamRequest } from './support/iam-eval';

/**
 * The cloud check's load-balancer path replayed against the controller's policy: the calls
 * cloud-provider-aws v1.36.1 makes for a Service of type LoadBalancer (pkg/providers/v1/aws.go
 * EnsureLoadBalancer and ensureSecurityGroup, aws_loadbalancer.go ensureLoadBalancer,
 * ensureLoadBalancerv2, createListenerV2, ensureTargetGroup), with the tags it puts in its create
 * requests (tags.go buildTags: `kubernetes.io/cluster/<id>=owned`, plus `kubernetes.io/service-name`).
 * Each call must be allowed, and the test names the statements that allow it.
 */
const policy = cloudControllerManagerPolicy({
  clusterName: 'demo',
  ec2ArnPrefix: 'arn:aws:ec2:eu-west-1:*',
  elbArnPrefix: 'arn:aws:elasticloadbalancing:eu-west-1:*',
  vpcId: 'vpc-0abc',
});
const account = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333';
const ec2 = 'arn:aws:ec2:eu-west-1:111122223333';
const clusterTag = 'kubernetes.io/cluster/demo';
const requestTags = { [`aws:RequestTag/${clusterTag}`]: 'owned', 'aws:RequestTag/kubernetes.io/service-name': `default/${LOAD_BALANCER_SERVICE_NAME}` };
const ownedResource = { [`aws:ResourceTag/${clusterTag}`]: 'owned' };

type Call = readonly [label: string, request: IamRequest];

/** The default for a Service without annotations, as the cloud check's is: a classic load balancer. */
const classicCalls: Call[] = [
  ['create the load balancer security group', { action: 'ec2:CreateSecurityGroup', resource: `${ec2}:security-group/*`, context: requestTags }],
  ['... in the cluster VPC', { action: 'ec2:CreateSecurityGroup', resource: `${ec2}:vpc/vpc-0abc` }],
  ['... with its tags', { action: 'ec2:CreateTags', resource: `${ec2}:security-group/*`, context: { ...requestTags, 'ec2:CreateAction': 'CreateSecurityGroup' } }],
  ['open the listener port on it', { action: 'ec2:AuthorizeSecurityGroupIngress', resource: `${ec2}:security-group/sg-0lb`, context: ownedResource }],
  ['create the classic load balancer with tags', { action: 'elasticloadbalancing:CreateLoadBalancer', resource: `${account}:loadbalancer/a1b2c3`, context: requestTags }],
  ['... and tag it while it is created', { action: 'elasticloadbalancing:AddTags', resource: `${account}:loadbalancer/a1b2c3`, context: { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' } }],
  ['configure its health check', { action: 'elasticloadbalancing:ConfigureHealthCheck', resource: `${account}:loadbalancer/a1b2c3`, context: ownedResource }],
  ['set its attributes', { action: 'elasticloadbalancing:ModifyLoadBalancerAttributes', resource: `${account}:loadbalancer/a1b2c3`, context: ownedResource }],
  ['register the nodes', { action: 'elasticloadbalancing:RegisterInstancesWithLoadBalancer', resource: `${account}:loadbalancer/a1b2c3`, context: ownedResource }],
  ["open the node port on the nodes' cluster group", { action: 'ec2:AuthorizeSecurityGroupIngress', resource: `${ec2}:security-group/sg-0nodes`, context: ownedResource }],
  ['read back', { action: 'elasticloadbalancing:DescribeLoadBalancers', resource: '*' }],
];

/** `service.beta.kubernetes.io/aws-load-balancer-type: nlb`: the same Service as a network load balancer. */
const networkCalls: Call[] = [
  ['create the network load balancer with tags', { action: 'elasticloadbalancing:CreateLoadBalancer', resource: `${account}:loadbalancer/net/a1b2c3/0f1e`, context: requestTags }],
  ['... and tag it while it is created', { action: 'elasticloadbalancing:AddTags', resource: `${account}:loadbalancer/net/a1b2c3/0f1e`, context: { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' } }],
  ['create its target group with tags', { action: 'elasticloadbalancing:CreateTargetGroup', resource: `${account}:targetgroup/k8s-tg/9a8b`, context: requestTags }],
  ['... and tag it while it is created', { action: 'elasticloadbalancing:AddTags', resource: `${account}:targetgroup/k8s-tg/9a8b`, context: { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateTargetGroup' } }],
  ['create its listener with tags', { action: 'elasticloadbalancing:CreateListener', resource: `${account}:listener/net/a1b2c3/0f1e/77aa`, context: requestTags }],
  ['... and tag it while it is created', { action: 'elasticloadbalancing:AddTags', resource: `${account}:listener/net/a1b2c3/0f1e/77aa`, context: { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateListener' } }],
  ['register the nodes as targets', { action: 'elasticloadbalancing:RegisterTargets', resource: `${account}:targetgroup/k8s-tg/9a8b`, context: ownedResource }],
];

function table(calls: Call[]): string[] {
  return calls.map(([label, request]) => `${request.action} (${label}): ${allowingStatements(policy, request).join(', ') || 'DENIED'}`);
}

describe('the controller can create a tagged load balancer (the cloud check path)', () => {
  test('every call of a classic load balancer is allowed, by these statements', () => {
    const lines = table(classicCalls);
    console.log(`classic load balancer, the statements that allow each call:\n${lines.join('\n')}`);
    expect(lines).toEqual([
      'ec2:CreateSecurityGroup (create the load balancer security group): CreateOwnedSecurityGroups',
      'ec2:CreateSecurityGroup (... in the cluster VPC): CreateSecurityGroupsInClusterVpc',
      'ec2:CreateTags (... with its tags): TagSecurityGroupsAtCreation',
      'ec2:AuthorizeSecurityGroupIngress (open the listener port on it): ChangeOwnedResources',
      'elasticloadbalancing:CreateLoadBalancer (create the classic load balancer with tags): CreateOwnedLoadBalancers',
      'elasticloadbalancing:AddTags (... and tag it while it is created): TagLoadBalancingResourcesAtCreation',
      'elasticloadbalancing:ConfigureHealthCheck (configure its health check): ChangeOwnedResources',
      'elasticloadbalancing:ModifyLoadBalancerAttributes (set its attributes): ChangeOwnedResources',
      'elasticloadbalancing:RegisterInstancesWithLoadBalancer (register the nodes): ChangeOwnedResources',
      "ec2:AuthorizeSecurityGroupIngress (open the node port on the nodes' cluster group): ChangeOwnedResources",
      'elasticloadbalancing:DescribeLoadBalancers (read back): Read',
    ]);
  });

  test('every call of a network load balancer is allowed too', () => {
    const lines = table(networkCalls);
    console.log(`network load balancer, the statements that allow each call:\n${lines.join('\n')}`);
    expect(lines.filter((l) => l.endsWith('DENIED'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('elasticloadbalancing:AddTags')).every((l) => l.endsWith(': TagLoadBalancingResourcesAtCreation'))).toBe(true);
  });

  test('the tag-at-creation statement, as synthesised', () => {
    expect(policy.Statement.find((s) => s.Sid === 'TagLoadBalancingResourcesAtCreation')).toEqual({
      Sid: 'TagLoadBalancingResourcesAtCreation',
      Effect: 'Allow',
      Action: ['elasticloadbalancing:AddTags'],
      Resource: [
        'arn:aws:elasticloadbalancing:eu-west-1:*:loadbalancer/*',
        'arn:aws:elasticloadbalancing:eu-west-1:*:targetgroup/*/*',
        'arn:aws:elasticloadbalancing:eu-west-1:*:listener/net/*/*/*',
      ],
      Condition: { StringEquals: { 'aws:RequestTag/kubernetes.io/cluster/demo': 'owned', 'elasticloadbalancing:CreateAction': ['CreateListener', 'CreateLoadBalancer', 'CreateTargetGroup'] } },
    });
    expect(CCM_TAGGED_CREATE_ACTION_NAMES).toEqual(['CreateListener', 'CreateLoadBalancer', 'CreateTargetGroup']);
  });
});

describe('what stays refused', () => {
  const refused: Call[] = [
    ['tag an untagged load balancer outside a create call', { action: 'elasticloadbalancing:AddTags', resource: `${account}:loadbalancer/someone-elses`, context: requestTags }],
    ["tag at creation with another cluster's tag", { action: 'elasticloadbalancing:AddTags', resource: `${account}:loadbalancer/a1b2c3`, context: { 'aws:RequestTag/kubernetes.io/cluster/other': 'owned', 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' } }],
    ['tag at creation from a call that is not ours', { action: 'elasticloadbalancing:AddTags', resource: `${account}:loadbalancer/app/a/b`, context: { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateRule' } }],
    ['create a load balancer without the cluster tag', { action: 'elasticloadbalancing:CreateLoadBalancer', resource: `${account}:loadbalancer/a1b2c3`, context: { 'aws:RequestTag/kubernetes.io/service-name': 'default/x' } }],
    ['tag at creation in another region', { action: 'elasticloadbalancing:AddTags', resource: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/a1b2c3', context: { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' } }],
    ['change a group that is not the cluster one', { action: 'ec2:AuthorizeSecurityGroupIngress', resource: `${ec2}:security-group/sg-other` }],
    ['create a group in another VPC without the tag', { action: 'ec2:CreateSecurityGroup', resource: `${ec2}:vpc/vpc-other` }],
  ];
  test.each(refused)('%s', (_label, request) => {
    expect(allowingStatements(policy, request)).toEqual([]);
  });
});
