import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import { AssetType, ITerraformDependable, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { ownedResourceTags } from '../../network/tags';
import { bindings } from '../../util/bindings';
import { zipStored } from '../../util/zip';
import { cleanupPolicy } from './cleanup-policy';

export interface DestroyCleanupProps {
  readonly clusterName: string;
  /** The region (may be a Terraform token), for the role's name. */
  readonly region: string;
  readonly vpcId: string;
  /** The cluster's own security groups: never deleted; rules in them that reference the CCM's groups are revoked. */
  readonly securityGroups: ReadonlyArray<{ readonly id: string; readonly arn: string }>;
  /**
   * What must still exist when the cleanup runs on destroy (the VPC's subnets and routing): the
   * invocation depends on them, so Terraform deletes them after it.
   */
  readonly dependsOn: readonly ITerraformDependable[];
  /**
   * Also delete the snapshots the EBS CSI driver made for the cluster's VolumeSnapshots (tagged
   * `ebs.csi.aws.com/cluster=true` and `kubernetes.io/cluster/<cluster>=owned`). They hold data and
   * block nothing, so by default they outlive the cluster, and the cleanup's log lists them. The
   * choice travels in the invocation's input, which Terraform reads from state on destroy: turn
   * it on, deploy, then destroy.
   * @default false
   */
  readonly removeSnapshots?: boolean;
}

/** The function's timeout: Lambda's longest. cleanup.py's waits end a minute before it. */
export const CLEANUP_TIMEOUT_SECONDS = 900;

/** The function's code, beside this file in the sources and in the compiled library. */
export function cleanupSource(): Buffer {
  return readFileSync(join(__dirname, 'cleanup.py'));
}

/** The function's deployment package: the same bytes for the same code. */
export function cleanupPackage(): Buffer {
  return zipStored([{ name: 'cleanup.py', data: cleanupSource() }]);
}

// Written once per content to a folder named after its hash, from which the asset copies it.
function writePackage(bytes: Buffer, hash: string): string {
  const dir = join(tmpdir(), 'cdktf-kubeadm-cluster-cleanup', hash);
  const file = join(dir, 'cleanup.zip');
  if (!existsSync(file)) {
    // Written beside and renamed, so that a synth running in parallel never copies half a file.
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, bytes);
    renameSync(partial, file);
  }
  return file;
}

/**
 * A Lambda function that removes what Kubernetes made in AWS for the cluster (load balancers,
 * their target groups and security groups, volumes of claims that outlived it, and with
 * `removeSnapshots` the EBS driver's snapshots), invoked by Terraform when the stack is destroyed:
 * after the nodes (which depend on the invocation) are gone, and before the VPC, subnets and
 * security groups (on which it depends). It waits for the cluster's last instances to be
 * terminated first, and fails the destroy, naming what is left, when they are not or when
 * something cannot be removed.
 */
export class DestroyCleanup extends Construct {
  /** Nodes depend on this, so that on destroy they are gone before it runs. */
  public readonly invocation: LambdaInvocation;
  public readonly functionName: string;

  constructor(scope: Construct, id: string, props: DestroyCleanupProps) {
    super(scope, id);
    const { CloudwatchLogGroup, LambdaFunction, LambdaInvocation } = bindings;
    const tags = ownedResourceTags(props.clusterName, `${props.clusterName}-cleanup`);
    this.functionName = `${props.clusterName}-cleanup`;
    const logGroup = new CloudwatchLogGroup(this, 'log-group', { name: `/aws/lambda/${this.functionName}`, retentionInDays: 30, tags });
    const role = new IamRole(this, 'role', {
      name: `${props.clusterName}-cleanup-${props.region}`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags,
    });
    const policy = new IamRolePolicy(this, 'policy', {
      role: role.name,
      name: 'destroy-cleanup',
      policy: JSON.stringify(cleanupPolicy({ clusterName: props.clusterName, securityGroupArns: props.securityGroups.map((g) => g.arn), logGroupArn: logGroup.arn, removeSnapshots: props.removeSnapshots ?? false })),
    });

    const bytes = cleanupPackage();
    const digest = createHash('sha256').update(bytes).digest();
    const asset = new TerraformAsset(this, 'package', { path: writePackage(bytes, digest.toString('hex')), type: AssetType.FILE, assetHash: digest.toString('hex').slice(0, 16) });
    const fn = new LambdaFunction(this, 'function', {
      functionName: this.functionName,
      description: `Removes the load balancers, security groups and volumes Kubernetes made for ${props.clusterName} when the stack is destroyed`,
      role: role.arn,
      runtime: 'python3.12',
      handler: 'cleanup.handler',
      filename: asset.path,
      sourceCodeHash: digest.toString('base64'),
      // Waiting for the last instances and for load balancers' network interfaces takes minutes;
      // Lambda allows 15.
      timeout: CLEANUP_TIMEOUT_SECONDS,
      memorySize: 128,
      tags,
      dependsOn: [logGroup, policy],
    });
    this.invocation = new LambdaInvocation(this, 'invocation', {
      functionName: fn.functionName,
      // CRUD: invoked on create and update too (the function returns at once), and on delete with
      // `tf.action = "delete"` and the input held in state.
      lifecycleScope: 'CRUD',
      input: JSON.stringify({
        clusterName: props.clusterName,
        vpcId: props.vpcId,
        securityGroupIds: props.securityGroups.map((g) => g.id),
        // Only when asked, so that the input (and so the state) of clusters that keep their snapshots stays as it was.
        ...(props.removeSnapshots === true ? { removeSnapshots: true } : {}),
      }),
      dependsOn: [policy, ...props.dependsOn],
    });
  }
}
