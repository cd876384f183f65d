import { aws, awsJson, ClusterState, E2eContext, isNotFound, stackDir, stateResources } from './context';
import { cdktfCommand, readOutputs, runCdktf } from './deploy';
import { failureLine, formatDuration, StepError } from './retry';

/**
 * `cdktf destroy`, tried again when it fails (a destroy is safe to repeat, and its failures are
 * mostly AWS still letting go of something: an interface, a group), then what `destroy` keeps on
 * purpose: the etcd backup bucket this run's cluster made, emptied and deleted. Last, a look for
 * what costs money and still carries the cluster's tag.
 */

const DESTROY_TIMEOUT_MS = 90 * 60_000;

export async function destroy(ctx: E2eContext): Promise<string> {
  const started = ctx.clock.now();
  if (ctx.state.clusters.some((c) => c.snapshotBucket === undefined)) {
    // A deploy that failed early never read its outputs; the state may still name the bucket.
    await readOutputs(ctx).catch((e: Error) => ctx.log(`  no outputs to read before the destroy (${e.message})`));
  }
  await runCdktf(ctx, cdktfCommand(ctx, 'destroy', DESTROY_TIMEOUT_MS), { attempts: 3, delayMs: 120_000, retryable: () => true }, 'cdktf destroy');
  const remaining = await stateResources(ctx);
  if (remaining.count > 0) {
    throw new StepError(`the destroy finished but the state still holds ${remaining.count} resources (${remaining.where})`, `${ctx.state.terraform} -chdir=${stackDir(ctx)} state list`);
  }
  const done: string[] = [`destroyed in ${formatDuration(ctx.clock.now() - started)}`];
  for (const cluster of ctx.state.clusters) {
    done.push(await removeBackupBucket(ctx, cluster));
  }
  const left: string[] = [];
  for (const cluster of ctx.state.clusters) {
    left.push(...(await costlyLeftovers(ctx, cluster)));
  }
  if (left.length > 0) {
    ctx.state.left.push(...left);
    throw new StepError(`the destroy left ${left.length} resources that cost money: ${left.join(', ')}`, 'README "Destroy": the cleanup Lambda by hand, or delete them in the console');
  }
  return done.join('; ');
}

/**
 * The bucket `EtcdBackup.toNewBucket()` keeps after a destroy: CloudFormation names it
 * `<cluster>-etcd-backups-bucket-<random>`. Only a bucket of that name, from this stack's outputs,
 * is removed; a bucket of yours (`EtcdBackup.toBucket()`) is never touched.
 */
async function removeBackupBucket(ctx: E2eContext, cluster: ClusterState): Promise<string> {
  const bucket = cluster.snapshotBucket;
  const name = cluster.names.clusterName;
  if (bucket === undefined) {
    ctx.state.left.push(`possibly an etcd backup bucket of ${name}: aws s3api list-buckets --query "Buckets[?starts_with(Name, '${name}-etcd-backups-')].Name" (README "The bucket" empties and deletes one)`);
    return `${name}: no backup bucket known`;
  }
  if (!bucket.startsWith(`${name}-etcd-backups-`)) {
    return `${name}: backup bucket ${bucket} is not the cluster's own, kept`;
  }
  type Version = { Key: string; VersionId: string };
  /** The bucket's versions or delete markers; undefined once the bucket is gone. */
  const list = async (kind: string): Promise<Version[] | undefined> => {
    try {
      return (await awsJson<Version[] | null>(ctx, ['s3api', 'list-object-versions', '--bucket', bucket, '--max-items', '1000', '--query', `${kind}[].{Key: Key, VersionId: VersionId}`], `listing ${bucket}`, 's3:ListBucketVersions on the bucket')) ?? [];
    } catch (e) {
      if (e instanceof StepError && e.result && isNotFound(e.result)) {
        return undefined;
      }
      throw e;
    }
  };
  let deleted = 0;
  // A version or delete marker per snapshot: a run makes few, a round takes 1000.
  for (let round = 0; round < 20; round++) {
    const versions = await list('Versions');
    const markers = await list('DeleteMarkers');
    if (versions === undefined || markers === undefined) {
      return `${name}: backup bucket ${bucket} ${deleted > 0 ? `emptied (${deleted} versions) and` : 'already'} gone`;
    }
    const objects = [...versions, ...markers];
    if (objects.length === 0) {
      await aws(ctx, ['s3api', 'delete-bucket', '--bucket', bucket], `deleting bucket ${bucket}`, 's3:DeleteBucket on the bucket');
      return `${name}: backup bucket ${bucket} emptied (${deleted} versions) and deleted`;
    }
    await aws(ctx, ['s3api', 'delete-objects', '--bucket', bucket, '--delete', JSON.stringify({ Objects: objects, Quiet: true })], `emptying bucket ${bucket}`, 's3:DeleteObjectVersion on the bucket');
    deleted += objects.length;
  }
  ctx.state.left.push(`etcd backup bucket ${bucket}, not empty after 20 rounds: README "The bucket"`);
  return `${name}: backup bucket ${bucket} could not be emptied`;
}

