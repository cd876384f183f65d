import { aws, awsJson, ClusterState, E2eContext, isNotFound, kubectlCommand } from './context';
import { describeNodes, waitForApi, waitForNodes } from './deploy';
import { NEW_CLUSTER_REQUEST, NO_CLUSTER_GENERATION, NO_RESTORE_REQUEST, SNAPSHOT_SERVICE } from './names';
import { API_CALL, failureLine, formatDuration, runWithRetry, StepError, waitFor } from './retry';

/**
 * The README's "Restore a snapshot", run against the live cluster: a fresh snapshot, a restore
 * request naming it, and the first control-plane node's instance replaced through its group. Two
 * ConfigMaps prove what came back: one written before the snapshot must be there, one written
 * after it must not (a node that took back its own etcd volume would still have it).
 */

const BEFORE = 'e2e-restore-before-snapshot';
const AFTER = 'e2e-restore-after-snapshot';
const FAILED_INVOCATION = ['Failed', 'Cancelled', 'TimedOut', 'Undeliverable', 'Terminated', 'DeliveryTimedOut', 'ExecutionTimedOut'];

export async function restoreDrill(ctx: E2eContext): Promise<string> {
  const details: string[] = [];
  for (const cluster of ctx.state.clusters) {
    details.push(await drillOne(ctx, cluster));
  }
  return details.join('; ');
}

async function readParameter(ctx: E2eContext, name: string): Promise<string> {
  const result = await aws(ctx, ['ssm', 'get-parameter', '--name', name, '--query', 'Parameter.Value', '--output', 'text'], `reading ${name}`, 'ssm:GetParameter for these credentials');
  return result.stdout.trim();
}

async function putMarker(ctx: E2eContext, cluster: ClusterState, name: string): Promise<void> {
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'kubeadm-e2e' } }, data: { run: ctx.runId } };
  await runWithRetry(ctx, kubectlCommand(cluster, ['apply', '-f', '-'], JSON.stringify(configMap)), API_CALL, `writing configmap/${name}`, 'kubectl auth can-i create configmaps -n default');
}

