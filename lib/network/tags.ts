/** Key of the tag by which Kubernetes' AWS integrations find the cluster's resources. */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}

/**
 * The tag to put on subnets of an existing VPC so that the AWS load-balancer integrations use them.
 * The library does not tag resources it does not own, so this is for the VPC's owner to apply.
 */
export function sharedClusterTag(clusterName: string): Record<string, string> {
  return { [clusterTagKey(clusterName)]: 'shared' };
}

/** Tags for a resource this library creates: its Name and the cluster's ownership tag. */
export function ownedResourceTags(clusterName: string, name: string): Record<string, string> {
  return { Name: name, [clusterTagKey(clusterName)]: 'owned' };
}

/** Tag a public subnet carries so that internet-facing load balancers are placed in it. */
export const PUBLIC_ELB_SUBNET_TAG: Readonly<Record<string, string>> = { 'kubernetes.io/role/elb': '1' };

/** Tag a private subnet carries so that internal load balancers are placed in it. */
export const INTERNAL_ELB_SUBNET_TAG: Readonly<Record<string, string>> = { 'kubernetes.io/role/internal-elb': '1' };

/**
 * Key of the tag that says which kind of node an instance is (`control-plane` or `worker`). The SSM
 * channel targets nodes by it, so nodes that boot later are reached the same way as running ones.
 */
export function nodeRoleTagKey(clusterName: string): string {
  return `cdktf-kubeadm-cluster/${clusterName}`;
}

/**
 * Key of the tag that gives a control-plane instance its place in the control plane (`0`, `1`,
 * `2`). Each node's upgrade association targets its node by it rather than by instance id, so that
 * the association (and the worker pools after it) does not wait for the instance to exist.
 */
export function controlPlaneNodeTagKey(clusterName: string): string {
  return `cdktf-kubeadm-cluster/${clusterName}/control-plane-node`;
}

/**
 * Key of the tag that hands an instance to the cluster's termination handler, which drains only
 * instances carrying it. Worker groups put it on their instances; control-plane nodes go only by
 * an operator's hand and come back from a stop still cordoned if they were drained, so they never
 * carry it.
 */
export function terminationHandlerTagKey(clusterName: string): string {
  return `cdktf-kubeadm-cluster/${clusterName}/termination-handler`;
}
