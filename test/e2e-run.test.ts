import { parseArguments } from '../e2e/options';
import { E2eReport } from '../e2e/report';
import { runE2e } from '../e2e/run';
import { FakeWorld, transient } from './support/e2e-world';

// The end-to-end runner's phases against stand-ins of cdktf, terraform, aws and kubectl (in
// process, on a clock that moves only when the runner sleeps): what it runs, in which order, what
// it retries, when it gives up, that it always destroys, and what the report says.

const options = (...extra: string[]) => parseArguments(['--region', 'eu-west-1', ...extra])!;

async function run(world: FakeWorld, ...extra: string[]): Promise<E2eReport> {
  return runE2e(options(...extra), world.environment());
}

const phase = (report: E2eReport, name: string) => report.phases.find((p) => p.name === name)!;
const results = (report: E2eReport) => Object.fromEntries(report.phases.map((p) => [p.name, p.result]));
const index = (world: FakeWorld, pattern: RegExp) => world.lines().findIndex((l) => pattern.test(l));

describe('a full run', () => {
  const world = new FakeWorld();
  let report: E2eReport;
  beforeAll(async () => {
    report = await run(world, '--kubernetes-version', '1.35.4', '--upgrade-to', '1.36.4', '--restore-drill');
  });

  test('passes every phase, in order, and destroys at the end', () => {
    expect(report.result).toBe('passed');
    expect(results(report)).toEqual({
      preflight: 'passed',
      deploy: 'passed',
      'connectivity-check': 'passed',
      'cloud-check': 'passed',
      upgrade: 'passed',
      'restore-drill': 'passed',
      destroy: 'passed',
    });
    const deploys = world.calls.filter((c) => c.program === 'cdktf' && c.args[0] === 'deploy');
    // The first deploy, the cloud check's, the upgrade's.
    expect(deploys.map((c) => [c.env?.KUBEADM_EXAMPLE_KUBERNETES_VERSION, c.env?.KUBEADM_EXAMPLE_CLOUD_CHECK])).toEqual([
      ['1.35.4', 'false'],
      ['1.35.4', 'true'],
      ['1.36.4', 'true'],
    ]);
    expect(deploys.every((c) => c.env?.KUBEADM_EXAMPLE_REGION === 'eu-west-1' && c.args.includes('--auto-approve') && c.args[1] === 'kubeadm-cluster')).toBe(true);
    // The destroy synthesises what was deployed last.
    const destroy = world.calls.find((c) => c.program === 'cdktf' && c.args[0] === 'destroy')!;
    expect([destroy.env?.KUBEADM_EXAMPLE_KUBERNETES_VERSION, destroy.env?.KUBEADM_EXAMPLE_CLOUD_CHECK]).toEqual(['1.36.4', 'true']);
    expect(index(world, /^cdktf destroy/)).toBeGreaterThan(index(world, /terminate-instance-in-auto-scaling-group/));
    expect(world.deployed).toBe(false);
  });

  test('preflight checks credentials, region, tools and that the cluster is new before the first deploy', () => {
    const firstDeploy = index(world, /^cdktf deploy/);
    for (const check of [/^aws sts get-caller-identity/, /^aws ec2 describe-regions .*--region-names eu-west-1/, /^kubectl version --client/, /^terraform version/, /^aws ssm get-parameter --name \/kubeadm\/demo\/cluster-generation/]) {
      expect([String(check), index(world, check)]).toEqual([String(check), expect.any(Number)]);
      expect(index(world, check)).toBeGreaterThanOrEqual(0);
      expect(index(world, check)).toBeLessThan(firstDeploy);
    }
    expect(phase(report, 'preflight').detail).toContain('account 123456789012; cluster demo in eu-west-1');
  });

  test('the upgrade waits until every node runs the new kubelet', () => {
    expect(phase(report, 'upgrade').detail).toBe('demo: control plane recorded 1.36.4; 3/3 nodes Ready (3 at v1.36.4)');
    expect(world.nodes.length).toBe(0); // destroyed since
  });

  test('the restore drill snapshots, requests that snapshot, replaces node 0 and finds the object from before the snapshot only', () => {
    const lines = world.lines();
    const snapshot = lines.find((l) => /ssm send-command --document-name AWS-RunShellScript --targets Key=tag:cdktf-kubeadm-cluster\/demo,Values=control-plane/.test(l))!;
    expect(snapshot).toContain('systemctl start kubeadm-etcd-snapshot.service');
    const request = lines.find((l) => l.startsWith('aws ssm put-parameter --name /kubeadm/demo/etcd-restore'))!;
    expect(request).toContain('--value 20261201T090000Z-3fa2c1/etcd-20261201T000000Z-ip-10-0-128-10.db');
    expect(index(world, /put-parameter --name \/kubeadm\/demo\/etcd-restore/)).toBeLessThan(index(world, /terminate-instance-in-auto-scaling-group --instance-id i-00000000000000001 --no-should-decrement-desired-capacity/));
    expect(phase(report, 'restore-drill').detail).toMatch(/^demo: 20261201T090000Z-3fa2c1\/etcd-\S+ restored onto i-00000000000000002 \(was i-00000000000000001\), API back .* after the replacement; the object before the snapshot is back, the one after it gone; 3\/3 nodes Ready/);
  });

  test('the retained backup bucket is emptied and deleted, the kubeconfig removed, and the report written as JSON and table', () => {
    expect(world.bucket).toBeUndefined();
    expect(phase(report, 'destroy').detail).toContain('demo: backup bucket demo-etcd-backups-bucket-1a2b3c emptied');
    expect(world.secretFiles).toEqual(new Set(['/tmp/kubeadm-e2e-test/demo.kubeconfig']));
    expect(world.files.has('/tmp/kubeadm-e2e-test/demo.kubeconfig')).toBe(false);
    const json = JSON.parse(world.files.get('e2e-report.json')!) as E2eReport;
    expect(json).toEqual(report);
    expect(json).toMatchObject({ kind: 'cdktf-kubeadm-cluster/e2e-report', version: 1, example: 'default', region: 'eu-west-1', kubernetesVersion: '1.35.4', upgradeTo: '1.36.4', estimate: '~10 min', left: [] });
    for (const p of json.phases) {
      expect([p.name, p.seconds > 0, typeof p.startedAt]).toEqual([p.name, true, 'string']);
    }
    const table = world.files.get('e2e-report.txt')!;
    expect(table).toContain('End-to-end run of example "default" in eu-west-1: PASSED');
    expect(table).toMatch(/^phase +result +wall time +detail$/m);
    expect(table).toMatch(/^restore-drill +passed +\d+ min \d+ s +demo: /m);
    expect(table).not.toContain('What to check');
  });
});

