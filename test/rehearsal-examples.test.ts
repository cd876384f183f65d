import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { EXAMPLES, stackName } from '../examples/synth';
import { rehearse } from '../lib/rehearsal/rehearse';
import { canRehearse } from './support/rehearsal-machine';

// The rehearsal run on what each example really synthesises (not on a fixture): the plan, the
// plugin's datapath and the security group rules as KubeadmCluster writes them.
const integration = canRehearse() ? describe : describe.skip;

integration('rehearsal of every example', () => {
  test.concurrent.each(Object.keys(EXAMPLES))('%s: every cluster passes every check and the negative control blocks', async (example) => {
    const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-rehearse-'));
    try {
      const app = new App({ outdir, skipValidation: true });
      EXAMPLES[example](app, stackName(example));
      app.synth();
      const result = await rehearse({ stack: join(outdir, 'stacks', stackName(example)), handleSignals: false, log: () => undefined });
      const failures = result.clusters.flatMap((c) => c.results.filter((r) => r.outcome !== 'ok').map((r) => `${c.clusterName}: ${r.check.name}: ${r.message ?? r.result}`));
      expect(failures).toEqual([]);
      expect(result.exitCode).toBe(0);
      for (const cluster of result.clusters) {
        expect(cluster.results.some((r) => r.check.phase === 'negative control' && r.result === 'blocked as expected')).toBe(true);
        expect(cluster.cleanupProblems).toEqual([]);
      }
      expect(result.clusters.length).toBe(example === 'two-clusters' ? 2 : 1);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    // Seven examples rehearse at once on a shared machine: each takes 40-65 s alone, more under load.
  }, 240_000);
});
