import { DataHttp } from '@cdktf/provider-http/lib/data-http';
import { HttpProvider } from '@cdktf/provider-http/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { CniInstallContext, CniPlugin } from '../../lib/cni';
import { AddressPlan, AddressPlanProps } from '../../lib/plan/address-plan';
import { Json } from './k8s-objects';

/** The address of the stand-in readiness wait every plugin resource must depend on. */
export const READINESS_WAIT = 'data.http.api-ready';
export const KUBERNETES_PROVIDER = 'kubernetes.cluster';
export const HELM_PROVIDER = 'helm.cluster';

export interface SynthesisedPlugin {
  readonly json: Json;
  readonly context: CniInstallContext;
  readonly stack: TerraformStack;
}

/**
 * Installs a plugin into a fresh stack with aliased kubernetes and helm providers (as the cluster
 * construct makes them), a plan, and a stand-in for the API readiness wait; synthesises it with
 * validations and returns the parsed JSON. `overrides` replace parts of the context (a function
 * gets the stack, to make tokens in it); `prepare` adds to the stack before the plugin installs.
 */
export function synthesisePlugin(
  plugin: CniPlugin,
  planProps: AddressPlanProps = {},
  overrides: Partial<CniInstallContext> | ((stack: TerraformStack) => Partial<CniInstallContext>) = {},
  prepare: (stack: TerraformStack) => void = () => {},
): SynthesisedPlugin {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  prepare(stack);
  const endpoint = { host: 'https://10.0.0.10:6443', clusterCaCertificate: 'dummy-ca' };
  const kubernetesProvider = new KubernetesProvider(stack, 'kubernetes', { alias: 'cluster', ...endpoint });
  const helmProvider = new HelmProvider(stack, 'helm', { alias: 'cluster', kubernetes: endpoint });
  new HttpProvider(stack, 'http');
  const ready = new DataHttp(stack, 'api-ready', { url: 'https://10.0.0.10:6443/readyz' });
  const context: CniInstallContext = {
    plan: AddressPlan.create(planProps),
    kubernetesProvider,
    helmProvider,
    apiServerHost: '10.0.0.10',
    apiServerPort: 6443,
    dependsOn: [ready],
    ...(typeof overrides === 'function' ? overrides(stack) : overrides),
  };
  plugin.install(stack, 'cni', context);
  return { json: JSON.parse(Testing.synth(stack, true)), context, stack };
}

/** Every resource of the stack as [type, name, body]. */
export function resourcesOf(json: Json): Array<[string, string, Json]> {
  const out: Array<[string, string, Json]> = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, body] of Object.entries(byName as Record<string, Json>)) {
      out.push([type, name, body]);
    }
  }
  return out;
}
