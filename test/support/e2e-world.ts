import type { Clock, Command, CommandResult, CommandRunner, Workspace } from '../../e2e/command';
import type { E2eEnvironment } from '../../e2e/run';

/**
 * A stand-in AWS account, cdktf and cluster for the end-to-end runner's tests, in process: it
 * answers the commands the runner gives `cdktf`, `terraform`, `aws` and `kubectl` from a small
 * model (a deployed stack, parameters, an auto scaling group, etcd's objects and snapshots,
 * nodes), on a clock that moves only when the runner sleeps. Tests change its behaviour through
 * `faults` and the hooks below.
 */

export interface Node {
  name: string;
  version: string;
  ready: boolean;
}

/** Ways the world can misbehave. */
export interface Faults {
  /** Failures to give, in order, before a command whose line contains the key succeeds. */
  readonly failFirst: Map<string, CommandResult[]>;
  /** Programs missing from the PATH. */
  readonly missing: Set<string>;
  /** The upgrade never reaches this node. */
  stuckNode?: string;
  /** A replaced control-plane node takes back its etcd volume instead of restoring. */
  ignoreRestoreRequest?: boolean;
  /** A cluster of this name is already there. */
  existingCluster?: boolean;
  /** A destroy that ends well but leaves this many resources in the state. */
  destroyLeaves?: number;
}

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stderr: string, exitCode = 1): CommandResult => ({ exitCode, stdout: '', stderr });
export const transient = (message = 'An error occurred (ThrottlingException) when calling the GetCallerIdentity operation: Rate exceeded'): CommandResult => fail(message, 254);

const GENERATION = '20261201T090000Z-3fa2c1';

export class FakeWorld implements CommandRunner, Clock, Workspace {
  public readonly calls: Command[] = [];
  public readonly logs: string[] = [];
  public readonly faults: Faults = { failFirst: new Map(), missing: new Set() };
  public readonly files = new Map<string, string>([['examples/default/main.ts', "synthExample('default');\n"]]);
  public readonly secretFiles = new Set<string>();
  public time = Date.parse('2026-12-01T08:00:00Z');
  public interrupts = 0;
  /** Called before each command: a test can interrupt or change the world mid-run. */
  public onCommand?: (command: Command) => void;

  // The account.
  public deployed = false;
  public stateResources = 0;
  public readonly parameters = new Map<string, string>();
  public bucket?: { versions: string[] };
  /** The bucket the stack's snapshot location names. */
  public bucketName = 'demo-etcd-backups-bucket-1a2b3c';
  /** Load balancers the tagging API lists for the cluster, and those that still exist. */
  public taggedLoadBalancers: string[] = [];
  public readonly liveLoadBalancers = new Set<string>();
  public group: Array<{ id: string; state: string }> = [];
  private instanceCount = 0;
  private replacementPolls = 0;
  // The cluster.
  public apiUp = false;
  public nodes: Node[] = [];
  public readonly objects = new Map<string, string>();
  public snapshots: Array<{ key: string; objects: Map<string, string> }> = [];
  public jobs = new Map<string, 'succeeded' | 'failed'>();
  private commandPolls = 0;
  private deployedVersion = '';

  public environment(): E2eEnvironment {
    return { runner: this, clock: this, files: this, log: (line) => this.logs.push(line), env: {}, interrupts: () => this.interrupts, runId: 'e2e-test' };
  }

  /** The command lines the runner gave, as text. */
  public lines(): string[] {
    return this.calls.map((c) => [c.program, ...c.args].join(' '));
  }

  // Clock
  public now(): number {
    return this.time;
  }

  public async sleep(ms: number): Promise<void> {
    this.time += ms;
  }

  // Workspace
  public readText(path: string): string | undefined {
    return this.files.get(path);
  }

  public writeText(path: string, text: string, options: { readonly secret?: boolean } = {}): void {
    this.files.set(path, text);
    if (options.secret) this.secretFiles.add(path);
  }

  public makeTempDir(): string {
    return '/tmp/kubeadm-e2e-test';
  }

  public remove(path: string): void {
    for (const file of [...this.files.keys()].filter((f) => f === path || f.startsWith(`${path}/`))) this.files.delete(file);
  }

