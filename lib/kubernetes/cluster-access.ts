import { DataHttp } from '@cdktf/provider-http/lib/data-http';
import { HttpProvider } from '@cdktf/provider-http/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { API_SERVER_PORT } from '../network/ports';
import { ClusterConfigError } from '../plan/problems';
import { stackProvider } from '../util/providers';

export interface ClusterAccessProps {
  /** Address (IP or DNS name) of the API server as the machine running Terraform reaches it. */
  readonly endpointHost: string;
  /**
   * @default 6443
   */
  readonly endpointPort?: number;
  /** The cluster CA certificate (PEM), pinned by every client. */
  readonly clusterCaCertPem: string;
  /** Client certificate and key (PEM) Terraform authenticates with; authorised from the API's first moment. */
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /**
   * Alias of the kubernetes and helm providers, unique per cluster so that they never clash with
   * the user's own providers or another cluster's.
   */
  readonly providerAlias: string;
  /**
   * What must exist before the API can answer: the control-plane nodes, their endpoint and the
   * rules that let this machine in. Depending on them also defers the wait to apply time whenever
   * one of them changes.
   */
  readonly dependsOn: readonly ITerraformDependable[];
  /**
   * How long to wait for the API server to answer `/readyz`: kubeadm init runs after the node has
   * installed its packages, which takes a few minutes.
   * @default 15 (minutes)
   */
  readonly readinessTimeoutMinutes?: number;
}

/**
 * Terraform's way into the new cluster: kubernetes and helm providers configured from the PKI, and a
 * wait until the API server is ready, so that one apply can go on to install Kubernetes resources.
 */
export class ClusterAccess extends Construct {
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;
  /** Completes once `/readyz` answered 200 with the cluster CA pinned. Kubernetes resources depend on it. */
  public readonly readiness: DataHttp;
  /** `https://host:port` of the API server. */
  public readonly endpointUrl: string;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const timeout = props.readinessTimeoutMinutes ?? 15;
    if (!Token.isUnresolved(timeout) && (!Number.isInteger(timeout) || timeout < 1 || timeout > 120)) {
      throw new ClusterConfigError([{ property: 'readinessTimeoutMinutes', value: String(timeout), message: 'must be a whole number of minutes from 1 to 120', fix: 'use for example 15' }]);
    }
    const port = props.endpointPort ?? API_SERVER_PORT;
    this.endpointUrl = `https://${props.endpointHost}:${port}`;
    const credentials = {
      host: this.endpointUrl,
      clusterCaCertificate: props.clusterCaCertPem,
      clientCertificate: props.clientCertPem,
      clientKey: props.clientKeyPem,
    };
    this.kubernetesProvider = new KubernetesProvider(this, 'kubernetes', { alias: props.providerAlias, ...credentials });
    this.helmProvider = new HelmProvider(this, 'helm', { alias: props.providerAlias, kubernetes: credentials });

    stackProvider(this, HttpProvider, 'http');
    // A delay of 10 s between attempts turns the timeout into a bounded number of attempts.
    const delayMs = 10_000;
    this.readiness = new DataHttp(this, 'readyz', {
      url: `${this.endpointUrl}/readyz`,
      caCertPem: props.clusterCaCertPem,
      // Authenticated, because an anonymous /readyz is refused (403, which is not retried) until
      // the API server has bootstrapped its RBAC roles.
      clientCertPem: props.clientCertPem,
      clientKeyPem: props.clientKeyPem,
      requestTimeoutMs: 5_000,
      retry: { attempts: Math.ceil((timeout * 60_000) / delayMs), minDelayMs: delayMs, maxDelayMs: delayMs },
      // Depending on the nodes defers the read to apply time, after they exist.
      dependsOn: [...props.dependsOn],
      lifecycle: {
        postcondition: [
          {
            condition: '${self.status_code == 200}',
            errorMessage: `The Kubernetes API server at ${this.endpointUrl} did not become ready within ${timeout} minutes. Check the control-plane node's /var/log/kubeadm-bootstrap.log (aws ssm start-session) and that your address is in apiAccessCidrs.`,
          },
        ],
      },
    });
  }
}
