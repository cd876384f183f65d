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

/**
 * Checks that rendered text survives being placed into Terraform, once the given input values (which
 * may be tokens) are taken out. Terraform reads `${` and `%{` in any string as template syntax, and
 * cdktf's `Fn.base64encode`/`Fn.base64gzip` refuse double quotes in literals and pass backslashes
 * on to HCL, where they start escapes. Throws when the text holds any of these.
 */
export function assertTerraformSafe(text: string, inputs: readonly string[], what: string): void {
  let literal = text;
  // Longest first, so that an input that contains another is removed whole.
  for (const input of [...inputs].filter((i) => i.length > 0).sort((a, b) => b.length - a.length)) {
    literal = literal.split(input).join('');
  }
  const found = ['${', '%{', '"', '\\'].filter((s) => literal.includes(s));
  if (found.length > 0) {
    throw new Error(`${what} contains ${found.map((s) => `'${s}'`).join(', ')} outside its input values; Terraform would read it as template syntax or cdktf would refuse it. This is a bug in lib/bootstrap.`);
  }
}
