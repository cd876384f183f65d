import { generateKeyPairSync, randomBytes } from 'node:crypto';

// PEM values of realistic size and form, for filling in the Terraform attributes that carry the
// PKI when user-data is checked as a node would receive it.

export type KeyKind = 'ecdsa' | 'rsa';

export function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

export function keyPair(kind: KeyKind) {
  return kind === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** A private key PEM as the tls provider gives it: SEC1 for ECDSA, PKCS#1 for RSA. */
export function privateKeyPem(kind: KeyKind): string {
  return keyPair(kind).privateKey.export({ type: kind === 'ecdsa' ? 'sec1' : 'pkcs1', format: 'pem' }) as string;
}

/**
 * A CA certificate PEM of realistic length. Node cannot sign certificates, so the body is random;
 * the lengths are a little above real CA certificates with subject, key usage, basic constraints and
 * key identifiers (openssl: about 690 bytes of PEM for P-256, 1,220 for RSA-2048).
 */
export function certificatePem(kind: KeyKind): string {
  return pem('CERTIFICATE', randomBytes(kind === 'ecdsa' ? 520 : 920));
}

/** The cluster's PKI files as Terraform makes them. */
export type RealisticPki = Record<'caCertificate' | 'caKey' | 'frontProxyCaCertificate' | 'frontProxyCaKey' | 'etcdCaCertificate' | 'etcdCaKey' | 'serviceAccountKey' | 'serviceAccountPublicKey', string>;

export function realisticPki(kind: KeyKind): RealisticPki {
  const serviceAccount = keyPair(kind);
  return {
    caCertificate: certificatePem(kind),
    caKey: privateKeyPem(kind),
    frontProxyCaCertificate: certificatePem(kind),
    frontProxyCaKey: privateKeyPem(kind),
    etcdCaCertificate: certificatePem(kind),
    etcdCaKey: privateKeyPem(kind),
    serviceAccountKey: serviceAccount.privateKey.export({ type: kind === 'ecdsa' ? 'sec1' : 'pkcs1', format: 'pem' }) as string,
    serviceAccountPublicKey: serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

