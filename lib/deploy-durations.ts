/**
 * Typical durations of what a deploy waits for, per kind of block: a model, not a measurement.
 * Each entry says what the time covers and where the number comes from. They are typical first
 * deploy times in a commercial AWS region with the default instance type (t3.medium); a slow
 * package mirror, a cold image registry or a busy region make any of them longer.
 */

/** What one block of the stack typically costs the deploy, and why. */
export interface TypicalDuration {
  /** Minutes from the moment everything the block needs is done until it is done itself. */
  readonly minutes: number;
  /** What the time is spent on, as the estimate shows it. */
  readonly what: string;
  /** Where the number comes from (a source, or the reasoning). */
  readonly basis: string;
}

/** A duration for blocks of one type, optionally only those whose body matches. */
export interface DurationRule extends TypicalDuration {
  /** The block's type (`aws_nat_gateway`), or a pattern over types. */
  readonly type: string | RegExp;
  /** Only blocks whose body this accepts. @default - every block of the type */
  readonly when?: (body: Readonly<Record<string, unknown>>) => boolean;
}

/** A block's value as one object: cdktf writes nested blocks as one-element lists. */
function first(value: unknown): Record<string, unknown> {
  const item = Array.isArray(value) ? value[0] : value;
  return item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : {};
}

const isChart = (...charts: string[]) => (body: Readonly<Record<string, unknown>>) => charts.includes(body.chart as string);
const localWait = (body: Readonly<Record<string, unknown>>) => /^wait for the Kubernetes API/.test(String(first(first(body.provisioner)['local-exec']).command ?? ''));
const issuerWait = (body: Readonly<Record<string, unknown>>) => /^wait for the service-account issuer/.test(String(first(first(body.provisioner)['local-exec']).command ?? ''));
const waitsForRollout = (body: Readonly<Record<string, unknown>>) => body.wait_for_rollout !== false;

