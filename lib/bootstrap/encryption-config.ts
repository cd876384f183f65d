import { toYaml } from './yaml';

/** A key of the `secretbox` provider: a name and 32 random bytes, base64-encoded. */
export interface EncryptionKey {
  readonly name: string;
  /** Base64 of 32 random bytes (a Terraform token in the cluster: the key never reaches user-data). */
  readonly secret: string;
}

/** The API server's `EncryptionConfiguration` (apiserver.config.k8s.io/v1), the fields set here. */
export interface EncryptionConfiguration {
  readonly apiVersion: 'apiserver.config.k8s.io/v1';
  readonly kind: 'EncryptionConfiguration';
  readonly resources: ReadonlyArray<{
    readonly resources: readonly string[];
    readonly providers: ReadonlyArray<{ readonly secretbox: { readonly keys: readonly EncryptionKey[] } } | { readonly identity: Record<string, never> }>;
  }>;
}

/**
 * Encrypts Secrets in etcd with `secretbox` (XSalsa20 and Poly1305; not `aescbc`, which the
 * Kubernetes documentation calls weak). The first key encrypts, every key decrypts, and `identity`
 * last keeps Secrets written before encryption was on readable, so a key is added by listing it
 * first and retired once every Secret has been rewritten.
 */
export function encryptionConfiguration(keys: readonly EncryptionKey[]): EncryptionConfiguration {
  if (keys.length === 0) {
    throw new Error('an encryption configuration needs at least one key');
  }
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [...keys] } }, { identity: {} }] }],
  };
}

export function renderEncryptionConfiguration(config: EncryptionConfiguration): string {
  return toYaml(config);
}