describe('failures', () => {
  test('a deploy whose connectivity check fails is not retried, skips the rest, still destroys, and says what to check', async () => {
    const world = new FakeWorld();
    world.faults.failFirst.set('cdktf deploy', [{ exitCode: 1, stdout: 'kubernetes_job_v1.cluster_connectivity-check_check: Creating...', stderr: 'kubeadm-cluster  ╷\n│ Error: job: kubeadm-connectivity-check/pod-network-check is in failed state\n│\n╵\nInvoking Terraform CLI failed with exit code 1\n' }]);
    const report = await run(world);
    expect(report.result).toBe('failed');
    expect(results(report)).toMatchObject({ preflight: 'passed', deploy: 'failed', 'connectivity-check': 'skipped', 'cloud-check': 'skipped', destroy: 'passed' });
    expect(world.lines().filter((l) => l.startsWith('cdktf deploy'))).toHaveLength(1);
    expect(world.lines().filter((l) => l.startsWith('cdktf destroy'))).toHaveLength(1);
    const deploy = phase(report, 'deploy');
    // The first error Terraform printed, not cdktf's closing line.
    expect(deploy.error).toBe('cdktf deploy failed: Error: job: kubeadm-connectivity-check/pod-network-check is in failed state');
    expect(deploy.whatToCheck).toContain('kubectl -n kubeadm-connectivity-check logs job/pod-network-check (a failed connectivity check)');
    const table = world.files.get('e2e-report.txt')!;
    expect(table).toContain('deploy failed: cdktf deploy failed');
    expect(table).toContain('What to check:\n  - the error lines of the deploy output above');
  });

  test('a transient AWS error is tried again, within its bounds', async () => {
    const world = new FakeWorld();
    world.faults.failFirst.set('aws sts get-caller-identity', [transient(), transient()]);
    world.faults.failFirst.set('cdktf deploy', [{ exitCode: 1, stdout: '', stderr: 'Error: creating EC2 Launch Template: RequestLimitExceeded: Request limit exceeded.' }]);
    const report = await run(world, '--skip-cloud-check');
    expect(report.result).toBe('passed');
    expect(world.lines().filter((l) => l.startsWith('aws sts get-caller-identity'))).toHaveLength(3);
    expect(world.lines().filter((l) => l.startsWith('cdktf deploy'))).toHaveLength(2);
    expect(world.logs).toContain('  reading the AWS identity: try 1 of 5 failed (An error occurred (ThrottlingException) when calling the GetCallerIdentity operation: Rate exceeded); again in 10 s');
    expect(phase(report, 'cloud-check')).toMatchObject({ result: 'skipped', detail: 'not run: --skip-cloud-check' });
  });

  test('retries end: a lasting transient error fails after the policy\'s tries, and nothing is created', async () => {
    const world = new FakeWorld();
    world.faults.failFirst.set('aws sts get-caller-identity', Array.from({ length: 9 }, () => transient()));
    const report = await run(world);
    expect(world.lines().filter((l) => l.startsWith('aws sts get-caller-identity'))).toHaveLength(5);
    expect(phase(report, 'preflight').error).toMatch(/^reading the AWS identity failed after 5 tries: An error occurred \(ThrottlingException\)/);
    expect(phase(report, 'destroy')).toMatchObject({ result: 'skipped', detail: 'not run: nothing was created' });
    expect(world.lines().some((l) => l.startsWith('cdktf deploy'))).toBe(false);
  });

  test('an error that is not transient is not retried: missing credentials fail at once with where to set them', async () => {
    const world = new FakeWorld();
    world.faults.failFirst.set('aws sts get-caller-identity', [{ exitCode: 253, stdout: '', stderr: 'Unable to locate credentials. You can configure credentials by running "aws configure".' }]);
    const report = await run(world);
    expect(world.lines().filter((l) => l.startsWith('aws sts'))).toHaveLength(1);
    expect(phase(report, 'preflight')).toMatchObject({ result: 'failed', error: expect.stringContaining('Unable to locate credentials') });
    expect(phase(report, 'preflight').whatToCheck[0]).toContain('AWS_PROFILE');
  });

  test('a tool missing from the PATH, and a cluster of the same name, stop the run before anything is created', async () => {
    const noKubectl = new FakeWorld();
    noKubectl.faults.missing.add('kubectl');
    const first = await run(noKubectl);
    expect(phase(first, 'preflight').error).toBe('kubectl is not on the PATH');
    expect(phase(first, 'preflight').whatToCheck[0]).toContain('install kubectl');

    const taken = new FakeWorld();
    taken.faults.existingCluster = true;
    const second = await run(taken);
    expect(phase(second, 'preflight').error).toBe('a cluster named demo already exists in eu-west-1 (/kubeadm/demo/cluster-generation is there)');
    expect(phase(second, 'preflight').whatToCheck[0]).toContain('--destroy-only');
    for (const world of [noKubectl, taken]) {
      expect(world.lines().some((l) => /^cdktf (deploy|destroy)/.test(l))).toBe(false);
    }
  });

  test('tool versions: Terraform older than 1.6, OpenTofu in its place, a kubectl too far from the cluster', async () => {
    const old = new FakeWorld();
    old.faults.failFirst.set('terraform version', [{ exitCode: 0, stdout: '{"terraform_version":"1.5.7"}', stderr: '' }]);
    expect(phase(await run(old), 'preflight').error).toBe('terraform is version 1.5.7, the stack needs 1.6 or later');

    const tofu = new FakeWorld();
    tofu.faults.missing.add('terraform');
    tofu.faults.failFirst.set('tofu version', [{ exitCode: 0, stdout: '{"terraform_version":"1.10.10"}', stderr: '' }]);
    const withTofu = await run(tofu, '--skip-cloud-check');
    expect(phase(withTofu, 'preflight').error).toBeUndefined();
    expect(phase(withTofu, 'preflight').detail).toContain('tofu 1.10.10');
    expect(withTofu.result).toBe('passed');
    expect(tofu.calls.filter((c) => c.program === 'cdktf' && c.args[0] !== '--version').every((c) => c.env?.TERRAFORM_BINARY_NAME === 'tofu')).toBe(true);
    expect(tofu.lines()).toContain('tofu -chdir=cdktf.out/stacks/kubeadm-cluster output -json');

    const skew = new FakeWorld();
    const error = phase(await run(skew, '--kubernetes-version', '1.34.2'), 'preflight');
    expect(error.error).toBe('kubectl 1.36.0 is more than one minor away from Kubernetes 1.34.2');
  });

  test('a wait that reaches its deadline fails with what it waited for, what it last saw and what to check; the destroy still runs', async () => {
    const world = new FakeWorld();
    world.faults.stuckNode = 'ip-10-0-176-33';
    const report = await run(world, '--kubernetes-version', '1.35.4', '--upgrade-to', '1.36.4', '--skip-cloud-check');
    const upgrade = phase(report, 'upgrade');
    expect(upgrade.result).toBe('failed');
    expect(upgrade.error).toMatch(/^gave up after 59 min \d\d s waiting for every node of demo to run kubelet v1\.36\.4 \(at least 3 Ready\); last seen: 3\/3 nodes Ready \(2 at v1\.36\.4, 1 at v1\.35\.4\)$/);
    expect(upgrade.whatToCheck[0]).toContain('aws autoscaling describe-instance-refreshes --auto-scaling-group-name demo-<pool>');
    expect(upgrade.seconds).toBeGreaterThanOrEqual(3600);
    expect(phase(report, 'restore-drill').result).toBe('skipped');
    expect(phase(report, 'destroy').result).toBe('passed');
  });

  test('negative control: a replaced node that takes back its etcd volume instead of restoring fails the drill', async () => {
    const world = new FakeWorld();
    world.faults.ignoreRestoreRequest = true;
    const report = await run(world, '--restore-drill', '--skip-cloud-check');
    const drill = phase(report, 'restore-drill');
    expect(drill.result).toBe('failed');
    expect(drill.error).toMatch(/^configmap\/e2e-restore-after-snapshot, written after the snapshot, is still there \(found\): the node did not restore /);
    expect(phase(report, 'destroy').result).toBe('passed');
  });

  test('an interrupt ends the current phase and goes on to the destroy; a second one stops the destroy', async () => {
    const world = new FakeWorld();
    const halted = { exitCode: 1, stdout: '', stderr: 'Error: execution halted' };
    world.onCommand = (command) => {
      if (command.program === 'cdktf' && ['deploy', 'destroy'].includes(command.args[0])) {
        // Terraform stops when the runner passes the interrupt on.
        world.interrupts++;
        world.faults.failFirst.set(`cdktf ${command.args[0]}`, [halted]);
      }
    };
    const report = await run(world);
    expect(results(report)).toMatchObject({ deploy: 'failed', 'connectivity-check': 'skipped', destroy: 'failed' });
    expect(phase(report, 'deploy').error).toBe('interrupted (Ctrl-C): cdktf deploy failed: Error: execution halted');
    // The destroy was tried once, not three times: the second interrupt ended it.
    expect(world.lines().filter((l) => l.startsWith('cdktf destroy'))).toHaveLength(1);
    expect(phase(report, 'destroy').error).toMatch(/^interrupted \(Ctrl-C\)/);
    expect(report.left).toEqual(['what the destroy did not remove: npm run e2e -- --region eu-west-1 --example default --destroy-only']);
  });
});

