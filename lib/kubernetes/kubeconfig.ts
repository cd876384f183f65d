import { stringify } from 'yaml';

export interface KubeconfigInput {
  readonly clusterName: string;
  /** `https://host:port` of the API server. */
  readonly server: string;
  /** Base64 of the cluster CA certificate PEM. */
  readonly certificateAuthorityData: string;
  /** Base64 of the client certificate PEM. */
  readonly clientCertificateData: string;
  /** Base64 of the client key PEM. */
  readonly clientKeyData: string;
  /** Name of the user entry. */
  readonly userName: string;
}

/**
 * A kubeconfig with one cluster, one user and one context, as kubectl and kubeadm write it. Values
 * may be Terraform tokens: the document never wraps lines, so a token is never split.
 */
export function renderAdminKubeconfig(input: KubeconfigInput): string {
  const context = `${input.userName}@${input.clusterName}`;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.clusterName, cluster: { server: input.server, 'certificate-authority-data': input.certificateAuthorityData } }],
    users: [{ name: input.userName, user: { 'client-certificate-data': input.clientCertificateData, 'client-key-data': input.clientKeyData } }],
    contexts: [{ name: context, context: { cluster: input.clusterName, user: input.userName } }],
    'current-context': context,
    preferences: {},
  };
  return stringify(doc, { lineWidth: 0 });
}
