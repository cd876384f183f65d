import type { KubeadmClusterProps } from '../lib';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { upgradeProgram } from '../lib/operations/upgrade-program';
import { allowedRecordedMinors, UPGRADE_SKEW_RULES } from '../lib/operations/version-skew';
import { EXAMPLES } from '../examples/synth';
import { controlPlaneNodeTagKey } from '../lib/network/tags';
import { evaluateAttribute, evaluateAttributeValue } from './support/hcl-eval';
import { TerraformFiller } from './support/terraform-fill';
import { synthesisedCluster } from './support/cluster-synth';
import { synthesisedExample } from './support/example-synth';
import type { SynthesisedStack } from './support/synthesised-stack';
import { dependencyGraph, waitsOf } from './support/terraform-graph';

// The control plane's upgrade as Terraform sees it: one association per control-plane node, in
// order, the workers after the last; and the plan-time check against the version the control plane
// recorded. The associations find their nodes by tag and wait only on a version change, so on a
// first deploy the workers wait for no control-plane instance.

const base: KubeadmClusterProps = { clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] };

function upgradeOf(props: KubeadmClusterProps) {
  const synth = synthesisedCluster(props);
  const associations = synth.resources('aws_ssm_association').filter(([id]) => id.includes('kubernetes-upgrade'));
  const [documentId, document] = synth.resources('aws_ssm_document').find(([id]) => id.includes('kubernetes-upgrade'))!;
  const [parameterId, parameter] = synth.resources('aws_ssm_parameter').find(([id]) => id.includes('kubernetes-version'))!;
  return { synth, associations, documentId, document, parameterId, parameter };
}

/** The precondition's condition, evaluated as Terraform would with the recorded version. */
function allows(document: any, parameterId: string, recorded: string): boolean {
  const [precondition] = document.lifecycle.precondition;
  const seen: string[] = [];
  const value = evaluateAttribute(precondition.condition, (reference) => {
    seen.push(reference);
    return recorded;
  });
  expect(seen).toEqual([`aws_ssm_parameter.${parameterId}.insecure_value`]);
  return value === 'true';
}