describe('the destroy', () => {
  test('fails when something that bills by the hour is left, and names it; a load balancer AWS is still forgetting does not count', async () => {
    const world = new FakeWorld();
    const live = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/a1b2c3d4e5f6';
    const stale = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/k8s-nlb/0123456789abcdef';
    world.taggedLoadBalancers = [live, stale];
    world.liveLoadBalancers.add(live);
    const report = await run(world, '--skip-cloud-check');
    const destroy = phase(report, 'destroy');
    expect(destroy.error).toBe(`the destroy left 1 resources that cost money: load balancer ${live}`);
    expect(world.lines()).toContain('aws elb describe-load-balancers --load-balancer-names a1b2c3d4e5f6 --region eu-west-1 --output json');
    expect(world.lines()).toContain(`aws elbv2 describe-load-balancers --load-balancer-arns ${stale} --region eu-west-1 --output json`);
    expect(report.left).toContain(`load balancer ${live}`);
    expect(destroy.whatToCheck[0]).toContain('README "Destroy"');
  });

  test('fails when the state still holds resources after it', async () => {
    const world = new FakeWorld();
    world.faults.destroyLeaves = 2;
    const report = await run(world, '--skip-cloud-check');
    expect(phase(report, 'destroy').error).toBe('the destroy finished but the state still holds 2 resources (terraform -chdir=cdktf.out/stacks/kubeadm-cluster state list)');
    expect(report.left).toEqual(['what the destroy did not remove: npm run e2e -- --region eu-west-1 --example default --destroy-only']);
  });

  test('never deletes a backup bucket that is not the cluster\'s own', async () => {
    const world = new FakeWorld();
    world.bucketName = 'my-team-etcd-backups';
    const report = await run(world, '--skip-cloud-check');
    expect(phase(report, 'destroy').detail).toContain('demo: backup bucket my-team-etcd-backups is not the cluster\'s own, kept');
    expect(world.lines().some((l) => /s3api (delete-objects|delete-bucket)/.test(l))).toBe(false);
  });
});

