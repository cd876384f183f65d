import { Document, Scalar, ToStringOptions, visit } from 'yaml';

/**
 * Serialisation settings for every document this library renders.
 *
 * Values may hold Terraform tokens that Terraform later replaces with text of any length, so
 * nothing may be folded or wrapped (`lineWidth: 0`).
 */
export const YAML_OPTIONS: ToStringOptions = {
  lineWidth: 0,
  minContentWidth: 0,
  indent: 2,
};

/**
 * Renders one YAML document from a plain object.
 *
 * Every single-line string value is single-quoted and every multi-line one is a literal block:
 * - quoting keeps a value a string whatever Terraform puts in it later (a bootstrap token made of
 *   digits and a dot would otherwise read as a number);
 * - single quotes, because cdktf's `Fn.base64encode` and `Fn.base64gzip` refuse literals with
 *   double quotes, and single-quoted YAML has no backslash escapes either.
 * Keys stay plain. `undefined` values are left out, so optional fields can be built inline.
 */
export function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') {
        return;
      }
      node.type = node.value.includes('\n') ? Scalar.BLOCK_LITERAL : Scalar.QUOTE_SINGLE;
    },
  });
  return doc.toString(YAML_OPTIONS);
}

/** Renders several documents as one multi-document stream, separated by `---`. */
export function toYamlStream(values: readonly unknown[]): string {
  return values.map(toYaml).join('---\n');
}

/** Whether a value is (or contains) an unresolved Terraform token, such as cdktf's `${TfToken[TOKEN.1]}`. */
export function isUnresolved(value: string): boolean {
  return value.includes('${');
}
