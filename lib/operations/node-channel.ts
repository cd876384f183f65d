import { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { SsmDocument } from '@cdktf/provider-aws/lib/ssm-document';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import type { NodeRole } from '../network/ports';
import { nodeRoleTagKey, ownedResourceTags } from '../network/tags';
import { terraformText } from '../util/terraform-text';
import { CommandDocument, InstallationProps, installationProgram, programDocument } from './ssm-documents';

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
 * that has the tag when it is created or changed, and on every node that boots with the tag later,
 * so new and existing nodes (and clusters deployed by an earlier release) get the same files.
 */
export class NodeChannel extends Construct {
  public readonly clusterName: string;
  private readonly installations: SsmAssociation[] = [];

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
      // Every node installs at once; one that fails reports it without stopping the others.
      maxConcurrency: '100%',
      maxErrors: '100%',
      complianceSeverity: 'HIGH',
    });
    this.installations.push(association);
    return association;
  }

  /** The installations made so far. */
  public get associations(): readonly SsmAssociation[] {
    return this.installations;
  }
}
