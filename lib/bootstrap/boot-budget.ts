import { APT_RETRIES } from './node-program';
import { BOOT_RETRIES, CONTROL_PLANE_PKI_FILES, INIT_ATTEMPTS, VOLUME_ATTACH } from './bootstrap-program';

/**
 * How long each step of a node's first boot may take before it gives up, from the same numbers the
 * node programs run with, so that the deploy's waits cover the bootstrap's: the readiness wait
 * covers the first control-plane node's way to a serving API, and a worker group's launch hook
 * covers a worker's way to a Ready node. Where a step's own time is not ours to bound (apt's
 * downloads, kubeadm's waits), the row says what it assumes.
 */
export interface BudgetStep {
  /** What the node does. */
  readonly step: string;
  /** The most this step takes in one run of the bootstrap before it succeeds or gives up, in seconds. */
  readonly boundSeconds: number;
  /** Where the bound comes from. */
  readonly reckoning: string;
  /** What the log line says to check when it gives up. */
  readonly onGiveUp: string;
}

/** What the bootstrap assumes of steps whose time is not its own to bound. */
export const BOOT_ASSUMPTIONS = {
  /** From the instance's start to the bootstrap's start: the kernel, systemd and cloud-init writing user-data's files. */
  bootSeconds: 90,
  /** One `apt-get update` of Ubuntu's and the added repositories, once it holds the lock. */
  aptUpdateSeconds: 45,
  /** The one install transaction (containerd, kubelet, kubeadm, kubectl, cri-tools, boto3: about 150 MB). */
  aptInstallSeconds: 180,
  /**
   * One `kubeadm init` that fails: kubeadm waits up to 4 minutes for the kubelet and 4 for the
   * control-plane components (its v1beta4 `timeouts` defaults).
   */
  kubeadmInitSeconds: 8 * 60,
  /** The pause after a failed init and its reset, before the next attempt. */
  initRetryPauseSeconds: 30,
} as const;

/** Worst case of `ATTEMPTS` tries each bounded by `each`, with `delay` between them. */
function retried(attempts: number, each: number, delay: number): number {
  return attempts * each + (attempts - 1) * delay;
}

// curl's own retries wait 1, 2, 4, ... seconds between attempts.
const DOWNLOAD_SECONDS = (BOOT_RETRIES.downloadRetries + 1) * BOOT_RETRIES.downloadMaxSeconds + (2 ** BOOT_RETRIES.downloadRetries - 1);
// Each metadata read is two curl calls of at most 5 s.
const IMDS_READ_SECONDS = retried(BOOT_RETRIES.imdsAttempts, 10, 2);
const PARAMETER_READ_SECONDS = retried(BOOT_RETRIES.fetchAttempts, BOOT_RETRIES.awsCallTimeoutSeconds, BOOT_RETRIES.fetchDelaySeconds);

/**
 * The first control-plane node's steps from its instance's start to a serving API server, each at
 * its bound.
 * @param repositoryKeys how many package repositories' keys it downloads (2 with Docker's containerd.io)
 */
