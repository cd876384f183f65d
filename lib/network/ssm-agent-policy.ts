import type { PolicyDocument } from '../bootstrap/secrets-policies';

/**
 * What the SSM agent on a node needs, in place of the managed policy AmazonSSMManagedInstanceCore.
 *
 * The managed policy (v2, AWS Managed Policy Reference, "AmazonSSMManagedInstanceCore", JSON policy
 * document) grants on `*`: ssm:DescribeAssociation, GetDeployablePatchSnapshotForInstance,
 * GetDocument, DescribeDocument, GetManifest, GetParameter, GetParameters, ListAssociations,
 * ListInstanceAssociations, PutInventory, PutComplianceItems, PutConfigurePackageResult,
 * UpdateAssociationStatus, UpdateInstanceAssociationStatus, UpdateInstanceInformation; the four
 * ssmmessages channel actions; and six ec2messages actions. `ssm:GetParameter(s)` on `*` lets any
 * node read every String parameter of the region, and every SecureString under the account's
 * `aws/ssm` key, so it goes; each node program reads its own parameters through its role's inline
 * policies, scoped to the cluster's path.
 *
 * Kept: registration and heartbeats (UpdateInstanceInformation), Session Manager (ssmmessages),
 * Run Command (ec2messages) and State Manager, which runs the cluster's channel (the association
 * calls of the agent's SSM client, aws/amazon-ssm-agent agent/ssm/service.go: ListAssociations,
 * ListInstanceAssociations, DescribeAssociation, GetDocument, UpdateAssociationStatus,
 * UpdateInstanceAssociationStatus, PutComplianceItems). Documents are read only where they can be
 * named: the cluster's own (`<cluster>-*`), AWS-owned ones (`AWS-*`, public and without data of the
 * account) and the Session Manager preferences document.
 *
 * Dropped with GetParameter(s): GetManifest and PutConfigurePackageResult (Distributor),
 * GetDeployablePatchSnapshotForInstance (Patch Manager, which would also fight the cluster's held
 * Kubernetes packages) and PutInventory (Inventory): features the cluster does not use. An
 * account that uses them attaches its own policy to the node roles (`NodeIdentity.role`).
 */

/** The agent's calls on its own instance and its message channels; none returns data of the account. */
export const SSM_AGENT_CHANNEL_ACTIONS: readonly string[] = [
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
  'ssm:PutComplianceItems',
  'ssm:UpdateAssociationStatus',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

/** The agent's association lookups. */
export const SSM_AGENT_ASSOCIATION_ACTIONS: readonly string[] = ['ssm:DescribeAssociation', 'ssm:ListAssociations', 'ssm:ListInstanceAssociations'];

/** Reads of documents, which take document ARNs. */
export const SSM_AGENT_DOCUMENT_ACTIONS: readonly string[] = ['ssm:DescribeDocument', 'ssm:GetDocument'];

/** The actions of the managed policy this replaces and left out on purpose (see above). */
export const SSM_MANAGED_CORE_ACTIONS_LEFT_OUT: readonly string[] = [
  'ssm:GetDeployablePatchSnapshotForInstance',
  'ssm:GetManifest',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:PutConfigurePackageResult',
  'ssm:PutInventory',
];

/**
 * The Session Manager preferences document, which the console creates in each account and region
 * (Session Manager user guide, "Create a Session Manager preferences document").
 */
export const SESSION_MANAGER_PREFERENCES_DOCUMENT = 'SSM-SessionManagerRunShell';

export interface SsmAgentPolicyInput {
  readonly clusterName: string;
  /** May be a Terraform token. */
  readonly partition: string;
  /** May be a Terraform token. */
  readonly region: string;
}

export function ssmAgentPolicy(input: SsmAgentPolicyInput): PolicyDocument {
  const documents = `arn:${input.partition}:ssm:${input.region}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'AgentChannels', Effect: 'Allow', Action: SSM_AGENT_CHANNEL_ACTIONS, Resource: ['*'] },
      { Sid: 'AgentAssociations', Effect: 'Allow', Action: SSM_AGENT_ASSOCIATION_ACTIONS, Resource: ['*'] },
      {
        Sid: 'AgentDocuments',
        Effect: 'Allow',
        Action: SSM_AGENT_DOCUMENT_ACTIONS,
        // AWS-owned documents have no account in their ARN.
        Resource: [`${documents}:*:document/${input.clusterName}-*`, `${documents}::document/AWS-*`, `${documents}:*:document/${SESSION_MANAGER_PREFERENCES_DOCUMENT}`],
      },
    ],
  };
}
