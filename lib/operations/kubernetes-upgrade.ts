import { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import type { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Fn, Op, Token } from 'cdktf';
import type { KubernetesVersion } from '../bootstrap/kubernetes-version';
import type { PolicyDocument } from '../bootstrap/secrets-policies';
import { controlPlaneNodeTagKey, ownedResourceTags } from '../network/tags';
import { terraformText } from '../util/terraform-text';
import type { NodeChannel } from './node-channel';
import { upgradeProgram, UpgradeMode, UPGRADE_LOG_PATH } from './upgrade-program';
import { allowedRecordedMinors, RECORDED_MINOR_PATTERN, UPGRADE_SKEW_RULES } from './version-skew';

export interface KubernetesUpgradeProps {
  readonly target: KubernetesVersion;
  readonly region: string;
  /** The cluster's Parameter Store path, for example `/kubeadm/demo`. */
  readonly parameterPath: string;
  /**
   * The control-plane nodes, the first one first, by the index their instances carry in the
   * `controlPlaneNodeTagKey` tag.
   */
  readonly controlPlaneNodes: readonly { readonly index: number }[];
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
  /**
   * One association per control-plane node, in order, each created after the one before it, and
   * each targeting its node by tag, so that none waits for an instance.
   */
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
 *
 * On a first deploy nothing waits: the associations target their nodes by tag (no reference to an
 * instance) and wait for success only when the recorded version differs from the target, which on
 * a first deploy it does not. So the worker pools, which follow the last association, boot in
 * parallel with the control plane, and on a version change still roll only after it.
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

  // When Terraform waits for a node's upgrade. In terraform-provider-aws's
  // internal/service/ssm/association.go (read in its aws-sdk-go-v2 form; the v6.25.0 tag itself
  // was not obtainable here), resourceAssociationCreate waits (waitAssociationCreated: Pending
  // until Success, Failed is an error) only `if v, ok := d.GetOk("wait_for_success_timeout_seconds");
  // ok`, which is false for null and 0, and resourceAssociationUpdate never waits. So: no wait
  // while the recorded version is the target (a first deploy creates the parameter at the target;
  // every deploy after a finished upgrade), the timeout while it differs (a new target). A new
  // target changes the document, which replaces each association (replace_triggered_by), and
  // Terraform plans a replacement's create from the whole configuration, ignore_changes aside
  // (plan() in internal/terraform/node_resource_abstract_instance.go), so that create waits.
  // ignore_changes keeps the plan after an upgrade (recorded caught up: null against the timeout
  // in state) free of a diff. Not covered: the first node records the version, so a later node's
  // failed upgrade, replaced as tainted by the next deploy, runs unwaited.
  const waitForSuccessTimeoutSeconds = Token.asNumber(Fn.conditional(Op.eq(recorded, target.version), Token.nullValue(), timeout));
  // A bare address: cdktf renders a resource given here as "${aws_ssm_document.x}", which Terraform
  // refuses in replace_triggered_by ("Invalid character"; hashicorp/terraform-cdk#3196, its fix
  // unreleased in the archived cdktf), and with it the whole configuration.
  const documentAddress = `${document.terraformResourceType}.${document.friendlyUniqueId}`;
  const associations: SsmAssociation[] = [];
  props.controlPlaneNodes.forEach((node, position) => {
    const previous = associations[associations.length - 1];
    associations.push(
      new SsmAssociation(channel, `kubernetes-upgrade-${node.index}`, {
        associationName: channel.resourceName(`kubernetes-upgrade-${node.index}`),
        name: document.name,
        documentVersion: document.latestVersion,
        // By tag, not by instance id: the association (and the worker pools after it) must not
        // wait for the instance. State Manager runs it on the node when the node registers.
        targets: [{ key: `tag:${controlPlaneNodeTagKey(channel.clusterName)}`, values: [String(node.index)] }],
        parameters: { mode: position === 0 ? UpgradeMode.APPLY : UpgradeMode.NODE },
        maxConcurrency: '1',
        maxErrors: '0',
        complianceSeverity: 'CRITICAL',
        waitForSuccessTimeoutSeconds,
        dependsOn: previous ? [previous] : undefined,
        lifecycle: { replaceTriggeredBy: [documentAddress], ignoreChanges: ['wait_for_success_timeout_seconds'] },
      }),
    );
  });

  const controlPlanePolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'RecordKubernetesVersion', Effect: 'Allow', Action: ['ssm:PutParameter'], Resource: [versionParameter.arn] }],
  };
  return { versionParameter, document, associations, done: associations[associations.length - 1], controlPlanePolicy };
}