/** The model. The first rule that matches a block gives its duration. */
export const TYPICAL_DURATIONS: readonly DurationRule[] = [
  {
    type: 'terraform_data',
    when: localWait,
    minutes: 4,
    what: 'the control plane boots, installs its packages and runs kubeadm init, until the API answers',
    basis: 'cloud-init starts ~0.5 min after launch; apt installs containerd, kubelet and kubeadm in ~2 min; kubeadm init with image pulls ~1.5 min',
  },
  {
    type: 'terraform_data',
    when: issuerWait,
    minutes: 5,
    what: "the issuer's discovery document is served from its public URL",
    basis: 'a new CloudFront distribution deploys to its edge locations in minutes (CloudFront Developer Guide, distribution status); ~5 min assumed, from its creation on',
  },
  { type: 'aws_instance', minutes: 0.75, what: 'an EC2 instance launches', basis: 'RunInstances until the instance is running, which Terraform waits for: typically 30-60 s' },
  {
    type: 'aws_autoscaling_group',
    // A self-healing control-plane node: a group of one without a launch hook is InService once
    // its instance runs; the readiness wait covers its bootstrap.
    when: (body) => body.wait_for_capacity_timeout !== '0' && Number(body.min_size ?? 0) > 0 && body.initial_lifecycle_hook === undefined,
    minutes: 0.75,
    what: 'a control-plane group of one launches its instance',
    basis: 'RunInstances until the instance is running and InService (no launch hook holds it): typically 30-60 s',
  },
  {
    type: 'aws_autoscaling_group',
    when: (body) => body.wait_for_capacity_timeout !== '0' && Number(body.min_size ?? 0) > 0,
    minutes: 5,
    what: 'workers launch, install their packages, join and are Ready',
    basis: 'launch ~0.75 min, packages ~2 min, join ~0.5 min, the network plugin on the node until Ready ~1 min; Terraform waits for min_size InService, which the launch hook holds until Ready',
  },
  { type: 'aws_lb', minutes: 3, what: 'a load balancer is provisioned', basis: 'AWS makes a network load balancer active in ~2-4 min; Terraform waits for it' },
  {
    type: 'aws_cloudfront_distribution',
    minutes: 0.5,
    what: 'a CloudFront distribution is created',
    basis: 'CreateDistribution returns at once; without wait_for_deployment Terraform does not wait for the edge locations (the issuer-served wait does)',
  },
  { type: 'aws_nat_gateway', minutes: 1.5, what: 'a NAT gateway becomes available', basis: 'typically 1-2 min; Terraform waits for it' },
  {
    type: 'aws_ssm_association',
    when: (body) => body.wait_for_success_timeout_seconds !== undefined,
    minutes: 1,
    what: 'an SSM association runs on its instances and succeeds',
    basis: "the targets' SSM agent registers within ~1 min of boot, then State Manager runs the document (a check on a first deploy); Terraform waits for success",
  },
  { type: 'aws_cloudformation_stack', minutes: 1, what: 'a CloudFormation stack is created', basis: 'stack creation of a bucket and its settings plus Terraform polling: ~1 min' },
  { type: 'aws_lambda_invocation', minutes: 0.5, what: 'a Lambda function runs once', basis: 'a cold start of a small Python function and its AWS calls: seconds to half a minute' },
  { type: 'aws_lambda_function', minutes: 0.3, what: 'a Lambda function is created', basis: 'creation retries until its new role is usable: ~10-20 s' },
  {
    type: 'helm_release',
    when: isChart('cilium'),
    minutes: 2.5,
    what: "the network plugin's chart is ready on every node",
    basis: "Helm waits for the agent DaemonSet and the operator; the agent's images (~200 MB) are pulled on every node first",
  },
  {
    type: 'helm_release',
    when: isChart('metrics-server'),
    minutes: 1.5,
    what: 'metrics-server is ready',
    basis: "its readiness probe starts after 20 s (chart 3.13.1 values) and passes after a successful scrape at 15 s resolution (metrics-server v0.8.1 pkg/storage Ready)",
  },
  {
    type: 'helm_release',
    when: isChart('aws-ebs-csi-driver'),
    minutes: 1.5,
    what: 'the EBS CSI driver is ready',
    basis: 'a controller with several sidecar images and a node DaemonSet: more image pulls than a small chart',
  },
  { type: 'helm_release', minutes: 1, what: "a small chart's pods are Ready", basis: "Helm's wait (the provider's default) for one small Deployment or DaemonSet: image pull and start" },
  {
    type: 'kubernetes_job_v1',
    when: (body) => body.wait_for_completion === true && first(body.metadata).name === 'cloud-check',
    minutes: 5,
    what: 'the cloud check: a load balancer and an EBS volume made, used and deleted',
    basis: 'a classic load balancer for a Service ~2-3 min until it answers by name, a gp3 volume attached ~0.5 min, both deleted ~1 min',
  },
  {
    type: 'kubernetes_job_v1',
    when: (body) => body.wait_for_completion === true && first(body.metadata).name === 'scale-up-check',
    minutes: 6,
    what: 'the scale-up check: the autoscaler adds a worker for a pending pod',
    basis: "the autoscaler sees the pending pod within its 10 s scan; a new worker boots, installs its packages and joins (~4-5 min, the boot budget's typical case) and turns Ready once the network plugin runs on it",
  },
  {
    type: 'kubernetes_job_v1',
    when: (body) => body.wait_for_completion === true,
    minutes: 1,
    what: 'the check Job runs to completion',
    basis: 'image pull, then DNS, pod, Service and egress checks of a few seconds each',
  },
  { type: 'kubernetes_daemon_set_v1', when: waitsForRollout, minutes: 1, what: 'a DaemonSet rolls out', basis: 'image pull and start on the nodes there are; the provider waits for the rollout' },
  { type: 'kubernetes_deployment_v1', when: waitsForRollout, minutes: 0.5, what: 'a Deployment rolls out', basis: 'a small image pulled and started; the provider waits for the rollout' },
  { type: /^kubernetes_/, minutes: 0, what: 'one API request', basis: 'an object written to the API server: well under a second' },
  { type: /^(tls|random)_/, minutes: 0, what: 'computed by Terraform itself', basis: 'no remote call' },
  { type: 'terraform_data', minutes: 0, what: 'a value kept in state', basis: 'no remote call' },
  { type: /.*/, minutes: 0.1, what: 'an AWS API call', basis: "one create call and the provider's read back: seconds" },
];

/** Blocks that take no time of the apply: data sources are read at plan time, providers configured. */
const NO_TIME: TypicalDuration = { minutes: 0, what: 'read or configured before the apply', basis: 'data sources are read at plan time; provider configurations take no time' };

/** The typical duration of one block, from the first rule that matches it. */
export function typicalDuration(
  block: { readonly type: string; readonly mode: 'resource' | 'data' | 'provider'; readonly body: Readonly<Record<string, unknown>> },
  rules: readonly DurationRule[] = TYPICAL_DURATIONS,
): TypicalDuration {
  if (block.mode !== 'resource') {
    return NO_TIME;
  }
  const rule = rules.find((r) => (typeof r.type === 'string' ? r.type === block.type : r.type.test(block.type)) && (r.when?.(block.body) ?? true));
  if (!rule) {
    throw new Error(`no typical duration for ${block.type}; add a rule that matches it`);
  }
  return { minutes: rule.minutes, what: rule.what, basis: rule.basis };
}