describe('Kubernetes upgrade', () => {
  const ha = upgradeOf({ ...base, controlPlane: { count: 3 } });

  test('one association per control-plane node, first node apply, each after the one before, one node and no error at a time', () => {
    const key = `tag:${controlPlaneNodeTagKey('demo')}`;
    expect(key).toBe('tag:cdktf-kubeadm-cluster/demo/control-plane-node');
    expect(ha.associations.map(([, a]) => [a.association_name, a.parameters.mode, a.targets, a.depends_on])).toEqual([
      ['demo-kubernetes-upgrade-0', 'apply', [{ key, values: ['0'] }], undefined],
      ['demo-kubernetes-upgrade-1', 'node', [{ key, values: ['1'] }], [`aws_ssm_association.${ha.associations[0][0]}`]],
      ['demo-kubernetes-upgrade-2', 'node', [{ key, values: ['2'] }], [`aws_ssm_association.${ha.associations[1][0]}`]],
    ]);
    for (const [, a] of ha.associations) {
      expect(a).toMatchObject({ max_concurrency: '1', max_errors: '0' });
      expect(a.name).toBe(`\${aws_ssm_document.${ha.documentId}.name}`);
      expect(a.document_version).toBe(`\${aws_ssm_document.${ha.documentId}.latest_version}`);
      // A new target version replaces the association, and Terraform waits for each creation.
      // A bare address: Terraform refuses an interpolation there.
      expect(a.lifecycle.replace_triggered_by).toEqual([`aws_ssm_document.${ha.documentId}`]);
    }
  });

  test("each association targets the one node group whose instances carry its node tag, whichever instance it is now", () => {
    const key = controlPlaneNodeTagKey('demo');
    // Self-healing nodes: the group puts the tag on every instance it launches.
    const nodeTag = (g: any) => g.tag.find((t: any) => t.key === key && t.propagate_at_launch === true)?.value;
    const groups = ha.synth.resources('aws_autoscaling_group').filter(([, g]) => nodeTag(g) !== undefined);
    expect(groups).toHaveLength(3);
    for (const [, a] of ha.associations) {
      const [target] = a.targets;
      const tagged = groups.filter(([, g]) => `tag:${key}` === target.key && target.values.includes(nodeTag(g)));
      expect(tagged).toHaveLength(1);
      // Not by instance id: nothing of the association refers to an instance or a group.
      expect(JSON.stringify(a)).not.toMatch(/aws_instance\.|aws_autoscaling_group\./);
    }
    expect(groups.map(([, g]) => nodeTag(g)).sort()).toEqual(['0', '1', '2']);
  });

  /** Every association's wait, as the provider receives it with the control plane recorded at `recorded`. */
  function waitsFor(u: ReturnType<typeof upgradeOf>, recorded: string): unknown[] {
    return u.associations.map(([, a]) => {
      expect(typeof a.wait_for_success_timeout_seconds).toBe('string');
      return evaluateAttributeValue(a.wait_for_success_timeout_seconds, (reference) => {
        expect(reference).toBe(`aws_ssm_parameter.${u.parameterId}.insecure_value`);
        return recorded;
      });
    });
  }

  test('no wait while the control plane is recorded at the target: a first deploy, and every deploy after an upgrade', () => {
    // A first deploy creates the parameter at the cluster version; an upgrade's first node records the target.
    expect(waitsFor(ha, '1.36.4')).toEqual([null, null, null]);
  });

  test('a new target waits an hour for each node, in order', () => {
    expect(waitsFor(ha, '1.35.2')).toEqual([3600, 3600, 3600]);
    expect(waitsFor(ha, '1.36.1')).toEqual([3600, 3600, 3600]);
    const single = upgradeOf({ ...base, kubernetesVersion: '1.35.6' });
    expect(waitsFor(single, '1.35.6')).toEqual([null]);
    expect(waitsFor(single, '1.34.3')).toEqual([3600]);
  });

  test('the wait is set on create only: a later plan with the recorded version caught up shows no diff', () => {
    // The provider waits on create only; a replacement (a new document) is a create planned from the whole configuration.
    for (const [, a] of ha.associations) {
      expect(a.lifecycle.ignore_changes).toEqual(['wait_for_success_timeout_seconds']);
    }
  });

  test('worker launch templates and groups wait for the last association', () => {
    const last = `aws_ssm_association.${ha.associations[2][0]}`;
    for (const type of ['aws_launch_template', 'aws_autoscaling_group']) {
      const [controlPlane, workers] = [ha.synth.resources(type).filter(([id]) => id.includes('_control-plane_')), ha.synth.resources(type).filter(([id]) => !id.includes('_control-plane_'))];
      // Control-plane nodes never wait for their own upgrade: they boot with the first deploy.
      for (const [, resource] of controlPlane) {
        expect(resource.depends_on.filter((d: string) => d.startsWith('aws_ssm_association.'))).toEqual([]);
      }
      for (const [, resource] of workers) {
        expect(resource.depends_on).toContain(last);
        expect(resource.depends_on.filter((d: string) => d.startsWith('aws_ssm_association.'))).toEqual([last]);
      }
    }
  });

  test('the document runs the upgrade program for the cluster version with the mode as its argument', () => {
    const filler = new TerraformFiller();
    const content = JSON.parse(filler.evaluate(ha.document.content));
    const lines: string[] = content.mainSteps[0].inputs.runCommand;
    expect(lines).toContain('bash "$program" {{ mode }} || status=$?');
    expect(content.parameters.mode.allowedValues).toEqual(['apply', 'node']);
    const encoded = /printf '%s' '(.*)' \| base64 -d/.exec(lines.find((l) => l.includes('base64 -d'))!)![1];
    const program = Buffer.from(encoded, 'base64').toString('utf8');
    expect(program).toContain("readonly TARGET_VERSION='1.36.4'");
    expect(program).toBe(upgradeProgram({ target: KubernetesVersion.of('1.36.4'), region: filler.valueOf(ha.synth.data('aws_region').map(([id]) => `data.aws_region.${id}.region`)[0]), versionParameter: '/kubeadm/demo/kubernetes-version' }));
  });

  test('the version parameter starts at the cluster version, and later only the upgrade writes it', () => {
    expect(ha.parameter).toMatchObject({ name: '/kubeadm/demo/kubernetes-version', type: 'String', insecure_value: '1.36.4' });
    expect(ha.parameter.lifecycle.ignore_changes).toEqual(['insecure_value']);
  });

  test.each([
    ['1.36.4', '1.35.2', true],
    ['1.36.4', '1.36.1', true],
    ['1.36.4', '1.36.4', true],
    ['1.36.4', '1.34.9', false],
    ['1.36.4', '1.37.0', false],
    ['1.35.6', '1.34.3', true],
    ['1.35.6', '1.36.4', false],
    ['1.34.2', '1.34.0', true],
    ['1.34.2', '1.35.1', false],
  ])('target %s with a control plane recorded at %s: allowed %s', (target, recorded, allowed) => {
    const u = target === '1.36.4' ? ha : upgradeOf({ ...base, kubernetesVersion: target });
    expect(allows(u.document, u.parameterId, recorded)).toBe(allowed);
  });

  test('the refusal says what the control plane runs and what the target needs', () => {
    const [precondition] = ha.document.lifecycle.precondition;
    const message = evaluateAttribute(precondition.error_message, () => '1.34.9');
    expect(message).toBe('Kubernetes upgrades go 1 minor at a time, control plane first, and never back: the control plane runs 1.34.9 (/kubeadm/demo/kubernetes-version), and kubernetesVersion 1.36.4 needs it at 1.35 or 1.36. Deploy the minors in between one by one.');
  });

  test('the rules are data: a wider step widens the allowed versions', () => {
    expect(UPGRADE_SKEW_RULES.minorsPerUpgrade).toBe(1);
    expect(allowedRecordedMinors(KubernetesVersion.of('1.36.4'))).toEqual(['1.35', '1.36']);
    expect(allowedRecordedMinors(KubernetesVersion.of('1.36.4'), { minorsPerUpgrade: 2 } as any)).toEqual(['1.34', '1.35', '1.36']);
  });

  test('a single control-plane node gets one association, in apply mode', () => {
    const single = upgradeOf(base);
    expect(single.associations.map(([, a]) => a.parameters.mode)).toEqual(['apply']);
  });
});

