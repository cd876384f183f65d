import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { EXAMPLES } from '../examples/synth';
import { rehearse, RehearseOptions } from '../lib/rehearsal/rehearse';
import { FixturePlugin, synthFixture, ClusterFixtureProps } from './support/network-stack';
import { canRehearse } from './support/rehearsal-machine';

// These tests build real network namespaces, so they need root, ip and nft (see canRehearse).
const integration = canRehearse() ? describe : describe.skip;

function namespacesWith(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
}

async function rehearseFixture(clusters: readonly ClusterFixtureProps[], options: RehearseOptions = {}) {
  const fixture = synthFixture(clusters);
  const log: string[] = [];
  try {
    const result = await rehearse({ stack: fixture.stackDir, handleSignals: false, log: (l) => log.push(l), ...options });
    return { result, log };
  } finally {
    fixture.remove();
  }
}

// Rehearsals build network namespaces side by side; on a busy 2-core machine one takes over a
// minute, as many do in rehearsal-examples.test.ts.
jest.setTimeout(240_000);

integration('rehearse (network namespaces)', () => {
  const plugins: FixturePlugin[] = ['weave-net', 'flannel', 'cilium', 'calico-vxlan', 'calico-ipip'];

  test.concurrent.each(plugins)('%s: every check passes, the negative control blocks, nothing is left behind', async (plugin) => {
    const { result } = await rehearseFixture([{ plugin }]);
    const [cluster] = result.clusters;
    const failures = cluster.results.filter((r) => r.outcome !== 'ok').map((r) => `${r.check.name} ${r.check.from.label} -> ${r.check.to.label}: ${r.message ?? r.result}`);
    expect(failures).toEqual([]);
    expect(result).toEqual(expect.objectContaining({ passed: true, exitCode: 0 }));
    const phases = (phase: string) => cluster.results.filter((r) => r.check.phase === phase);
    expect(phases('pod network').length).toBeGreaterThanOrEqual(24);
    expect(phases('service').every((r) => r.result.startsWith('ok via '))).toBe(true);
    expect(phases('negative control').length).toBeGreaterThan(0);
    expect(phases('negative control').every((r) => r.result === 'blocked as expected')).toBe(true);
    expect(cluster.report).toContain(`PASSED demo: ${cluster.results.length} checks`);
    expect(cluster.cleanupProblems).toEqual([]);
    expect(namespacesWith(cluster.prefix)).toEqual([]);
  });

  test.concurrent('a stack without the plugin\'s data port rule fails, naming the port', async () => {
    const { result } = await rehearseFixture([{ plugin: 'weave-net', omit: { protocol: 'udp', port: 6784 } }]);
    expect(result).toEqual(expect.objectContaining({ passed: false, exitCode: 1 }));
    const [cluster] = result.clusters;
    const messages = cluster.results.filter((r) => r.outcome === 'failed').map((r) => r.message);
    expect(messages).toContain(
      'pod 10.32.1.2 on worker-0 -> pod 10.32.2.2 on worker-1: no reply (no echo reply within 1 s); the security groups allow no udp/6784 (Weave Net fast datapath) from worker to worker',
    );
    expect(cluster.report).toContain('Missing security group rules:\n  - the security groups allow no udp/6784 (Weave Net fast datapath) from control-plane to worker');
    // Pods on one node still reach each other: the failure is the VPC's, not the nodes'.
    expect(cluster.results.filter((r) => r.outcome === 'ok').every((r) => r.check.from.node === r.check.to.node)).toBe(true);
    expect(cluster.results.filter((r) => r.check.phase !== 'pod network').every((r) => r.outcome === 'skipped')).toBe(true);
    expect(namespacesWith(cluster.prefix)).toEqual([]);
  });

  test.concurrent('a stack without Calico\'s IP-in-IP rule fails, naming IP protocol 4', async () => {
    const { result } = await rehearseFixture([{ plugin: 'calico-ipip', omit: { protocol: 'ipip' } }], { keepGoing: true });
    const [cluster] = result.clusters;
    expect(result.exitCode).toBe(1);
    expect(cluster.report).toContain('the security groups allow no ipip (IP protocol 4, Calico IP-in-IP) from worker to worker');
    // With --keep-going the later phases run: the control and Kubernetes ports are fine.
    expect(cluster.results.filter((r) => r.check.phase === 'kubernetes ports').every((r) => r.outcome === 'ok')).toBe(true);
  });

  test.concurrent('routed: pod traffic needs the pod range allowed as a CIDR, and then passes', async () => {
    const routed = { encapsulation: 'routed' as const, controlPorts: [] };
    const open = await rehearseFixture([
      { plugin: 'flannel', datapath: routed, cidrRules: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, cidr: '10.244.0.0/16' }, { protocol: 'icmp', cidr: '10.244.0.0/16' }] },
    ]);
    expect(open.result.clusters[0].results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    const closed = await rehearseFixture([{ plugin: 'flannel', datapath: routed }]);
    expect(closed.result.exitCode).toBe(1);
    expect(closed.result.report).toContain('routed pod traffic carries pod addresses, which rules naming a security group do not match; allow the pod range as a CIDR');
  });

  test.concurrent('Cni.vpcRoutes(): VPC routes between the nodes, no tunnel; removing one node\'s route cuts off exactly its pods', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-rehearse-routed-'));
    try {
      const app = new App({ outdir, skipValidation: true });
      EXAMPLES.routed(app, 'routed');
      app.synth();
      const log: string[] = [];
      const result = await rehearse({ stack: join(outdir, 'stacks', 'routed'), handleSignals: false, log: (l) => log.push(l) });
      const [cluster] = result.clusters;
      // eslint-disable-next-line no-console
      console.log(`${log.join('\n')}\n${cluster.report}`);
      expect(cluster.results.filter((r) => r.outcome !== 'ok').map((r) => r.message)).toEqual([]);
      expect(cluster.report).toContain('vpc-routes, routed (VPC routes between the nodes, no tunnel)');
      const target = cluster.topology.nodes[cluster.topology.nodes.length - 1];
      expect(log.some((l) => l.endsWith(`removing the VPC route to ${target.podCidr} (${target.name})`))).toBe(true);
      const negative = cluster.results.filter((r) => r.check.phase === 'negative control');
      // Every other node loses the removed node's pods...
      const cut = negative.filter((r) => r.check.expect === 'no-reply');
      expect(cut.length).toBe(2 * (cluster.topology.nodes.length - 1));
      expect(cut.every((r) => r.check.to.node === target && r.result === 'blocked as expected')).toBe(true);
      // ...while pods elsewhere still reach each other.
      expect(negative.filter((r) => r.check.expect === 'reply').every((r) => r.check.to.node !== target && r.outcome === 'ok')).toBe(true);
      expect(namespacesWith(cluster.prefix)).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test.concurrent('two clusters in one stack are rehearsed one after the other, or one by name', async () => {
    const clusters: ClusterFixtureProps[] = [
      { plugin: 'flannel', clusterName: 'alpha' },
      { plugin: 'cilium', clusterName: 'beta', plan: { vpcCidr: '10.1.0.0/16', workerCount: 1 } },
    ];
    const both = await rehearseFixture(clusters, { nodesPerRole: 1 });
    expect(both.result.clusters.map((c) => [c.clusterName, c.passed, c.topology.nodes.length])).toEqual([
      ['alpha', true, 2],
      ['beta', true, 2],
    ]);
    expect(new Set(both.result.clusters.map((c) => c.prefix)).size).toBe(2);
    const one = await rehearseFixture(clusters, { clusterName: 'beta', nodesPerRole: 1 });
    expect(one.result.clusters.map((c) => c.clusterName)).toEqual(['beta']);
  });

  test.concurrent('aborting mid-run removes every namespace and reports the interruption', async () => {
    const fixture = synthFixture([{ plugin: 'flannel' }]);
    const controller = new AbortController();
    const log: string[] = [];
    try {
      const run = rehearse({
        stack: fixture.stackDir,
        handleSignals: false,
        signal: controller.signal,
        log: (line) => {
          log.push(line);
          if (line.includes('network built')) {
            controller.abort();
          }
        },
      });
      await expect(run).rejects.toThrow('interrupted');
      const prefix = log[0].split(' ')[0];
      expect(log.some((l) => l.startsWith(`${prefix} removed`))).toBe(true);
      expect(namespacesWith(prefix)).toEqual([]);
    } finally {
      fixture.remove();
    }
  });
});
