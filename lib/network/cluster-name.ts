import { ProblemList } from '../plan/problems';

/**
 * Longest cluster name accepted. Names go into IAM role and instance-profile names (at most 64
 * characters) with a suffix such as `-control-plane`, so the name keeps well clear of that limit.
 */
export const MAX_CLUSTER_NAME_LENGTH = 40;

// Lower-case DNS label: valid in every AWS name and tag the layer writes, and as kubeadm's clusterName.
const CLUSTER_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Adds a problem to `problems` when `name` cannot name the cluster's AWS resources. */
export function checkClusterName(problems: ProblemList, name: string, property = 'clusterName'): void {
  if (typeof name !== 'string' || !CLUSTER_NAME.test(name)) {
    problems.add(property, name, 'is not a lower-case DNS label', 'use lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen, for example "demo-cluster"');
  } else if (name.length > MAX_CLUSTER_NAME_LENGTH) {
    problems.add(property, name, `is ${name.length} characters long; IAM names built from it would pass AWS's 64-character limit`, `use at most ${MAX_CLUSTER_NAME_LENGTH} characters`);
  }
}
