import { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import type { NodeRole } from '../network/ports';
import { nodeRoleTagKey, ownedResourceTags } from '../network/tags';
import { terraformText } from '../util/terraform-text';
import type { PolicyDocument } from '../bootstrap/secrets-policies';
import { CommandDocument, InstallationProps, installationProgram, programDocument } from './ssm-documents';

/**
 * How often State Manager runs every installation again on every node it targets, besides when the
 * association changes and when a node registers: so a run that failed (a transient SSM or S3
 * error, an apt lock) heals by itself, and so does a node that was offline during a deploy. Thirty
 * minutes is the shortest rate State Manager takes; every installation is idempotent.
 */
export const INSTALLATION_SCHEDULE = 'rate(30 minutes)';

export interface NodeChannelProps {
  readonly clusterName: string;
}

export interface NodeInstallationProps extends Omit<InstallationProps, 'name'> {
  /** The kinds of node that get it. */
  readonly roles: readonly NodeRole[];
}

/**
 * The one way to change running nodes: SSM Command documents, applied by State Manager
 * associations that target the cluster's nodes by their role tag. An association runs on every node
 * that has the tag when it is created or changed, on every node that boots with the tag later, and
 * every 30 minutes, so new and existing nodes (and clusters deployed by an earlier release) get the
 * same files, and a failed run is tried again. No first boot waits for it: a booting node that
 * needs an installation's program runs the installation's document itself (see
 * `documentReadPolicy`).
 */
export class NodeChannel extends Construct {
  public readonly clusterName: string;
  private readonly installations: SsmAssociation[] = [];
  private readonly installationDocuments: Array<{ readonly document: SsmDocument; readonly roles: readonly NodeRole[] }> = [];

  constructor(scope: Construct, id: string, props: NodeChannelProps) {
    super(scope, id);
    this.clusterName = props.clusterName;
  }

  /** The name of a document or association of the cluster's: `<cluster>-<name>`. */
  public resourceName(name: string): string {
    return `${this.clusterName}-${name}`;
  }

  /** Association targets for the nodes with the given roles. */
  public targets(roles: readonly NodeRole[]): Array<{ key: string; values: string[] }> {
    return [{ key: `tag:${nodeRoleTagKey(this.clusterName)}`, values: [...roles] }];
  }

  /** `aws ssm send-command --targets` for the nodes with the given roles. */
  public targetsArgument(roles: readonly NodeRole[]): string {
    return `Key=tag:${nodeRoleTagKey(this.clusterName)},Values=${roles.join(',')}`;
  }

  /** A document only, for commands people run on demand (`aws ssm send-command`). */
  public addDocument(id: string, name: string, content: CommandDocument): SsmDocument {
    return new SsmDocument(this, id, {
      name: this.resourceName(name),
      documentType: 'Command',
      documentFormat: 'JSON',
      content: JSON.stringify(content),
      tags: ownedResourceTags(this.clusterName, `${this.clusterName}-${name}`),
    });
  }

  /**
   * Installs files and runs commands on the nodes with `roles`, now and on every node that boots
   * later. A change to the files makes a new document version, which the association follows, so
   * running nodes get the change on the next deploy.
   */
  public addInstallation(id: string, name: string, props: NodeInstallationProps): SsmAssociation {
    const program = installationProgram({ ...props, name: this.resourceName(name) });
    const document = this.addDocument(`${id}-document`, name, programDocument(props.description, Fn.base64encode(terraformText(program))));
    const association = new SsmAssociation(this, `${id}-association`, {
      associationName: this.resourceName(name),
      name: document.name,
      documentVersion: document.latestVersion,
      targets: this.targets(props.roles),
      scheduleExpression: INSTALLATION_SCHEDULE,
      // Every node installs at once; one that fails reports it without stopping the others.
      maxConcurrency: '100%',
      maxErrors: '100%',
      complianceSeverity: 'HIGH',
    });
    this.installations.push(association);
    this.installationDocuments.push({ document, roles: props.roles });
    return association;
  }

  /**
   * Lets nodes with `role` read the documents of the installations that target them, and no other:
   * a booting node reads and runs them itself rather than wait for State Manager.
   */
  public documentReadPolicy(role: NodeRole): PolicyDocument {
    const documents = this.installationDocuments.filter((i) => i.roles.includes(role)).map((i) => i.document.arn);
    return { Version: '2012-10-17', Statement: [{ Sid: 'RunChannelInstallationsAtBoot', Effect: 'Allow', Action: ['ssm:GetDocument'], Resource: documents }] };
  }

  /** The installations made so far. */
  public get associations(): readonly SsmAssociation[] {
    return this.installations;
  }
}
