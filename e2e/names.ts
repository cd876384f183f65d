import { LOAD_BALANCER_SERVICE_NAME, VOLUME_CLAIM_NAME } from '../lib/kubernetes/cloud-check-objects';
import { NEW_CLUSTER_REQUEST } from '../lib/bootstrap/cluster-generation';
import { clusterTagKey, nodeRoleTagKey } from '../lib/network/tags';
import { controlPlaneGroupName } from '../lib/nodes/control-plane-nodes';

/**
 * The names the runner looks for in a deployed cluster, as the library gives them.
 * test/e2e-names.test.ts holds each to the synthesised default example, so a rename in the library
 * fails there, not on somebody's AWS account.
 */

/** Where the connectivity check's objects live, and its Jobs. */
export const CHECK_NAMESPACE = 'kubeadm-connectivity-check';
export const CONNECTIVITY_JOB = 'pod-network-check';
export const CLOUD_CHECK_JOB = 'cloud-check';
/** The connectivity check's count of nodes that must be Ready, in its Job's environment. */
export const EXPECTED_NODES_ENV = 'EXPECTED_NODES';
export { LOAD_BALANCER_SERVICE_NAME, VOLUME_CLAIM_NAME };

/** Parameter values Terraform creates and nodes write. */
export const NO_RESTORE_REQUEST = 'none';
export const NO_CLUSTER_GENERATION = 'none';
export { NEW_CLUSTER_REQUEST };

/** The systemd unit that takes an etcd snapshot on the leading control-plane node. */
export const SNAPSHOT_SERVICE = 'kubeadm-etcd-snapshot.service';

/** The names of one cluster's parts, from its name and its `<cluster>_parameter_path` output. */
export interface ClusterNames {
  readonly clusterName: string;
  readonly parameterPath: string;
  readonly generationParameter: string;
  readonly restoreRequestParameter: string;
  readonly versionParameter: string;
  /** The first control-plane node's auto scaling group (a self-healing node). */
  readonly firstControlPlaneGroup: string;
  /** `Key=tag:...,Values=control-plane`, the SSM channel's target of the control plane. */
  readonly controlPlaneTargets: string;
  /** The tag key of everything the cluster owns in AWS. */
  readonly ownedTagKey: string;
}

export function clusterNames(clusterName: string, parameterPath: string): ClusterNames {
  return {
    clusterName,
    parameterPath,
    generationParameter: `${parameterPath}/cluster-generation`,
    restoreRequestParameter: `${parameterPath}/etcd-restore`,
    versionParameter: `${parameterPath}/kubernetes-version`,
    firstControlPlaneGroup: controlPlaneGroupName(clusterName, 0),
    controlPlaneTargets: `Key=tag:${nodeRoleTagKey(clusterName)},Values=control-plane`,
    ownedTagKey: clusterTagKey(clusterName),
  };
}
