import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Annotations, Fn, ITerraformDependable, TerraformResource, Token } from 'cdktf';
import { Construct } from 'constructs';
import { API_SERVER_PORT } from '../network/ports';
import { ClusterConfigError } from '../plan/problems';
import { TerraformData } from '../util/terraform-data';
import { DEFAULT_READINESS_TIMEOUT_MINUTES } from '../bootstrap/boot-budget';
import { READINESS_ENV, READINESS_PROGRAM } from './readiness-program';

/** Warned at synth when the readiness wait is shorter than the first control-plane node's boot budget. */
export function readinessBelowBudgetWarning(minutes: number): string {
  return `readinessTimeoutMinutes is ${minutes}, less than the ${DEFAULT_READINESS_TIMEOUT_MINUTES} minutes the first control-plane node may take to a serving API when apt's lock and remote steps make it retry (see "Boot budgets" in the README): such a slow but healthy boot would fail the deploy. Leave it unset, or set at least ${DEFAULT_READINESS_TIMEOUT_MINUTES}.`;
}

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
   * installed its packages, which takes a few minutes, and longer when apt's lock or a remote step
   * makes it retry. A healthy deploy goes on as soon as the API answers.
   * @default DEFAULT_READINESS_TIMEOUT_MINUTES - the first control-plane node's boot budget (50)
   */
  readonly readinessTimeoutMinutes?: number;
  /**
   * Control-plane instance ids and their region, named in the message when the API does not
   * become ready.
   * @default - the message names no instance
   */
  readonly controlPlaneInstanceIds?: readonly string[];
  readonly region?: string;
}

/**
 * Terraform's way into the new cluster: kubernetes and helm providers configured from the PKI, and a
 * wait until the API server is ready, so that one apply can go on to install Kubernetes resources.
 */
export class ClusterAccess extends Construct {
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly helmProvider: HelmProvider;
  /**
   * Created once `/readyz` answered 200 with the cluster CA pinned; replaced (and so waited for
   * again) only when the endpoint or the CA changes. Kubernetes resources depend on it.
   */
  public readonly readiness: TerraformResource;
  /** `https://host:port` of the API server. */
  public readonly endpointUrl: string;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const timeout = props.readinessTimeoutMinutes ?? DEFAULT_READINESS_TIMEOUT_MINUTES;
    if (!Token.isUnresolved(timeout) && (!Number.isInteger(timeout) || timeout < 1 || timeout > 120)) {
      throw new ClusterConfigError([{ property: 'readinessTimeoutMinutes', value: String(timeout), message: 'must be a whole number of minutes from 1 to 120', fix: `use for example ${DEFAULT_READINESS_TIMEOUT_MINUTES}` }]);
    }
    if (!Token.isUnresolved(timeout) && timeout < DEFAULT_READINESS_TIMEOUT_MINUTES) {
      Annotations.of(this).addWarning(readinessBelowBudgetWarning(timeout));
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

    // Run once, when the API first comes up, and again only when its address or CA changes: a
    // plan, a later deploy and a destroy never wait for (or even reach) the API here. The program
    // is in the interpreter list, so a failure message shows only the short command after it.
    this.readiness = new TerraformData(this, 'readiness', {
      triggersReplace: { endpoint: this.endpointUrl, ca_certificate: props.clusterCaCertPem },
      dependsOn: [...props.dependsOn],
      provisioners: [
        {
          type: 'local-exec',
          interpreter: ['node', '-e', READINESS_PROGRAM],
          command: `wait for the Kubernetes API at ${this.endpointUrl}`,
          environment: {
            [READINESS_ENV.url]: this.endpointUrl,
            [READINESS_ENV.caPem]: props.clusterCaCertPem,
            // Terraform keeps the key sensitive here, and so hides the program's progress lines.
            [READINESS_ENV.clientCertPem]: props.clientCertPem,
            [READINESS_ENV.clientKeyPem]: props.clientKeyPem,
            [READINESS_ENV.timeoutSeconds]: String(timeout * 60),
            ...(props.controlPlaneInstanceIds ? { [READINESS_ENV.instanceIds]: Fn.join(' ', [...props.controlPlaneInstanceIds]) } : {}),
            ...(props.region ? { [READINESS_ENV.region]: props.region } : {}),
          },
        },
      ],
    });
  }
}
