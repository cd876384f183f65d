import type { Release } from '@cdktf/provider-helm/lib/release';
import { ITerraformDependable, TerraformProvider, Token } from 'cdktf';
import { Construct } from 'constructs';
import { chartValues, checkChartVersion } from '../cni/common';
import { ProblemList } from '../plan/problems';
import { bindings } from '../util/bindings';

/** A Helm chart to install in the cluster. */
export interface HelmChartProps {
  /** Name of the chart in its repository, for example `cert-manager`. */
  readonly chart: string;
  /** URL of the chart repository (`https://…` or `oci://…`). */
  readonly repository: string;
  /** The exact chart version: a range or tag would let a later apply install another release. */
  readonly version: string;
  /**
   * Name of the Helm release.
   * @default - the id
   */
  readonly releaseName?: string;
  /**
   * Namespace of the release.
   * @default 'default'
   */
  readonly namespace?: string;
  /**
   * Whether the release creates its namespace when it does not exist.
   * @default true
   */
  readonly createNamespace?: boolean;
  /**
   * Chart values as an object; serialised to YAML by the library. Values may hold Terraform tokens.
   * @default - the chart's defaults
   */
  readonly values?: object;
  /**
   * How long Helm waits for the release's resources to be ready, in seconds.
   * @default 600
   */
  readonly timeoutSeconds?: number;
  /**
   * What else the release waits for, besides the API server being ready.
   * @default - only the API server
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** What the workloads are bound to: the cluster's providers and its API readiness. */
export interface ClusterWorkloadsProps {
  readonly kubernetesProvider: TerraformProvider;
  readonly helmProvider: TerraformProvider;
  /** Completes once the API server answers; everything added here waits for it. */
  readonly readiness: ITerraformDependable;
}

/** A typed Kubernetes resource class of the kubernetes provider, for example `NamespaceV1`. */
export type KubernetesResourceClass<C, R> = new (scope: Construct, id: string, config: C) => R;

/** The config of a typed resource without what the cluster sets: the provider. */
export type KubernetesResourceConfig<C> = Omit<C, 'provider'>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Where Helm charts and typed Kubernetes resources join the cluster: each is bound to the cluster's
 * own providers and waits for its API server, so that adding one is one call with no provider or
 * ordering plumbing. The cluster's own add-ons go through the same two methods.
 */
export class ClusterWorkloads extends Construct {
  private readonly props: ClusterWorkloadsProps;

  constructor(scope: Construct, id: string, props: ClusterWorkloadsProps) {
    super(scope, id);
    this.props = props;
  }

  /** Installs a Helm chart in the cluster, once its API server is ready. */
  public addHelmChart(id: string, props: HelmChartProps): Release {
    const problems = new ProblemList();
    const releaseName = props.releaseName ?? id;
    const namespace = props.namespace ?? 'default';
    if (typeof props.chart !== 'string' || props.chart.length === 0) {
      problems.add('chart', props.chart, 'is empty', 'name the chart, for example cert-manager');
    }
    if (typeof props.repository !== 'string' || !/^(https|oci):\/\/\S+$/.test(props.repository)) {
      problems.add('repository', props.repository, 'is not an https:// or oci:// URL', 'give the chart repository, for example https://charts.jetstack.io');
    }
    checkChartVersion(problems, 'version', props.version, /^v/.test(props.version ?? ''), '1.2.3');
    for (const [property, value] of [['releaseName', releaseName], ['namespace', namespace]] as const) {
      if (!Token.isUnresolved(value) && (value.length > 53 || !DNS_LABEL.test(value))) {
        problems.add(property, value, 'is not a DNS label Helm accepts (at most 53 characters)', 'use lower-case letters, digits and dashes');
      }
    }
    const timeout = props.timeoutSeconds ?? 600;
    if (!Number.isInteger(timeout) || timeout < 60 || timeout > 3600) {
      problems.add('timeoutSeconds', timeout, 'is not a whole number of seconds from 60 to 3600', 'use for example 600');
    }
    problems.throwIfAny();
    return new bindings.Release(this, id, {
      provider: this.props.helmProvider,
      dependsOn: [this.props.readiness, ...(props.dependsOn ?? [])],
      name: releaseName,
      repository: props.repository,
      chart: props.chart,
      version: props.version,
      namespace,
      createNamespace: props.createNamespace ?? true,
      values: props.values !== undefined ? [chartValues(props.values)] : undefined,
      timeout,
    });
  }

  /**
   * Adds a typed Kubernetes resource of the kubernetes provider (`NamespaceV1`, `DeploymentV1`, …)
   * bound to the cluster's provider, once its API server is ready.
   */
  public addKubernetesResource<C extends { readonly provider?: TerraformProvider; readonly dependsOn?: ITerraformDependable[] }, R>(
    id: string,
    type: KubernetesResourceClass<C, R>,
    config: KubernetesResourceConfig<C>,
  ): R {
    const dependsOn = [this.props.readiness, ...((config as { dependsOn?: ITerraformDependable[] }).dependsOn ?? [])];
    return new type(this, id, { ...config, provider: this.props.kubernetesProvider, dependsOn } as unknown as C);
  }
}