  // CommandRunner
  public async run(command: Command): Promise<CommandResult> {
    this.calls.push(command);
    this.onCommand?.(command);
    this.time += 1000;
    if (this.faults.missing.has(command.program)) {
      return fail(`${command.program}: not found`, 127);
    }
    const line = [command.program, ...command.args].join(' ');
    for (const [key, queue] of this.faults.failFirst) {
      if (line.includes(key) && queue.length > 0) return queue.shift()!;
    }
    switch (command.program) {
      case 'cdktf':
        return this.cdktf(command);
      case 'terraform':
      case 'tofu':
        return this.terraform(command.args);
      case 'node':
        return this.synth(command);
      case 'aws':
        return this.aws(command.args);
      case 'kubectl':
        return this.kubectl(command);
      default:
        return fail(`${command.program}: not found`, 127);
    }
  }

  private synth(command: Command): CommandResult {
    const example = /examples\/([^/]+)\/main\.ts/.exec(command.args.join(' '))?.[1];
    if (example !== 'default') return fail(`no example ${example}`);
    this.files.set('cdktf.out/manifest.json', JSON.stringify({ stacks: { 'kubeadm-cluster': {} } }));
    this.files.set(
      'cdktf.out/stacks/kubeadm-cluster/cdk.tf.json',
      JSON.stringify({ output: { demo_parameter_path: { value: '/kubeadm/demo' }, demo_address_plan: { value: { controlPlaneCount: 1 } }, demo_kubeconfig: { value: '${tls...}', sensitive: true } } }),
    );
    return ok('The deploy creates\n  - a VPC\n\nEstimated deploy time to a checked cluster (modelled, typical AWS times): ~10 min\n');
  }

  private cdktf(command: Command): CommandResult {
    if (command.args[0] === '--version') return ok('0.21.0\n');
    const env = command.env ?? {};
    if (command.args[0] === 'deploy') {
      const version = env.KUBEADM_EXAMPLE_KUBERNETES_VERSION;
      this.deployed = true;
      this.stateResources = 180;
      this.apiUp = true;
      if (this.parameters.size === 0) {
        this.parameters.set('/kubeadm/demo/cluster-generation', GENERATION);
        this.parameters.set('/kubeadm/demo/etcd-restore', 'none');
        this.bucket = { versions: [] };
        this.group = [{ id: this.newInstance(), state: 'InService' }];
        this.nodes = ['ip-10-0-128-10', 'ip-10-0-160-21', 'ip-10-0-176-33'].map((name) => ({ name, version: `v${version}`, ready: true }));
        this.jobs.set('pod-network-check', 'succeeded');
      }
      // The control plane records the version after its upgrade; the pools roll afterwards.
      this.parameters.set('/kubeadm/demo/kubernetes-version', version);
      this.deployedVersion = version;
      if (env.KUBEADM_EXAMPLE_CLOUD_CHECK === 'true') this.jobs.set('cloud-check', 'succeeded');
      this.files.set('terraform.kubeadm-cluster.tfstate', JSON.stringify({ outputs: this.outputs(), resources: new Array(this.stateResources).fill({}) }));
      return ok('Apply complete!');
    }
    if (command.args[0] === 'destroy') {
      this.deployed = false;
      this.stateResources = this.faults.destroyLeaves ?? 0;
      this.apiUp = false;
      this.nodes = [];
      this.group = [];
      for (const name of ['/kubeadm/demo/cluster-generation', '/kubeadm/demo/etcd-restore', '/kubeadm/demo/kubernetes-version']) this.parameters.delete(name);
      this.files.set('terraform.kubeadm-cluster.tfstate', JSON.stringify({ resources: [] }));
      return ok('Destroy complete!');
    }
    return fail(`cdktf: unknown command ${command.args[0]}`);
  }

  private terraform(args: readonly string[]): CommandResult {
    if (args[0] === 'version') return ok('{"terraform_version":"1.9.8","platform":"linux_amd64"}');
    if (args[1] === 'state' && args[2] === 'list') {
      if (this.stateResources === 0) return fail('No state file was found!\n\nState management commands require a state file.');
      return ok(Array.from({ length: this.stateResources }, (_, i) => `aws_thing.resource_${i}`).join('\n') + '\n');
    }
    if (args[1] === 'output') {
      return ok(JSON.stringify(this.outputs()));
    }
    return fail('terraform: unknown command');
  }