export function controlPlaneBootBudget(repositoryKeys: number): BudgetStep[] {
  const apt = (assumed: number) => retried(APT_RETRIES.attempts, APT_RETRIES.lockTimeoutSeconds + assumed, APT_RETRIES.delaySeconds);
  const a = BOOT_ASSUMPTIONS;
  return [
    { step: 'instance start to bootstrap start', boundSeconds: a.bootSeconds, reckoning: `assumed ${a.bootSeconds} s (typically under 60)`, onGiveUp: 'the console output (aws ec2 get-console-output)' },
    {
      step: 'package repositories\' keys',
      boundSeconds: repositoryKeys * DOWNLOAD_SECONDS,
      reckoning: `${repositoryKeys} x curl: ${BOOT_RETRIES.downloadRetries + 1} tries of at most ${BOOT_RETRIES.downloadMaxSeconds} s`,
      onGiveUp: "the node's route to the internet",
    },
    {
      step: 'apt-get update',
      boundSeconds: apt(a.aptUpdateSeconds),
      reckoning: `${APT_RETRIES.attempts} tries, each waiting up to ${APT_RETRIES.lockTimeoutSeconds} s for apt's lock, ${a.aptUpdateSeconds} s assumed for the update`,
      onGiveUp: 'the route to the repositories, /var/log/apt/term.log',
    },
    {
      step: 'apt-get install (one transaction)',
      boundSeconds: apt(a.aptInstallSeconds),
      reckoning: `${APT_RETRIES.attempts} tries, each waiting up to ${APT_RETRIES.lockTimeoutSeconds} s for the lock, ${a.aptInstallSeconds} s assumed for the downloads`,
      onGiveUp: 'the route to the repositories, /var/log/apt/term.log',
    },
    {
      step: 'provider ID from instance metadata',
      boundSeconds: 2 * IMDS_READ_SECONDS,
      reckoning: `2 reads x ${BOOT_RETRIES.imdsAttempts} tries of at most 10 s`,
      onGiveUp: 'the instance metadata options (IMDSv2 enabled)',
    },
    {
      step: 'PKI and encryption configuration from Parameter Store',
      boundSeconds: CONTROL_PLANE_PKI_FILES.length + PARAMETER_READ_SECONDS,
      reckoning: `${CONTROL_PLANE_PKI_FILES.length + 1} reads; one at its worst: ${BOOT_RETRIES.fetchAttempts} tries of at most ${BOOT_RETRIES.awsCallTimeoutSeconds} s, ${BOOT_RETRIES.fetchDelaySeconds} s apart`,
      onGiveUp: "the parameters, and the node role's right to read and decrypt them",
    },
    {
      step: 'recovery library from the SSM channel',
      boundSeconds: PARAMETER_READ_SECONDS,
      reckoning: `the document read: ${BOOT_RETRIES.fetchAttempts} tries of at most ${BOOT_RETRIES.awsCallTimeoutSeconds} s, ${BOOT_RETRIES.fetchDelaySeconds} s apart`,
      onGiveUp: "the channel's document, and the node role's right to read it (ssm:GetDocument)",
    },
    {
      step: 'etcd volume attached and mounted',
      // A first deploy's volume is free at once: one call and the device's arrival. A replacement
      // waits longer for the old instance to let go, but no deploy waits for a replacement.
      boundSeconds: BOOT_RETRIES.awsCallTimeoutSeconds + VOLUME_ATTACH.delaySeconds,
      reckoning: `1 attach of at most ${BOOT_RETRIES.awsCallTimeoutSeconds} s, ${VOLUME_ATTACH.delaySeconds} s for the device (a replacement retries ${VOLUME_ATTACH.attempts} times)`,
      onGiveUp: 'the volume\'s zone and attachment (aws ec2 describe-volumes)',
    },
    {
      step: 'cluster generation from Parameter Store',
      boundSeconds: PARAMETER_READ_SECONDS,
      reckoning: `1 read: ${BOOT_RETRIES.fetchAttempts} tries of at most ${BOOT_RETRIES.awsCallTimeoutSeconds} s, ${BOOT_RETRIES.fetchDelaySeconds} s apart`,
      onGiveUp: "the parameter, and the node role's right to read it",
    },
    {
      step: 'kubeadm init',
      boundSeconds: INIT_ATTEMPTS * a.kubeadmInitSeconds + (INIT_ATTEMPTS - 1) * a.initRetryPauseSeconds,
      reckoning: `${INIT_ATTEMPTS} tries of kubeadm's own waits (${a.kubeadmInitSeconds / 60} min), ${a.initRetryPauseSeconds} s apart`,
      onGiveUp: 'journalctl -u kubelet, crictl ps -a',
    },
  ];
}

/** The sum of the steps' bounds, in whole minutes, rounded up. */
export function budgetMinutes(steps: readonly BudgetStep[]): number {
  return Math.ceil(steps.reduce((sum, s) => sum + s.boundSeconds, 0) / 60);
}

/**
 * The deploy's readiness wait by default: the first control-plane node's way to a serving API at
 * every step's bound (Docker's repository included), rounded up to 5 minutes.
 */
export const DEFAULT_READINESS_TIMEOUT_MINUTES = Math.ceil(budgetMinutes(controlPlaneBootBudget(2)) / 5) * 5;

/** The budget as a table for the README: step, bound, reckoning, what to check. */
export function renderBootBudget(steps: readonly BudgetStep[]): string {
  const rows = steps.map((s) => [s.step, `${Math.round(s.boundSeconds)} s`, s.reckoning, s.onGiveUp]);
  rows.push(['total (the readiness wait covers it)', `${budgetMinutes(steps)} min`, `default readinessTimeoutMinutes: ${DEFAULT_READINESS_TIMEOUT_MINUTES}`, '']);
  const header = ['step', 'at most', 'from', 'on giving up, check'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