/** What bills by the hour and still carries the cluster's ownership tag. */
async function costlyLeftovers(ctx: E2eContext, cluster: ClusterState): Promise<string[]> {
  const tag = `Name=tag:${cluster.names.ownedTagKey},Values=owned`;
  const looks: Array<[string, string[]]> = [
    ['instance', ['ec2', 'describe-instances', '--filters', tag, 'Name=instance-state-name,Values=pending,running,stopping,stopped', '--query', 'Reservations[].Instances[].InstanceId']],
    ['volume', ['ec2', 'describe-volumes', '--filters', tag, 'Name=status,Values=creating,available,in-use,error', '--query', 'Volumes[].VolumeId']],
    ['NAT gateway', ['ec2', 'describe-nat-gateways', '--filter', tag, 'Name=state,Values=pending,available', '--query', 'NatGateways[].NatGatewayId']],
    ['Elastic IP', ['ec2', 'describe-addresses', '--filters', tag, '--query', 'Addresses[].AllocationId']],
    [
      'load balancer',
      ['resourcegroupstaggingapi', 'get-resources', '--resource-type-filters', 'elasticloadbalancing:loadbalancer', '--tag-filters', `Key=${cluster.names.ownedTagKey},Values=owned`, '--query', 'ResourceTagMappingList[].ResourceARN'],
    ],
  ];
  const left: string[] = [];
  for (const [kind, args] of looks) {
    try {
      const ids = (await awsJson<string[] | null>(ctx, args, `looking for ${kind}s of ${cluster.names.clusterName}`, 'the describe permissions of these credentials')) ?? [];
      for (const id of ids) {
        if (kind !== 'load balancer' || (await loadBalancerExists(ctx, id))) {
          left.push(`${kind} ${id}`);
        }
      }
    } catch (e) {
      const result = (e as StepError).result;
      ctx.state.left.push(`unknown: could not look for ${kind}s tagged ${cluster.names.ownedTagKey} (${result ? failureLine(result) : (e as Error).message})`);
    }
  }
  return left;
}

/** The tagging API lists a deleted load balancer for a while; its own API says whether it is there. */
async function loadBalancerExists(ctx: E2eContext, arn: string): Promise<boolean> {
  const v2 = /:loadbalancer\/(?:app|net|gwy)\//.test(arn);
  const args = v2 ? ['elbv2', 'describe-load-balancers', '--load-balancer-arns', arn] : ['elb', 'describe-load-balancers', '--load-balancer-names', arn.split('/').pop()!];
  try {
    await aws(ctx, args, `looking at load balancer ${arn}`, 'the describe permissions of these credentials');
    return true;
  } catch (e) {
    if (e instanceof StepError && e.result && isNotFound(e.result)) {
      return false;
    }
    throw e;
  }
}
