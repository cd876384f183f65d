import { formatDuration } from './retry';

/** The phases of a run, in order. */
export const PHASES = ['preflight', 'deploy', 'connectivity-check', 'cloud-check', 'upgrade', 'restore-drill', 'destroy'] as const;
export type PhaseName = (typeof PHASES)[number];

export type PhaseResult = 'passed' | 'failed' | 'skipped';

export interface PhaseRecord {
  readonly name: PhaseName;
  readonly result: PhaseResult;
  /** ISO time the phase started; absent for a skipped phase. */
  readonly startedAt?: string;
  readonly seconds: number;
  /** What the phase saw or did, in a line. */
  readonly detail: string;
  /** Why it failed. */
  readonly error?: string;
  /** Where to look: the failure's own pointer first, then the phase's usual suspects. */
  readonly whatToCheck: readonly string[];
}

export interface E2eReport {
  readonly kind: 'cdktf-kubeadm-cluster/e2e-report';
  readonly version: 1;
  readonly result: 'passed' | 'failed';
  readonly example: string;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly upgradeTo?: string;
  readonly account?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  /** The deploy-path estimate the synth printed, to compare the deploy's wall time with. */
  readonly estimate?: string;
  readonly phases: readonly PhaseRecord[];
  /** What the run leaves in the account, and how to remove it. */
  readonly left: readonly string[];
}

/** Where to look when a phase fails, beyond what its own error names. */
export const WHAT_TO_CHECK: Readonly<Record<PhaseName, readonly string[]>> = {
  preflight: [
    'aws sts get-caller-identity (credentials: AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    'the tools on the PATH: cdktf (npm ci), terraform >= 1.6 or tofu, aws, kubectl within one minor of the cluster',
  ],
  deploy: [
    'the deploy output above: the resource that failed and its error',
    'kubectl -n kubeadm-connectivity-check logs job/pod-network-check (a failed connectivity check)',
    'aws ec2 get-console-output --instance-id <control-plane instance> and /var/log/kubeadm-bootstrap.log (aws ssm start-session --target <instance>)',
    'apiAccessCidrs must admit this machine: the readiness wait talks to the API from here',
  ],
  'connectivity-check': [
    'kubectl -n kubeadm-connectivity-check get jobs,pods -o wide',
    'kubectl get nodes -o wide (every node Ready, no node.cloudprovider.kubernetes.io/uninitialized taint)',
  ],
  'cloud-check': [
    'kubectl -n kubeadm-connectivity-check logs job/cloud-check',
    'kubectl -n kube-system logs deployment/aws-cloud-controller-manager (the load balancer) and the ebs-csi-controller pods (the volume)',
    'a Service nginx-lb or claim volume-check left in kubeadm-connectivity-check holds a load balancer or volume: delete them with kubectl',
  ],
  upgrade: [
    'aws ssm describe-association-executions --association-id <the <cluster>-kubernetes-upgrade-<n> association> and /var/log/kubeadm-upgrade.log on that node',
    'aws autoscaling describe-instance-refreshes --auto-scaling-group-name <cluster>-<pool> (the workers roll after the control plane)',
    'kubectl get nodes -o wide (KUBELET VERSION of every node)',
  ],
  'restore-drill': [
    'aws ec2 get-console-output --instance-id <the new control-plane-0 instance> and /var/log/kubeadm-bootstrap.log on it (the restore step)',
    'journalctl -u kubeadm-etcd-snapshot on the control-plane nodes (the snapshot)',
    'aws ssm get-parameter --name /kubeadm/<cluster>/etcd-restore (back to none once kubeadm init succeeded)',
  ],
  destroy: [
    'the destroy output above; /aws/lambda/<cluster>-cleanup in CloudWatch Logs (what Kubernetes made in AWS)',
    'README "Destroy": the cleanup by hand, then npm run e2e -- --region <region> --example <example> --destroy-only',
    'README "Destroying a cluster whose API is gone" when the destroy cannot reach the API',
  ],
};

/** The report as a table a person reads, with what to check under each failed phase. */
export function renderReport(report: E2eReport): string {
  const rows = report.phases.map((p) => [p.name, p.result, p.result === 'skipped' ? '-' : formatDuration(p.seconds * 1000), p.detail]);
  const header = ['phase', 'result', 'wall time', 'detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [
    `End-to-end run of example "${report.example}" in ${report.region}: ${report.result.toUpperCase()} in ${formatDuration(report.seconds * 1000)}`,
    `Kubernetes ${report.kubernetesVersion}${report.upgradeTo ? ` -> ${report.upgradeTo}` : ''}; started ${report.startedAt}${report.estimate ? `; synth estimate of the deploy: ${report.estimate}` : ''}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  for (const phase of report.phases.filter((p) => p.result === 'failed')) {
    out.push('', `${phase.name} failed: ${phase.error ?? 'no message'}`, 'What to check:', ...phase.whatToCheck.map((c) => `  - ${c}`));
  }
  if (report.left.length > 0) {
    out.push('', 'Left in the account:', ...report.left.map((l) => `  - ${l}`));
  }
  return `${out.join('\n')}\n`;
}
