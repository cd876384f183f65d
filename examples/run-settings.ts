import type { KubeadmClusterProps } from '../lib';

/**
 * What a run may change in an example without editing it, read from the environment: the region
 * it deploys to, its Kubernetes version and the cloud check. The end-to-end runner (`npm run e2e`)
 * sets them; with none set, every example synthesises exactly as written.
 */
export const RUN_SETTING_VARIABLES = {
  region: 'KUBEADM_EXAMPLE_REGION',
  kubernetesVersion: 'KUBEADM_EXAMPLE_KUBERNETES_VERSION',
  cloudCheck: 'KUBEADM_EXAMPLE_CLOUD_CHECK',
} as const;

export interface RunSettings {
  /** The AWS region in place of the example's own. */
  readonly region?: string;
  /** `kubernetesVersion` of every cluster of the example. */
  readonly kubernetesVersion?: string;
  /** `cloudCheck` of every cluster of the example. */
  readonly cloudCheck?: boolean;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Reads the settings; a value that is set but malformed throws, naming the variable and the fix. */
export function runSettings(env: NodeJS.ProcessEnv = process.env): RunSettings {
  const region = nonEmpty(env[RUN_SETTING_VARIABLES.region]);
  if (region !== undefined && !REGION.test(region)) {
    throw new Error(`${RUN_SETTING_VARIABLES.region}="${region}" is not an AWS region name; set it like eu-west-1, or unset it to keep the example's region`);
  }
  const cloudCheck = nonEmpty(env[RUN_SETTING_VARIABLES.cloudCheck]);
  if (cloudCheck !== undefined && cloudCheck !== 'true' && cloudCheck !== 'false') {
    throw new Error(`${RUN_SETTING_VARIABLES.cloudCheck}="${cloudCheck}" is neither true nor false; set one of them, or unset it to keep the example's choice`);
  }
  // The version is checked where every version is: by the cluster, with the supported range.
  const kubernetesVersion = nonEmpty(env[RUN_SETTING_VARIABLES.kubernetesVersion]);
  return {
    ...(region !== undefined ? { region } : {}),
    ...(kubernetesVersion !== undefined ? { kubernetesVersion } : {}),
    ...(cloudCheck !== undefined ? { cloudCheck: cloudCheck === 'true' } : {}),
  };
}

/** The example's region, unless a run names another. */
export function exampleRegion(ownRegion: string, settings: RunSettings = runSettings()): string {
  return settings.region ?? ownRegion;
}

/** Cluster props a run sets, to spread after the example's own; empty when none is set. */
export function clusterRunProps(settings: RunSettings = runSettings()): Pick<KubeadmClusterProps, 'kubernetesVersion' | 'cloudCheck'> {
  return {
    ...(settings.kubernetesVersion !== undefined ? { kubernetesVersion: settings.kubernetesVersion } : {}),
    ...(settings.cloudCheck !== undefined ? { cloudCheck: settings.cloudCheck } : {}),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