async function drillOne(ctx: E2eContext, cluster: ClusterState): Promise<string> {
  const names = cluster.names;
  if (cluster.snapshotBucket === undefined) {
    throw new StepError(`${names.clusterName} has no etcd snapshot location (no <cluster>_etcd_snapshot_location output)`, 'the example must keep etcd backups on (backup is EtcdBackup.toNewBucket() by default)');
  }
  const generation = await readParameter(ctx, names.generationParameter);
  if (generation === NO_CLUSTER_GENERATION || generation === NEW_CLUSTER_REQUEST) {
    throw new StepError(`${names.generationParameter} reads "${generation}": the cluster has not named its generation`, 'the first control-plane node writes it after kubeadm init: /var/log/kubeadm-bootstrap.log');
  }
  await putMarker(ctx, cluster, BEFORE);

  // A snapshot of its own, so that the restore brings back a state the run knows.
  const prefix = `${cluster.snapshotPrefix ?? ''}${generation}/`;
  const listSnapshots = async () =>
    (await awsJson<string[] | null>(ctx, ['s3api', 'list-objects-v2', '--bucket', cluster.snapshotBucket!, '--prefix', prefix, '--query', 'Contents[].Key'], `listing s3://${cluster.snapshotBucket}/${prefix}`, 's3:ListBucket on the backup bucket')) ?? [];
  const before = new Set(await listSnapshots());
  const commandId = (
    await aws(
      ctx,
      ['ssm', 'send-command', '--document-name', 'AWS-RunShellScript', '--targets', names.controlPlaneTargets, '--parameters', JSON.stringify({ commands: [`systemctl start ${SNAPSHOT_SERVICE}`] }), '--timeout-seconds', '600', '--comment', `e2e ${ctx.runId}: etcd snapshot`, '--query', 'Command.CommandId', '--output', 'text'],
      'asking the control plane for an etcd snapshot',
      'ssm:SendCommand for these credentials, and that the control-plane nodes are managed by SSM (aws ssm describe-instance-information)',
    )
  ).stdout.trim();
  const commandCheck = `aws ssm list-command-invocations --command-id ${commandId} --details; journalctl -u kubeadm-etcd-snapshot on the control-plane nodes; no invocation at all: the control-plane nodes are not managed by SSM (aws ssm describe-instance-information)`;
  await waitFor(ctx, {
    what: `the snapshot command ${commandId} to succeed on every control-plane node`,
    timeoutMs: 15 * 60_000,
    intervalMs: 15_000,
    check: commandCheck,
    probe: async () => {
      const invocations = (await awsJson<Array<{ id: string; status: string }> | null>(ctx, ['ssm', 'list-command-invocations', '--command-id', commandId, '--query', 'CommandInvocations[].{id:InstanceId,status:Status}'], 'reading the snapshot command', commandCheck)) ?? [];
      const failed = invocations.filter((i) => FAILED_INVOCATION.includes(i.status));
      if (failed.length > 0) {
        throw new StepError(`the snapshot command failed on ${failed.map((i) => `${i.id} (${i.status})`).join(', ')}`, commandCheck);
      }
      const seen = invocations.length ? invocations.map((i) => `${i.id} ${i.status}`).join(', ') : 'no invocation yet';
      return { done: invocations.length > 0 && invocations.every((i) => i.status === 'Success'), seen };
    },
  });
  let snapshotKey = '';
  await waitFor(ctx, {
    what: `a new snapshot under s3://${cluster.snapshotBucket}/${prefix}`,
    timeoutMs: 5 * 60_000,
    intervalMs: 15_000,
    check: commandCheck,
    probe: async () => {
      const fresh = (await listSnapshots()).filter((k) => !before.has(k) && k.endsWith('.db')).sort();
      snapshotKey = fresh[fresh.length - 1] ?? '';
      return { done: snapshotKey !== '', seen: `${before.size} snapshots before, ${fresh.length} new` };
    },
  });
  const snapshot = snapshotKey.slice((cluster.snapshotPrefix ?? '').length);
  await putMarker(ctx, cluster, AFTER);

  // The request, then the first node's instance replaced: README "Restore a snapshot".
  await aws(ctx, ['ssm', 'put-parameter', '--name', names.restoreRequestParameter, '--type', 'String', '--overwrite', '--value', snapshot], 'requesting the restore', 'ssm:PutParameter for these credentials');
  const groupInstances = async () =>
    (await awsJson<Array<{ id: string; state: string }> | null>(
      ctx,
      ['autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', names.firstControlPlaneGroup, '--query', 'AutoScalingGroups[0].Instances[].{id:InstanceId,state:LifecycleState}'],
      `reading group ${names.firstControlPlaneGroup}`,
      'autoscaling:DescribeAutoScalingGroups for these credentials',
    )) ?? [];
  const old = (await groupInstances())[0]?.id;
  if (old === undefined) {
    throw new StepError(
      `group ${names.firstControlPlaneGroup} has no instance: the drill replaces the first control-plane node through its group`,
      'a control plane of ControlPlaneNodes.instances() has no group: follow README "Recovering the control plane" by hand',
    );
  }
  await aws(ctx, ['autoscaling', 'terminate-instance-in-auto-scaling-group', '--instance-id', old, '--no-should-decrement-desired-capacity'], `replacing ${old}`, 'autoscaling:TerminateInstanceInAutoScalingGroup for these credentials');
  const replacedAt = ctx.clock.now();
  let replacement = '';
  await waitFor(ctx, {
    what: `a new instance in ${names.firstControlPlaneGroup} in place of ${old}`,
    timeoutMs: 15 * 60_000,
    intervalMs: 20_000,
    check: `aws autoscaling describe-scaling-activities --auto-scaling-group-name ${names.firstControlPlaneGroup}`,
    probe: async () => {
      const instances = await groupInstances();
      replacement = instances.find((i) => i.id !== old && i.state === 'InService')?.id ?? '';
      return { done: replacement !== '', seen: instances.map((i) => `${i.id} ${i.state}`).join(', ') || 'no instance' };
    },
  });
  const bootCheck = `aws ec2 get-console-output --region ${ctx.options.region} --instance-id ${replacement} --latest; /var/log/kubeadm-bootstrap.log on it (aws ssm start-session --target ${replacement})`;
  await waitFor(ctx, {
    what: `${replacement} to restore ${snapshot} and run kubeadm init (${names.restoreRequestParameter} back to ${NO_RESTORE_REQUEST})`,
    // One boot at every step's bound: README "Boot budgets".
    timeoutMs: 60 * 60_000,
    intervalMs: 30_000,
    check: bootCheck,
    probe: async () => {
      const request = await readParameter(ctx, names.restoreRequestParameter);
      return { done: request === NO_RESTORE_REQUEST, seen: `request reads ${request}` };
    },
  });
  await waitForApi(ctx, cluster, 15 * 60_000, bootCheck);
  const back = ctx.clock.now() - replacedAt;
  const nodes = await waitForNodes(ctx, cluster, {
    what: `the nodes of ${cluster.names.clusterName} to be Ready again (at least ${cluster.requiredNodes ?? 0})`,
    timeoutMs: 20 * 60_000,
    check: 'kubectl get nodes -o wide; journalctl -u kubelet on a node that is not Ready',
    accept: (s) => s.ready >= (cluster.requiredNodes ?? 0),
  });

  const kept = await ctx.runner.run(kubectlCommand(cluster, ['-n', 'default', 'get', 'configmap', BEFORE, '-o', 'jsonpath={.data.run}']));
  if (kept.exitCode !== 0 || kept.stdout.trim() !== ctx.runId) {
    throw new StepError(`configmap/${BEFORE}, written before the snapshot, did not come back (${kept.exitCode === 0 ? `run=${kept.stdout.trim()}` : failureLine(kept)})`, `${bootCheck}: which snapshot it restored`);
  }
  const after = await ctx.runner.run(kubectlCommand(cluster, ['-n', 'default', 'get', 'configmap', AFTER]));
  if (!isNotFound(after)) {
    throw new StepError(
      `configmap/${AFTER}, written after the snapshot, is still there (${after.exitCode === 0 ? 'found' : failureLine(after)}): the node did not restore ${snapshot}`,
      `${bootCheck}: a node that takes back its etcd volume keeps later writes; the restore runs only while ${names.restoreRequestParameter} names a snapshot`,
    );
  }
  return `${names.clusterName}: ${snapshot} restored onto ${replacement} (was ${old}), API back ${formatDuration(back)} after the replacement; the object before the snapshot is back, the one after it gone; ${describeNodes(nodes)}`;
}
