import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Bytes } from '@cdktf/provider-random/lib/bytes';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { Construct } from 'constructs';
import { ownedResourceTags } from '../network/tags';
import { stackProvider } from '../util/providers';
import { CONTROL_PLANE_PKI_FILES } from './bootstrap-program';
import type { NodeSecretsLocation } from './cloud-init';
import { encryptionConfiguration, renderEncryptionConfiguration } from './encryption-config';
import { JOIN_TOKEN_PLACEHOLDER } from './join-token';
import type { ClusterPki } from './pki';
import { PolicyDocument, secretsPolicy } from './secrets-policies';

/** Where the cluster's parameters live: `/kubeadm/<cluster>`. */
export function clusterParameterPath(clusterName: string): string {
  return `/kubeadm/${clusterName}`;
}

export interface ClusterSecretsProps {
  readonly clusterName: string;
  readonly pki: ClusterPki;
  /** The region (for the KMS condition and the nodes' calls); may be a token. */
  readonly region: string;
  /**
   * ARN of your own KMS key for the SecureStrings. Its key policy must let the account's IAM
   * policies grant its use (the default key policy does).
   * @default - a key of the cluster's own, with rotation on
   */
  readonly kmsKeyArn?: string;
}

/**
 * The cluster's secrets in Parameter Store: the CA and service-account keys (SecureString), their
 * certificates (String), the encryption-at-rest configuration (SecureString) and the join token's
 * parameter, which Terraform creates empty and control-plane nodes fill. SecureStrings are
 * encrypted with a KMS key of the cluster's own unless you give one. Nodes read them at boot;
 * user-data names them and holds none of them.
 */
export class ClusterSecrets extends Construct {
  /** The cluster's parameter path, for example `/kubeadm/demo`. */
  public readonly parameterPath: string;
  public readonly keyArn: string;
  /** The key as nodes name it when they publish the join token (its alias for the cluster's own key). */
  public readonly kmsKeyId: string;
  /** The key, when the cluster made its own. */
  public readonly key?: KmsKey;
  public readonly joinToken: SsmParameter;
  /** The key parameters (SecureString): CA keys, service-account key, encryption configuration. */
  public readonly secureParameters: readonly SsmParameter[];
  /** The certificate parameters (String). */
  public readonly plainParameters: readonly SsmParameter[];
  private readonly region: string;

  constructor(scope: Construct, id: string, props: ClusterSecretsProps) {
    super(scope, id);
    this.region = props.region;
    this.parameterPath = clusterParameterPath(props.clusterName);
    const tags = ownedResourceTags(props.clusterName, `${props.clusterName}-secrets`);
    if (props.kmsKeyArn !== undefined) {
      this.keyArn = props.kmsKeyArn;
      this.kmsKeyId = props.kmsKeyArn;
    } else {
      this.key = new KmsKey(this, 'key', {
        description: `Secrets of Kubernetes cluster ${props.clusterName}: CA keys, encryption-at-rest key, join token`,
        enableKeyRotation: true,
        deletionWindowInDays: 7,
        tags,
      });
      const alias = new KmsAlias(this, 'alias', { name: `alias/kubeadm/${props.clusterName}`, targetKeyId: this.key.keyId });
      this.keyArn = this.key.arn;
      this.kmsKeyId = alias.name;
    }

    const pki = props.pki;
    const pem: Record<string, string> = {
      'ca.crt': pki.clusterCa.certPem,
      'ca.key': pki.clusterCa.keyPem,
      'front-proxy-ca.crt': pki.frontProxyCa.certPem,
      'front-proxy-ca.key': pki.frontProxyCa.keyPem,
      'etcd/ca.crt': pki.etcdCa.certPem,
      'etcd/ca.key': pki.etcdCa.keyPem,
      'sa.key': pki.serviceAccountKeyPem,
      'sa.pub': pki.serviceAccountPublicKeyPem,
    };
    const secure: SsmParameter[] = [];
    const plain: SsmParameter[] = [];
    for (const file of CONTROL_PLANE_PKI_FILES) {
      const isKey = file.endsWith('.key');
      const parameter = new SsmParameter(this, `pki-${file.replace(/[/.]/g, '-')}`, {
        name: `${this.parameterPath}/pki/${file}`,
        description: `${file} of cluster ${props.clusterName}`,
        type: isKey ? 'SecureString' : 'String',
        keyId: isKey ? this.keyArn : undefined,
        value: pem[file],
        tags,
      });
      (isKey ? secure : plain).push(parameter);
    }

    stackProvider(this, RandomProvider, 'random');
    // secretbox takes a 32-byte key; random_bytes keeps it out of plans (its base64 is sensitive).
    const encryptionKey = new Bytes(this, 'encryption-key', { length: 32 });
    secure.push(
      new SsmParameter(this, 'encryption-config', {
        name: `${this.parameterPath}/encryption-config`,
        description: `API server encryption-at-rest configuration of cluster ${props.clusterName}`,
        type: 'SecureString',
        keyId: this.keyArn,
        value: renderEncryptionConfiguration(encryptionConfiguration([{ name: 'key-1', secret: encryptionKey.base64 }])),
        tags,
      }),
    );

    this.joinToken = new SsmParameter(this, 'join-token', {
      name: `${this.parameterPath}/join-token`,
      description: `Current join token of cluster ${props.clusterName}, published by its control plane`,
      type: 'SecureString',
      keyId: this.keyArn,
      // Terraform holds no token: the control plane writes the value, and Terraform keeps out of it.
      value: JOIN_TOKEN_PLACEHOLDER,
      lifecycle: { ignoreChanges: ['value'] },
      tags,
    });
    secure.push(this.joinToken);
    this.secureParameters = secure;
    this.plainParameters = plain;
  }

  /** What nodes' user-data needs to find the secrets (the channel adds its documents). */
  public get location(): Omit<NodeSecretsLocation, 'channelDocuments'> {
    return { region: this.region, parameterPath: this.parameterPath, joinTokenParameter: this.joinToken.name, kmsKeyId: this.kmsKeyId };
  }

  /** Control-plane nodes: read every parameter, write the join token. */
  public controlPlanePolicy(): PolicyDocument {
    return secretsPolicy({
      keyArn: this.keyArn,
      region: this.region,
      secureParameterArns: this.secureParameters.map((p) => p.arn),
      plainParameterArns: this.plainParameters.map((p) => p.arn),
      writableParameterArn: this.joinToken.arn,
    });
  }

  /** Workers: read the join token, nothing else. */
  public workerPolicy(): PolicyDocument {
    return secretsPolicy({ keyArn: this.keyArn, region: this.region, secureParameterArns: [this.joinToken.arn] });
  }
}
