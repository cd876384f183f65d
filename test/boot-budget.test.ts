import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { KubeadmCluster, KubeadmClusterProps } from '../lib';
import { readinessBelowBudgetWarning } from '../lib/kubernetes/cluster-access';
import { BOOT_ASSUMPTIONS, budgetMinutes, controlPlaneBootBudget, DEFAULT_READINESS_TIMEOUT_MINUTES, renderBootBudget } from '../lib/bootstrap/boot-budget';
import { BOOT_RETRIES, INIT_ATTEMPTS } from '../lib/bootstrap/bootstrap-program';
import { READINESS_ENV } from '../lib/kubernetes/readiness-program';
import { LAUNCH_HEARTBEAT_SECONDS } from '../lib/nodes/lifecycle-hooks';
import { APT_RETRIES } from '../lib/bootstrap/node-program';
import { EXAMPLES } from '../examples/synth';
import { synthesisedExample } from './support/example-synth';

// The bootstrap's waits add up, and the deploy's waits cover them: the readiness wait covers the
// first control-plane node's way to a serving API at every step's bound, and a worker's launch hook
// covers that plus the network plugin's rollout.

describe('boot budgets', () => {
  const steps = controlPlaneBootBudget(2);

  test('each bound is the programs\' own retries: attempts times each try, plus the pauses between', () => {
    const byStep = new Map(steps.map((s) => [s.step, s.boundSeconds]));
    expect(byStep.get('apt-get install (one transaction)')).toBe(APT_RETRIES.attempts * (APT_RETRIES.lockTimeoutSeconds + BOOT_ASSUMPTIONS.aptInstallSeconds) + (APT_RETRIES.attempts - 1) * APT_RETRIES.delaySeconds);
    expect(byStep.get('kubeadm init')).toBe(INIT_ATTEMPTS * BOOT_ASSUMPTIONS.kubeadmInitSeconds + (INIT_ATTEMPTS - 1) * BOOT_ASSUMPTIONS.initRetryPauseSeconds);
    expect(byStep.get('PKI and encryption configuration from Parameter Store')).toBe(8 + BOOT_RETRIES.fetchAttempts * BOOT_RETRIES.awsCallTimeoutSeconds + (BOOT_RETRIES.fetchAttempts - 1) * BOOT_RETRIES.fetchDelaySeconds);
    // Docker's repository adds a second key to download.
    expect(budgetMinutes(controlPlaneBootBudget(1))).toBeLessThan(budgetMinutes(steps));
  });

  test('the readiness wait covers the first control-plane node\'s budget, and the launch hook covers it and the plugin', () => {
    expect(budgetMinutes(steps)).toBe(59);
    expect(DEFAULT_READINESS_TIMEOUT_MINUTES).toBeGreaterThanOrEqual(budgetMinutes(steps));
    expect(DEFAULT_READINESS_TIMEOUT_MINUTES % 5).toBe(0);
    // A worker's instance is given up after the heartbeat; it may wait for the API all that time.
    expect(LAUNCH_HEARTBEAT_SECONDS / 60).toBeGreaterThanOrEqual(DEFAULT_READINESS_TIMEOUT_MINUTES + 5);
  });

  test('every example deploys with the readiness wait at the budget, and a shorter one is warned about at synth', () => {
    for (const example of Object.keys(EXAMPLES)) {
      const waits = synthesisedExample(example).resources('terraform_data').filter(([id]) => id.includes('readiness'));
      expect(waits.length).toBeGreaterThan(0);
      for (const [, readiness] of waits) {
        expect([example, readiness.provisioner[0]['local-exec'].environment[READINESS_ENV.timeoutSeconds]]).toEqual([example, String(DEFAULT_READINESS_TIMEOUT_MINUTES * 60)]);
      }
    }

    const warnings = (props: Partial<KubeadmClusterProps>) => {
      const stack = new TerraformStack(Testing.app(), 'stack');
      const cluster = new KubeadmCluster(stack, 'cluster', { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'], ...props });
      return cluster.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    };
    expect(warnings({ readinessTimeoutMinutes: 15 })).toEqual([readinessBelowBudgetWarning(15)]);
    expect(readinessBelowBudgetWarning(15)).toContain('readinessTimeoutMinutes is 15, less than the 60 minutes the first control-plane node may take to a serving API');
    expect(warnings({})).toEqual([]);
    expect(warnings({ readinessTimeoutMinutes: 60 })).toEqual([]);
  });

  test('the README\'s table is the one the code renders', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const block = /<!-- boot-budget -->\n```text\n([\s\S]*?)```/.exec(readme)![1];
    expect(block).toBe(`${renderBootBudget(steps)}\n`);
    expect(block).toContain(`default readinessTimeoutMinutes: ${DEFAULT_READINESS_TIMEOUT_MINUTES}`);
  });
});
