import { KubernetesVersion } from '../bootstrap/kubernetes-version';

/**
 * The version-skew rules a Kubernetes upgrade of this library keeps, as data: kubeadm upgrades the
 * control plane one minor at a time and never downgrades a minor.
 */
export const UPGRADE_SKEW_RULES = {
  /** How many minors one upgrade may move the control plane forward. */
  minorsPerUpgrade: 1,
} as const;

/**
 * The control-plane versions (`1.MINOR`) a cluster may run for `target` to be deployed: the target's
 * own minor (a patch release, or nothing to do) and the minors that are at most
 * `minorsPerUpgrade` behind it.
 */
export function allowedRecordedMinors(target: KubernetesVersion, rules = UPGRADE_SKEW_RULES): string[] {
  const minors: string[] = [];
  for (let minor = target.minor - rules.minorsPerUpgrade; minor <= target.minor; minor++) {
    minors.push(`${target.major}.${minor}`);
  }
  return minors;
}

/** Matches the `1.MINOR` prefix of a recorded version in a Terraform `regex()`. */
export const RECORDED_MINOR_PATTERN = '^1[.][0-9]+';
