import { Calico, CalicoOptions } from './calico';
import { Cilium, CiliumOptions } from './cilium';
import { Flannel, FlannelOptions } from './flannel';
import { VpcRoutes, VpcRoutesOptions } from './vpc-routes';
import { WeaveNet, WeaveOptions } from './weave';

/**
 * The network plugins a cluster can run. Each factory checks its options at once and throws a
 * `ClusterConfigError` listing every problem; checks that need the address plan run at install.
 *
 * @example Cni.weave({ encryption: true })
 */
export class Cni {
  /** Weave Net: typed Kubernetes resources after its v2.8.1 manifest; optional encryption. */
  public static weave(options: WeaveOptions = {}): WeaveNet {
    return new WeaveNet(options);
  }

  /** Flannel with the VXLAN backend: typed Kubernetes resources after its v0.28.9 manifest. */
  public static flannel(options: FlannelOptions = {}): Flannel {
    return new Flannel(options);
  }

  /** Cilium through its Helm chart, VXLAN tunnel mode; optional WireGuard. */
  public static cilium(options: CiliumOptions = {}): Cilium {
    return new Cilium(options);
  }

  /** Calico through the Tigera operator's Helm chart, VXLAN or IP-in-IP. */
  public static calico(options: CalicoOptions = {}): Calico {
    return new Calico(options);
  }

  /**
   * No overlay: each node's pod range is routed to it in the VPC's route tables, pods sit on a
   * plain bridge, and the MTU is the VPC's 9001. One route per node, so the cluster's largest size
   * must fit the route tables' quota (50 by default).
   */
  public static vpcRoutes(options: VpcRoutesOptions = {}): VpcRoutes {
    return new VpcRoutes(options);
  }

  private constructor() {}
}
