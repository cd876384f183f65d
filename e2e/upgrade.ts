import { aws, E2eContext } from './context';
import { cdktfDeploy, describeNodes, waitForNodes } from './deploy';
import { waitFor } from './retry';

/**
 * The upgrade as README "Upgrading Kubernetes" has it: a deploy with the new kubernetesVersion,
 * which upgrades the control plane node by node (Terraform waits for each node's association),
 * then rolls the worker pools. The deploy does not wait for the pools' instance refresh, so the
 * runner waits until every node's kubelet runs the new version.
 */
export async function upgrade(ctx: E2eContext): Promise<string> {
  const target = ctx.options.upgradeTo!;
  ctx.state.kubernetesVersion = target;
  // Terraform waits up to an hour for each control-plane node's upgrade, one after the other.
  const controlPlaneNodes = Math.max(...ctx.state.clusters.map((c) => c.controlPlaneCount));
  await cdktfDeploy(ctx, (60 * controlPlaneNodes + 60) * 60_000, `cdktf deploy of Kubernetes ${target}`);
  const details: string[] = [];
  for (const cluster of ctx.state.clusters) {
    const parameter = cluster.names.versionParameter;
    let recorded = '';
    await waitFor(ctx, {
      what: `the control plane of ${cluster.names.clusterName} to record ${target} in ${parameter}`,
      timeoutMs: 10 * 60_000,
      intervalMs: 30_000,
      check: `aws ssm describe-association-executions for ${cluster.names.clusterName}-kubernetes-upgrade-0 and /var/log/kubeadm-upgrade.log on the first control-plane node`,
      probe: async () => {
        const result = await aws(ctx, ['ssm', 'get-parameter', '--name', parameter, '--query', 'Parameter.Value', '--output', 'text'], `reading ${parameter}`, 'ssm:GetParameter for these credentials');
        recorded = result.stdout.trim();
        return { done: recorded === target, seen: `recorded ${recorded}` };
      },
    });
    const expected = `v${target}`;
    const required = cluster.requiredNodes ?? 0;
    const nodes = await waitForNodes(ctx, cluster, {
      what: `every node of ${cluster.names.clusterName} to run kubelet ${expected} (at least ${required} Ready)`,
      timeoutMs: 60 * 60_000,
      check:
        `aws autoscaling describe-instance-refreshes --auto-scaling-group-name ${cluster.names.clusterName}-<pool>; ` +
        `kubectl get nodes -o wide; a node left at the old version whose instance is gone is deleted by the cloud controller manager`,
      accept: (s) => s.ready >= required && Object.keys(s.versions).every((v) => v === expected),
    });
    details.push(`${cluster.names.clusterName}: control plane recorded ${recorded}; ${describeNodes(nodes)}`);
  }
  return details.join('; ');
}
