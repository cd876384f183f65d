/**
 * The IAM policies that let nodes reach the cluster's secrets, as plain objects (values may be
 * Terraform tokens), so that who may read what is tested without synthesising.
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export interface SecretsPolicyInput {
  /** ARN of the KMS key the SecureStrings are encrypted with. */
  readonly keyArn: string;
  /** The region, for the `kms:ViaService` condition. */
  readonly region: string;
  /** ARNs of the SecureString parameters the role may read and decrypt. */
  readonly secureParameterArns: readonly string[];
  /**
   * ARNs of plain String parameters the role may read (public certificates).
   * @default - none
   */
  readonly plainParameterArns?: readonly string[];
  /**
   * ARN of the one parameter the role may write (the join token), encrypted with the same key.
   * @default - the role writes nothing
   */
  readonly writableParameterArn?: string;
}

/**
 * Parameter Store encrypts a SecureString with this encryption context, so a KMS grant can be
 * scoped to named parameters; the key is used only through Parameter Store in this region.
 */
function kmsConditions(region: string, parameterArns: readonly string[]): PolicyStatement['Condition'] {
  // A list under StringEquals matches any of its values.
  return {
    StringEquals: {
      'kms:ViaService': `ssm.${region}.amazonaws.com`,
      'kms:EncryptionContext:PARAMETER_ARN': [...parameterArns],
    },
  };
}

/** Read (and decrypt) exactly the listed parameters, and write at most one of them. */
export function secretsPolicy(input: SecretsPolicyInput): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: 'ReadClusterParameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: [...(input.plainParameterArns ?? []), ...input.secureParameterArns],
    },
    {
      Sid: 'DecryptClusterParameters',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [input.keyArn],
      Condition: kmsConditions(input.region, input.secureParameterArns),
    },
  ];
  if (input.writableParameterArn !== undefined) {
    statements.push(
      {
        Sid: 'PublishJoinToken',
        Effect: 'Allow',
        Action: ['ssm:PutParameter'],
        Resource: [input.writableParameterArn],
      },
      {
        // Standard-tier SecureStrings are encrypted with KMS Encrypt under the writer's identity.
        Sid: 'EncryptJoinToken',
        Effect: 'Allow',
        Action: ['kms:Encrypt'],
        Resource: [input.keyArn],
        Condition: kmsConditions(input.region, [input.writableParameterArn]),
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}
