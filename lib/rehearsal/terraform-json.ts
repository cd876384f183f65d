/** The parts of a synthesised `cdk.tf.json` the rehearsal reads. */
export interface TerraformJson {
  readonly output?: Readonly<Record<string, { readonly value?: unknown } | undefined>>;
  /** Resources by type, then by logical id. */
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined>>;
}

const SECURITY_GROUP_REFERENCE = /^\$\{aws_security_group\.([A-Za-z_][A-Za-z0-9_-]*)\.id\}$/;

/**
 * The logical id of the `aws_security_group` that a reference such as
 * `${aws_security_group.cluster_sg_1234.id}` names, or undefined if it names something else.
 */
export function securityGroupIdOf(reference: unknown): string | undefined {
  if (typeof reference !== 'string') {
    return undefined;
  }
  return SECURITY_GROUP_REFERENCE.exec(reference.trim())?.[1];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