  private outputs(): Record<string, { value: string; sensitive?: boolean }> {
    if (!this.deployed) return {};
    return {
      demo_kubeconfig: { sensitive: true, value: 'apiVersion: v1\nkind: Config\n' },
      demo_etcd_snapshot_location: { value: `s3://${this.bucketName}/demo/` },
      demo_parameter_path: { value: '/kubeadm/demo' },
    };
  }

  private newInstance(): string {
    return `i-0000000000000000${++this.instanceCount}`;
  }

  private aws(args: readonly string[]): CommandResult {
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    const [service, verb] = args;
    const text = args.includes('text');
    if (service === '--version') return ok('aws-cli/2.17.0 Python/3.11.9 Linux/6.1 exe/x86_64\n');
    if (service === 'sts') return ok(JSON.stringify({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/e2e' }));
    if (service === 'ec2' && verb === 'describe-regions') return ok('opt-in-not-required\n');
    if (service === 'resourcegroupstaggingapi') return ok(JSON.stringify(this.taggedLoadBalancers));
    if (service === 'elbv2' || service === 'elb') {
      const name = arg(service === 'elbv2' ? '--load-balancer-arns' : '--load-balancer-names');
      const live = [...this.liveLoadBalancers].some((arn) => arn === name || arn.endsWith(`/${name}`));
      return live ? ok('{}') : fail(`An error occurred (${service === 'elb' ? 'AccessPointNotFound' : 'LoadBalancerNotFound'}) when calling the DescribeLoadBalancers operation`, 254);
    }
    if (service === 'ec2') return ok('[]');
    if (service === 'ssm' && verb === 'get-parameter') {
      const name = arg('--name');
      if (this.faults.existingCluster && name.endsWith('/cluster-generation')) return ok(JSON.stringify({ Parameter: { Value: GENERATION } }));
      const value = this.parameters.get(name);
      if (value === undefined) return fail(`An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter ${name} not found.`, 254);
      return ok(text ? `${value}\n` : JSON.stringify({ Parameter: { Value: value } }));
    }
    if (service === 'ssm' && verb === 'put-parameter') {
      this.parameters.set(arg('--name'), arg('--value'));
      return ok('1\n');
    }
    if (service === 'ssm' && verb === 'send-command') {
      this.commandPolls = 0;
      return ok('cmd-0123\n');
    }
    if (service === 'ssm' && verb === 'list-command-invocations') {
      // Nothing at first, then running, then done: the snapshot lands when it succeeds.
      this.commandPolls++;
      if (this.commandPolls === 1) return ok('[]');
      if (this.commandPolls === 2) return ok(JSON.stringify([{ id: this.group[0].id, status: 'InProgress' }]));
      if (this.commandPolls === 3) this.snapshots.push({ key: `demo/${GENERATION}/etcd-20261201T0${this.snapshots.length}0000Z-ip-10-0-128-10.db`, objects: new Map(this.objects) });
      return ok(JSON.stringify([{ id: this.group[0].id, status: 'Success' }]));
    }
    if (service === 's3api' && verb === 'list-objects-v2') {
      const keys = this.snapshots.map((s) => s.key).filter((k) => k.startsWith(arg('--prefix')));
      return ok(keys.length ? JSON.stringify(keys) : 'null');
    }
    if (service === 's3api' && verb === 'list-object-versions') {
      if (!this.bucket) return fail('An error occurred (NoSuchBucket) when calling the ListObjectVersions operation: The specified bucket does not exist', 254);
      if (arg('--query').startsWith('DeleteMarkers')) return ok('null');
      return ok(this.bucket.versions.length ? JSON.stringify(this.bucket.versions.map((Key) => ({ Key, VersionId: 'v1' }))) : 'null');
    }
    if (service === 's3api' && verb === 'delete-objects') {
      const keys = (JSON.parse(arg('--delete')) as { Objects: Array<{ Key: string }> }).Objects.map((o) => o.Key);
      this.bucket!.versions = this.bucket!.versions.filter((k) => !keys.includes(k));
      return ok('{}');
    }
    if (service === 's3api' && verb === 'delete-bucket') {
      if (this.bucket?.versions.length) return fail('An error occurred (BucketNotEmpty)', 254);
      this.bucket = undefined;
      return ok('');
    }
    if (service === 'autoscaling' && verb === 'describe-auto-scaling-groups') {
      this.bootReplacement();
      return ok(JSON.stringify(this.group));
    }
    if (service === 'autoscaling' && verb === 'terminate-instance-in-auto-scaling-group') {
      this.group = [{ id: arg('--instance-id'), state: 'Terminating' }];
      this.apiUp = false;
      this.replacementPolls = 0;
      return ok('{}');
    }
    return fail(`aws: no stand-in for ${args.join(' ')}`, 252);
  }

  /** A replacement instance launches, restores the requested snapshot (or not) and serves. */
  private bootReplacement(): void {
    if (this.group[0]?.state !== 'Terminating' && this.replacementPolls === 0) return;
    this.replacementPolls++;
    if (this.replacementPolls === 1) {
      this.group = [this.group[0], { id: this.newInstance(), state: 'Pending' }];
    } else if (this.replacementPolls === 2) {
      this.group = [{ id: this.group[1].id, state: 'InService' }];
      const request = this.parameters.get('/kubeadm/demo/etcd-restore')!;
      if (!this.faults.ignoreRestoreRequest && request !== 'none') {
        const snapshot = this.snapshots.find((s) => s.key.endsWith(request));
        this.objects.clear();
        for (const [k, v] of snapshot?.objects ?? []) this.objects.set(k, v);
      }
      this.parameters.set('/kubeadm/demo/etcd-restore', 'none');
      this.apiUp = true;
    }
  }

  private kubectl(command: Command): CommandResult {
    const args = command.args.slice(3); // --kubeconfig <path> --request-timeout=30s
    const line = args.join(' ');
    if (command.args[0] === 'version') return ok(JSON.stringify({ clientVersion: { major: '1', minor: '36', gitVersion: 'v1.36.0' } }));
    if (!this.apiUp) return fail('The connection to the server 203.0.113.10:6443 was refused - did you specify the right host or port?');
    if (line === 'get --raw /readyz') return ok('ok');
    if (line === 'get nodes -o json') {
      this.rollWorkers();
      return ok(JSON.stringify({ items: this.nodes.map((n) => ({ metadata: { name: n.name }, status: { nodeInfo: { kubeletVersion: n.version }, conditions: [{ type: 'Ready', status: n.ready ? 'True' : 'False' }] } })) }));
    }
    const job = /^-n kubeadm-connectivity-check get job (\S+) -o json$/.exec(line);
    if (job) {
      const status = this.jobs.get(job[1]);
      if (!status) return fail(`Error from server (NotFound): jobs.batch "${job[1]}" not found`);
      return ok(JSON.stringify({ spec: { template: { spec: { containers: [{ env: [{ name: 'EXPECTED_NODES', value: '3' }] }] } } }, status: status === 'succeeded' ? { succeeded: 1, startTime: '2026-12-01T08:09:00Z', completionTime: '2026-12-01T08:09:48Z' } : { failed: 5 } }));
    }
    const got = /^-n kubeadm-connectivity-check get (\S+) (\S+)$/.exec(line);
    if (got) return fail(`Error from server (NotFound): ${got[1]}s "${got[2]}" not found`);
    if (line === 'apply -f -') {
      const object = JSON.parse(command.input!) as { metadata: { name: string }; data: { run: string } };
      this.objects.set(object.metadata.name, object.data.run);
      return ok(`configmap/${object.metadata.name} created`);
    }
    const configMap = /^-n default get configmap (\S+)/.exec(line);
    if (configMap) {
      const value = this.objects.get(configMap[1]);
      if (value === undefined) return fail(`Error from server (NotFound): configmaps "${configMap[1]}" not found`);
      return ok(line.includes('jsonpath') ? value : `configmap/${configMap[1]}`);
    }
    return fail(`kubectl: no stand-in for ${line}`);
  }

  /** After an upgrade deploy, each look at the nodes finds one more worker rolled. */
  private rollWorkers(): void {
    const target = `v${this.deployedVersion}`;
    const behind = this.nodes.find((n) => n.version !== target && n.name !== this.faults.stuckNode);
    if (behind) behind.version = target;
  }
}
