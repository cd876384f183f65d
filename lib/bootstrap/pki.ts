import { CertRequest } from '@cdktf/provider-tls/lib/cert-request';
import { LocallySignedCert } from '@cdktf/provider-tls/lib/locally-signed-cert';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { SelfSignedCert } from '@cdktf/provider-tls/lib/self-signed-cert';
import { Construct } from 'constructs';
import { stackProvider } from '../util/providers';

/** A certificate authority: its certificate and key as Terraform attributes (PEM). */
export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClusterPkiProps {
  /** Name of the cluster, in the certificates' subjects. */
  readonly clusterName: string;
  /**
   * Lifetime of the CAs. kubeadm gives its own CAs ten years.
   * @default 87600 (ten years)
   */
  readonly caValidityHours?: number;
  /**
   * Lifetime of the admin kubeconfig's client certificate.
   * @default 8760 (one year)
   */
  readonly adminValidityHours?: number;
  /**
   * Terraform replaces the admin kubeconfig's certificate on the first apply this close to its
   * expiry (the output then carries the new one).
   * @default 720 (30 days)
   */
  readonly adminEarlyRenewalHours?: number;
}

// kubeadm binds this group to cluster-admin at init; unlike system:masters it can be unbound, so a
// leaked admin certificate can be disarmed by deleting a binding.
export const ADMIN_GROUP = 'kubeadm:cluster-admins';
export const ADMIN_USER = 'kubernetes-admin';
/** Identity of Terraform's own kubernetes and helm providers. */
export const TERRAFORM_USER = 'cdktf-kubeadm-cluster';
// kubeadm binds kubeadm:cluster-admins only after the API server has come up, so a first request
// in that group can be refused; system:masters is authorised from the first moment. The
// certificate adds no power Terraform lacks: its state holds the CA key.
const TERRAFORM_GROUP = 'system:masters';

/**
 * The cluster's PKI, made by Terraform before any node exists so that every node can boot in
 * parallel: the control plane starts kubeadm with these CAs (read from Parameter Store), workers
 * pin the same CA when they join, and Terraform's providers authenticate with their own client
 * certificate. Everything secret stays a Terraform attribute; nothing is written into the
 * synthesised JSON or into user-data.
 */
export class ClusterPki extends Construct {
  /** The cluster CA (kubeadm's ca.crt / ca.key). */
  public readonly clusterCa: CertificateAuthority;
  /** The front-proxy CA (front-proxy-ca.crt / .key). */
  public readonly frontProxyCa: CertificateAuthority;
  /** The etcd CA (etcd/ca.crt / .key). */
  public readonly etcdCa: CertificateAuthority;
  /** Service-account signing key pair (sa.key / sa.pub). */
  public readonly serviceAccountKeyPem: string;
  public readonly serviceAccountPublicKeyPem: string;
  /** Admin client certificate and key for people, in the group kubeadm binds to cluster-admin. */
  public readonly adminCertPem: string;
  public readonly adminKeyPem: string;
  /** Client certificate and key of Terraform's providers (and the readiness wait). */
  public readonly terraformCertPem: string;
  public readonly terraformKeyPem: string;

  constructor(scope: Construct, id: string, props: ClusterPkiProps) {
    super(scope, id);
    stackProvider(this, TlsProvider, 'tls');
    const caHours = props.caValidityHours ?? 87600;

    const ca = (name: string, commonName: string): CertificateAuthority => {
      const key = ecdsaKey(this, `${name}-key`);
      const cert = new SelfSignedCert(this, `${name}-cert`, {
        privateKeyPem: key.privateKeyPem,
        subject: [{ commonName, organization: props.clusterName }],
        isCaCertificate: true,
        setSubjectKeyId: true,
        validityPeriodHours: caHours,
        allowedUses: ['cert_signing', 'crl_signing', 'digital_signature', 'key_encipherment'],
      });
      return { certPem: cert.certPem, keyPem: key.privateKeyPem };
    };
    this.clusterCa = ca('cluster-ca', 'kubernetes');
    this.frontProxyCa = ca('front-proxy-ca', 'front-proxy-ca');
    this.etcdCa = ca('etcd-ca', 'etcd-ca');

    const sa = ecdsaKey(this, 'service-account-key');
    this.serviceAccountKeyPem = sa.privateKeyPem;
    this.serviceAccountPublicKeyPem = sa.publicKeyPem;

    const clientCertificate = (name: string, commonName: string, organization: string, validityHours: number, earlyRenewalHours: number) => {
      const key = ecdsaKey(this, `${name}-key`);
      const request = new CertRequest(this, `${name}-csr`, { privateKeyPem: key.privateKeyPem, subject: [{ commonName, organization }] });
      const cert = new LocallySignedCert(this, `${name}-cert`, {
        certRequestPem: request.certRequestPem,
        caCertPem: this.clusterCa.certPem,
        caPrivateKeyPem: this.clusterCa.keyPem,
        validityPeriodHours: validityHours,
        earlyRenewalHours,
        allowedUses: ['client_auth', 'digital_signature', 'key_encipherment'],
      });
      return { certPem: cert.certPem, keyPem: key.privateKeyPem };
    };
    const admin = clientCertificate('admin', ADMIN_USER, ADMIN_GROUP, props.adminValidityHours ?? 8760, props.adminEarlyRenewalHours ?? 720);
    this.adminCertPem = admin.certPem;
    this.adminKeyPem = admin.keyPem;
    // Terraform's own credential lives as long as the CA and is never renewed early: a renewal would
    // leave it unknown during a plan, and the providers would then read every resource anonymously.
    // It grants nothing the state does not already hold (the CA key). Rotate it deliberately with
    // `terraform apply -replace` on its certificate.
    const terraform = clientCertificate('terraform', TERRAFORM_USER, TERRAFORM_GROUP, caHours, 0);
    this.terraformCertPem = terraform.certPem;
    this.terraformKeyPem = terraform.keyPem;
  }
}

// ECDSA P-256 keeps every PEM a few hundred bytes: certificates stay small, and every key fits a
// standard (4 KB) Parameter Store SecureString.
function ecdsaKey(scope: Construct, id: string): PrivateKey {
  return new PrivateKey(scope, id, { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
}