/** Each cluster of a stack (by its ownership tag) with its upgrade associations, first node first. */
function upgradeChains(synth: SynthesisedStack): Map<string, { associations: string[]; parameter: string; target: string }> {
  const chains = new Map<string, { associations: string[]; parameter: string; target: string }>();
  for (const [id, parameter] of synth.resources('aws_ssm_parameter').filter(([, p]) => p.name.endsWith('/kubernetes-version'))) {
    const cluster = Object.keys(parameter.tags).find((k) => k.startsWith('kubernetes.io/cluster/'))!.slice('kubernetes.io/cluster/'.length);
    const associations = synth
      .resources('aws_ssm_association')
      .filter(([, a]) => a.association_name.startsWith(`${cluster}-kubernetes-upgrade-`))
      .sort(([, a], [, b]) => a.association_name.localeCompare(b.association_name))
      .map(([n]) => `aws_ssm_association.${n}`);
    chains.set(cluster, { associations, parameter: `aws_ssm_parameter.${id}`, target: parameter.insecure_value });
  }
  return chains;
}

/** The version one minor before `version`, where an upgrade to it starts from. */
function previousMinor(version: string): string {
  const [major, minor] = version.split('.').map(Number);
  return `${major}.${minor - 1}.0`;
}

describe.each(Object.keys(EXAMPLES))('example %s: upgrades go control plane first', (example) => {
  const synth = synthesisedExample(example);
  const graph = dependencyGraph(synth.json);
  const chains = upgradeChains(synth);
  const clusterOf = (resource: any): string => Object.keys(resource.tags).find((k) => k.startsWith('kubernetes.io/cluster/'))!.slice('kubernetes.io/cluster/'.length);

  test('the associations of each cluster form one chain, node 0 first, one per control-plane node', () => {
    expect(chains.size).toBeGreaterThan(0);
    for (const [cluster, chain] of chains) {
      const instances = synth.resources('aws_network_interface').filter(([, i]) => clusterOf(i) === cluster);
      expect(chain.associations).toHaveLength(instances.length);
      chain.associations.forEach((address, i) => {
        const before = [...waitsOf(graph, address)].filter((a) => chain.associations.includes(a)).sort();
        expect(before).toEqual(chain.associations.slice(0, i).sort());
      });
    }
  });

  test('every worker launch template and group waits for the last control-plane upgrade of its cluster', () => {
    for (const type of ['aws_launch_template', 'aws_autoscaling_group']) {
      const nodes = synth.resources(type).filter(([id]) => !id.includes('_control-plane_'));
      expect(nodes.length).toBeGreaterThan(0);
      for (const [name, resource] of nodes) {
        const cluster = type === 'aws_launch_template' ? clusterOf(resource) : resource.tag.find((t: any) => t.key.startsWith('kubernetes.io/cluster/')).key.slice('kubernetes.io/cluster/'.length);
        const chain = chains.get(cluster)!;
        const waits = waitsOf(graph, `${type}.${name}`);
        expect(waits).toContain(chain.associations[chain.associations.length - 1]);
        expect(chain.associations.every((a) => waits.has(a))).toBe(true);
      }
    }
  });

  test('each association waits for its node on a version change, and for nothing on a first deploy', () => {
    for (const chain of chains.values()) {
      for (const address of chain.associations) {
        const association = synth.json.resource.aws_ssm_association[address.slice('aws_ssm_association.'.length)];
        const wait = (recorded: string) =>
          evaluateAttributeValue(association.wait_for_success_timeout_seconds, (reference) => {
            expect(reference).toBe(`${chain.parameter}.insecure_value`);
            return recorded;
          });
        expect(wait(chain.target)).toBeNull();
        expect(wait(previousMinor(chain.target))).toBe(3600);
        // A new target is a new document, which replaces the association: a create, which waits.
        const [trigger] = association.lifecycle.replace_triggered_by;
        expect(association.lifecycle.replace_triggered_by).toHaveLength(1);
        expect(trigger).toMatch(/^aws_ssm_document\.[\w-]+$/);
        // The document it runs.
        expect(association.name).toBe(`\${${trigger}.name}`);
      }
    }
  });
});
