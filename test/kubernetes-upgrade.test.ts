import type { KubeadmClusterProps } from '../lib';
import { KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { upgradeProgram } from '../lib/operations/upgrade-program';
import { allowedRecordedMinors, UPGRADE_SKEW_RULES } from '../lib/operations/version-skew';
import { evaluateAttribute } from './support/hcl-eval';
import { TerraformFiller } from './support/terraform-fill';
import { synthesisedCluster } from './support/cluster-synth';

// The control plane's upgrade as Terraform sees it: one association per control-plane node, in
// order, the workers after the last; and the plan-time check against the version the control plane
// recorded.

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
    const instances = ha.synth.resources('aws_instance').map(([id]) => id);
    expect(ha.associations.map(([, a]) => [a.association_name, a.parameters.mode, a.targets, a.depends_on])).toEqual([
      ['demo-kubernetes-upgrade-0', 'apply', [{ key: 'InstanceIds', values: [`\${aws_instance.${instances[0]}.id}`] }], undefined],
      ['demo-kubernetes-upgrade-1', 'node', [{ key: 'InstanceIds', values: [`\${aws_instance.${instances[1]}.id}`] }], [`aws_ssm_association.${ha.associations[0][0]}`]],
      ['demo-kubernetes-upgrade-2', 'node', [{ key: 'InstanceIds', values: [`\${aws_instance.${instances[2]}.id}`] }], [`aws_ssm_association.${ha.associations[1][0]}`]],
    ]);
    for (const [, a] of ha.associations) {
      expect(a).toMatchObject({ max_concurrency: '1', max_errors: '0', wait_for_success_timeout_seconds: 3600 });
      expect(a.name).toBe(`\${aws_ssm_document.${ha.documentId}.name}`);
      expect(a.document_version).toBe(`\${aws_ssm_document.${ha.documentId}.latest_version}`);
      // A new target version replaces the association, and Terraform waits for each creation.
      expect(a.lifecycle.replace_triggered_by).toEqual([`\${aws_ssm_document.${ha.documentId}}`]);
    }
  });

  test('worker launch templates and groups wait for the last association', () => {
    const last = `aws_ssm_association.${ha.associations[2][0]}`;
    for (const type of ['aws_launch_template', 'aws_autoscaling_group']) {
      for (const [, resource] of ha.synth.resources(type)) {
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
