import { certificatePem, privateKeyPem, keyPair } from './realistic-pki';

/**
 * Plays Terraform for the string expressions this library synthesises: evaluates
 * `${base64encode("...")}` around a template whose `${...}` interpolations are references, with
 * realistic values standing in for each referenced attribute. Anything else it meets is an error,
 * so a new kind of expression cannot slip through unchecked.
 */
export class TerraformFiller {
  private readonly values = new Map<string, string>();

  /** Value of a reference such as `tls_private_key.x.private_key_pem`. */
  public valueOf(reference: string): string {
    let value = this.values.get(reference);
    if (value === undefined) {
      value = realisticValue(reference);
      this.values.set(reference, value);
    }
    return value;
  }

  /** Evaluates a synthesised attribute that is a whole `${base64encode("...")}` expression; returns the decoded text. */
  public decodeBase64Expression(expression: string): string {
    const match = /^\$\{base64encode\("([\s\S]*)"\)\}$/.exec(expression);
    if (!match) {
      throw new Error(`not a base64encode expression: ${expression.slice(0, 80)}`);
    }
    // The literal inside uses JSON-compatible escapes (\n, \", \\).
    const template = JSON.parse(`"${match[1]}"`) as string;
    return this.fillTemplate(template);
  }

  /** Replaces every `${...}` interpolation of a template. */
  public fillTemplate(template: string): string {
    return template.replace(/\$\{([^}]*)\}/g, (_, expression: string) => {
      const encoded = /^base64encode\(([\w.-]+)\)$/.exec(expression);
      if (encoded) {
        return Buffer.from(this.valueOf(encoded[1])).toString('base64');
      }
      if (/^[\w-]+\.[\w-]+\.[\w.-]+$/.test(expression)) {
        return this.valueOf(expression);
      }
      throw new Error(`unexpected Terraform expression in user-data: \${${expression}}`);
    });
  }
}

function realisticValue(reference: string): string {
  const [type, name, ...attribute] = reference.split('.');
  const attr = attribute.join('.');
  if (type === 'tls_private_key' && attr === 'private_key_pem') {
    return privateKeyPem('ecdsa');
  }
  if (type === 'tls_private_key' && attr === 'public_key_pem') {
    return keyPair('ecdsa').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }
  if ((type === 'tls_self_signed_cert' || type === 'tls_locally_signed_cert') && attr === 'cert_pem') {
    return certificatePem('ecdsa');
  }
  if (type === 'random_string' && attr === 'result') {
    return name.includes('token-id') ? 'x7k2pq' : 'q9w8e7r6t5y4u3i2';
  }
  if (type === 'aws_eip' && attr === 'public_ip') {
    return '203.0.113.10';
  }
  if (type === 'aws_lb' && attr === 'dns_name') {
    return `${name.slice(0, 20).toLowerCase().replace(/[^a-z0-9-]/g, '-')}-0123456789abcdef.elb.eu-west-1.amazonaws.com`;
  }
  throw new Error(`no realistic value for ${reference}`);
}
