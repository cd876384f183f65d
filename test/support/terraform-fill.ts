import { gunzipSync } from 'node:zlib';
import { evaluateAttribute, HclValue, referencesIn } from './hcl-eval';
import { certificatePem, keyPair, privateKeyPem } from './realistic-pki';

/**
 * Plays Terraform for the attributes this library synthesises: evaluates them (see hcl-eval) with
 * realistic values standing in for each referenced attribute, and decodes user-data the way EC2
 * and cloud-init do (base64, then gzip when compressed). A reference it has no value for is an
 * error, so a new kind of input cannot slip through unchecked.
 */
export class TerraformFiller {
  private readonly values = new Map<string, string>();

  /** Value of a reference such as `tls_self_signed_cert.x.cert_pem`. */
  public valueOf(reference: string): string {
    let value = this.values.get(reference);
    if (value === undefined) {
      value = realisticValue(reference);
      this.values.set(reference, value);
    }
    return value;
  }

  /** An attribute's value once Terraform evaluated it. */
  public evaluate(attribute: string): string {
    return evaluateAttribute(attribute, (reference): HclValue => this.valueOf(reference));
  }

  /** User-data as the instance receives it: base64 decoded, and gunzipped when compressed. */
  public decodeUserData(attribute: string): { bytes: Buffer; text: string } {
    const bytes = Buffer.from(this.evaluate(attribute), 'base64');
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    return { bytes, text: (gzipped ? gunzipSync(bytes) : bytes).toString('utf8') };
  }

  /** The references an attribute makes. */
  public static references(attribute: string): string[] {
    return referencesIn(attribute);
  }
}

function realisticValue(reference: string): string {
  const parts = reference.split('.');
  const [type, name, ...attribute] = parts[0] === 'data' ? parts.slice(1) : parts;
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
  if (type === 'aws_eip' && attr === 'public_ip') {
    return '203.0.113.10';
  }
  if (type === 'aws_lb' && attr === 'dns_name') {
    return `${name.slice(0, 20).toLowerCase().replace(/[^a-z0-9-]/g, '-')}-0123456789abcdef.elb.eu-west-1.amazonaws.com`;
  }
  if (type === 'aws_ebs_volume' && attr === 'id') {
    return 'vol-0123456789abcdef0';
  }
  if (type === 'aws_region' && attr === 'region') {
    // The longest region names have 14 characters.
    return 'ap-southeast-5';
  }
  if (type === 'aws_kms_alias' && attr === 'name') {
    return `alias/kubeadm/${name}`;
  }
  if (type === 'aws_ssm_parameter' && attr === 'name') {
    return `/kubeadm/cluster/${name}`;
  }
  if (type === 'aws_cloudformation_stack' && attr === 'outputs.BucketName') {
    // CloudFormation names a bucket <stack>-<logical id>-<random>, lower-case, at most 63 characters.
    return 'kubeadm-cluster-demo-etcd-backups-bucket-1x2y3z4w5v6u7';
  }
  if (type === 'aws_s3_bucket' && attr === 'bucket') {
    // A bucket_prefix of 36 characters plus the 26 Terraform adds: the longest name it makes.
    return `${'c'.repeat(30)}-oidc-20261129114501234500000001`;
  }
  if (type === 'aws_cloudfront_distribution' && attr === 'domain_name') {
    // CloudFront names a distribution d + 13 lower-case letters and digits (d111111abcdef8.cloudfront.net in its docs).
    return 'd111111abcdef8.cloudfront.net';
  }
  if (type === 'aws_sqs_queue' && attr === 'url') {
    // A queue name is at most 80 characters.
    return `https://sqs.ap-southeast-5.amazonaws.com/123456789012/${name.slice(0, 80)}`;
  }
  if (type === 'aws_iam_role' && attr === 'arn') {
    // A role name is at most 64 characters.
    return `arn:aws:iam::123456789012:role/${name.slice(0, 64)}`;
  }
  throw new Error(`no realistic value for ${reference}`);
}
