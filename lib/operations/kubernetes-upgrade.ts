import type { Instance } from '@cdktf/provider-aws/lib/instance';
import { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import type { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Fn } from 'cdktf';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import type { PolicyDocument } from '../bootstrap/secrets-policies';
import { ownedResourceTags } from '../network/tags';
import { terraformText } from '../util/terraform-text';
import type { NodeChannel } from './node-channel';
import { upgradeProgram, UpgradeMode, UPGRADE_LOG_PATH } from './upgrade-program';
import { allowedRecordedMinors, RECORDED_MINOR_PATTERN, UPGRADE_SKEW_RULES } from './version-skew';

export interface KubernetesUpgradeProps {
  readonly target: KubernetesVersion;
  readonly region: string;
  /** The cluster's Parameter Store path, for example `/kubeadm/demo`. */
  readonly parameterPath: string;
  /** The control-plane instances, the first one first. */
  readonly controlPlaneInstances: readonly Instance[];
  /**
   * How long Terraform waits for one node's upgrade to succeed.
   * @default 3600
   */
  readonly waitForSuccessTimeoutSeconds?: number;
}

/** What the channel adds for upgrades. */
export interface KubernetesUpgrade {
  /** The version the control plane runs, written by the first node's upgrade. */
  readonly versionParameter: SsmParameter;
  readonly document: SsmDocument;
  /** One association per control-plane node, in order; each waits for the one before it. */
  readonly associations: readonly SsmAssociation[];
  /** What runs after the control plane's upgrade (the worker pools). */
  readonly done: SsmAssociation;
  /** Lets control-plane nodes record the version. */
  readonly controlPlanePolicy: PolicyDocument;
}

export const DEFAULT_UPGRADE_TIMEOUT_SECONDS = 3600;

/**
 * Upgrades the control plane, one node at a time and the first node first, whenever the cluster's
 * version changes: one document with the upgrade program for the target version, and one
 * association per control-plane node (the first with `kubeadm upgrade apply`), each created after
 * the one before it has succeeded. A new target is a new document, which replaces the associations,
 * so each runs again and Terraform waits for it. Nodes that have not finished their bootstrap, or
 * already run the target, do nothing. A plan that would skip a minor is refused.
 */
export function addKubernetesUpgrade(channel: NodeChannel, props: KubernetesUpgradeProps): KubernetesUpgrade {
  const target = props.target;
  // Created at the cluster's version; from then on only the first node's upgrade writes it.
  const versionParameterName = `${props.parameterPath}/kubernetes-version`;
  const versionParameter = new SsmParameter(channel, 'kubernetes-version', {
    name: versionParameterName,
    description: 'The Kubernetes version of the control plane, written by its upgrade',
    type: 'String',
    insecureValue: target.version,
    tags: ownedResourceTags(channel.clusterName, `${channel.clusterName}-kubernetes-version`),
    lifecycle: { ignoreChanges: ['insecure_value'] },
  });
  const recorded = versionParameter.insecureValue;
  const allowed = allowedRecordedMinors(target);
  const program = upgradeProgram({ target, region: props.region, versionParameter: versionParameterName });
  const timeout = props.waitForSuccessTimeoutSeconds ?? DEFAULT_UPGRADE_TIMEOUT_SECONDS;
  const document = channel.addDocument('kubernetes-upgrade-document', 'kubernetes-upgrade', {
    schemaVersion: '2.2',
    description: `Upgrades a control-plane node to Kubernetes ${target.version} (log: ${UPGRADE_LOG_PATH})`,
    parameters: {
      mode: { type: 'String', description: 'apply on the first control-plane node, node on the others', allowedValues: [UpgradeMode.APPLY, UpgradeMode.NODE], default: UpgradeMode.NODE },
    },
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'upgrade',
        inputs: {
          timeoutSeconds: timeout,
          runCommand: [
            'set -eu',
            'program=$(mktemp)',
            `printf '%s' '${Fn.base64encode(terraformText(program))}' | base64 -d > "$program"`,
            'status=0',
            'bash "$program" {{ mode }} || status=$?',
            'rm -f "$program"',
            'exit "$status"',
          ],
        },
      },
    ],
  });
  document.addOverride('lifecycle.precondition', [
    {
      condition: Fn.contains(allowed, Fn.regex(RECORDED_MINOR_PATTERN, recorded)),
      error_message: `Kubernetes upgrades go ${UPGRADE_SKEW_RULES.minorsPerUpgrade} minor at a time, control plane first, and never back: the control plane runs ${recorded} (${versionParameterName}), and kubernetesVersion ${target.version} needs it at ${allowed.join(' or ')}. Deploy the minors in between one by one.`,
    },
  ]);

  const associations: SsmAssociation[] = [];
  props.controlPlaneInstances.forEach((instance, index) => {
    const previous = associations[associations.length - 1];
    associations.push(
      new SsmAssociation(channel, `kubernetes-upgrade-${index}`, {
        associationName: channel.resourceName(`kubernetes-upgrade-${index}`),
        name: document.name,
        documentVersion: document.latestVersion,
        targets: [{ key: 'InstanceIds', values: [instance.id] }],
        parameters: { mode: index === 0 ? UpgradeMode.APPLY : UpgradeMode.NODE },
        maxConcurrency: '1',
        maxErrors: '0',
        complianceSeverity: 'CRITICAL',
        waitForSuccessTimeoutSeconds: timeout,
        dependsOn: previous ? [previous] : undefined,
        // Terraform waits for an association's success only when it creates one: a new document
        // (a new target version) replaces the association, so each node's upgrade is waited for
        // before the next node's starts.
        lifecycle: { replaceTriggeredBy: [document] },
      }),
    );
  });

  const controlPlanePolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'RecordKubernetesVersion', Effect: 'Allow', Action: ['ssm:PutParameter'], Resource: [versionParameter.arn] }],
  };
  return { versionParameter, document, associations, done: associations[associations.length - 1], controlPlanePolicy };
}
