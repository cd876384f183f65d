import type { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { PortRule } from '../network/ports';
import type { AddressPlan } from '../plan/address-plan';

/** How a plugin carries pod traffic between nodes, for documentation and the offline rehearsal. */
export interface Datapath {
  /** `vxlan` (UDP encapsulation), `ipip` (IP protocol 4), or `routed` (plain routes between nodes). */
  readonly encapsulation: 'vxlan' | 'ipip' | 'routed';
  /** UDP port of the encapsulation, for `vxlan`. */
  readonly port?: number;
  /** TCP ports the plugin's agents talk to each other on (control traffic, health checks). */
  readonly controlPorts: readonly number[];
}

/** What a plugin gets to install itself into the new cluster. */
export interface CniInstallContext {
  readonly plan: AddressPlan;
  /** Provider for the new cluster's API (aliased so it never clashes with the user's own). */
  readonly kubernetesProvider: KubernetesProvider;
  /** Helm provider for the same cluster, for plugins upstream supports only as a chart. */
  readonly helmProvider: HelmProvider;
  /** Host name or IP of the API server as nodes reach it. */
  readonly apiServerHost: string;
  readonly apiServerPort: number;
  /**
   * Nodes the cluster always has: the control plane plus every pool's minimum size. Plugins that
   * spread replicas over nodes size them by it.
   * @default - the plan's node count
   */
  readonly guaranteedNodeCount?: number;
  /** What every plugin resource must wait for (the API readiness wait). */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** The parts of the installed plugin others may wait for or compose with. */
export interface CniInstallation {
  /** Resources whose completion means the plugin is applied. */
  readonly resources: readonly ITerraformDependable[];
}

/**
 * A network plugin: its pod range default, the ports it needs between nodes, its datapath and the
 * Kubernetes resources that install it. Get one from the `Cni` factories.
 */
export interface CniPlugin {
  /** Short name, for example `weave-net`. */
  readonly name: string;
  /** The plugin's own default pod range, used when the cluster gives none. */
  readonly defaultPodCidr: string;
  /** Traffic the plugin needs between nodes (added to the Kubernetes ports in the security groups). */
  readonly ports: readonly PortRule[];
  readonly datapath: Datapath;
  /** Adds the plugin's resources under `scope`, with the pod range from `context.plan`. */
  install(scope: Construct, id: string, context: CniInstallContext): CniInstallation;
}