describe('--keep and --destroy-only', () => {
  test('--keep leaves the cluster and says how to destroy it', async () => {
    const world = new FakeWorld();
    const report = await run(world, '--keep', '--skip-cloud-check');
    expect(phase(report, 'destroy')).toMatchObject({ result: 'skipped', detail: 'not run: --keep' });
    expect(world.deployed).toBe(true);
    expect(report.left).toEqual([expect.stringContaining('npm run e2e -- --region eu-west-1 --example default --destroy-only')]);
    expect(world.files.get('e2e-report.txt')).toContain('Left in the account:');
  });

  test('a run after a kept one refuses to start until it is destroyed', async () => {
    const world = new FakeWorld();
    await run(world, '--keep', '--skip-cloud-check');
    world.calls.length = 0;
    const report = await run(world);
    expect(phase(report, 'preflight').error).toBe('the state of stack kubeadm-cluster holds 180 resources (terraform -chdir=cdktf.out/stacks/kubeadm-cluster state list): an earlier deploy of it is still there');
    expect(world.lines().some((l) => /^cdktf (deploy|destroy)/.test(l))).toBe(false);
    expect(phase(report, 'destroy').detail).toBe('not run: nothing was created');
  });

  test('--destroy-only destroys what a run left, and deploys nothing', async () => {
    const world = new FakeWorld();
    await run(world, '--keep', '--skip-cloud-check');
    world.calls.length = 0;
    // A synth from scratch: the stack folder has no `terraform init`, the state file has the outputs.
    world.faults.failFirst.set('output -json', [{ exitCode: 1, stdout: '', stderr: 'Error: Backend initialization required, please run "terraform init"' }]);
    const report = await run(world, '--destroy-only');
    expect(results(report)).toMatchObject({ preflight: 'passed', deploy: 'skipped', destroy: 'passed' });
    expect(phase(report, 'destroy').detail).toContain('demo: backup bucket demo-etcd-backups-bucket-1a2b3c emptied');
    expect(world.lines().some((l) => l.startsWith('cdktf deploy'))).toBe(false);
    expect(world.deployed).toBe(false);
    expect(world.bucket).toBeUndefined();
  });
});
