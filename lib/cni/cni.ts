import { Calico, CalicoOptions } from './calico';
import { Cilium, CiliumOptions } from './cilium';
import { Flannel, FlannelOptions } from './flannel';
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

  private constructor() {}
}
