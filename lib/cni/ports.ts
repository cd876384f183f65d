import { betweenAllNodes, PortRule } from '../network/ports';

// Each network plugin's traffic between nodes, from the plugins' own documentation (see the
// reference notes on each plugin). Tables take the plugin's options because some ports exist only
// with an option on.

export interface WeavePortOptions {
  /** Encrypted fast datapath adds ESP. */
  readonly encryption?: boolean;
}

export function weavePorts(options: WeavePortOptions = {}): PortRule[] {
  return [
    betweenAllNodes({ description: 'Weave Net control and sleeve', protocol: 'tcp', fromPort: 6783, toPort: 6783 }),
    betweenAllNodes({ description: 'Weave Net sleeve and fast datapath', protocol: 'udp', fromPort: 6783, toPort: 6784 }),
    ...(options.encryption ? [betweenAllNodes({ description: 'Weave Net encrypted fast datapath (ESP)', protocol: 'esp' })] : []),
  ];
}

export function flannelPorts(): PortRule[] {
  return [betweenAllNodes({ description: 'Flannel VXLAN', protocol: 'udp', fromPort: 8472, toPort: 8472 })];
}

export interface CiliumPortOptions {
  readonly wireguard?: boolean;
}

export function ciliumPorts(options: CiliumPortOptions = {}): PortRule[] {
  return [
    betweenAllNodes({ description: 'Cilium VXLAN', protocol: 'udp', fromPort: 8472, toPort: 8472 }),
    betweenAllNodes({ description: 'Cilium health checks', protocol: 'tcp', fromPort: 4240, toPort: 4240 }),
    betweenAllNodes({ description: 'Cilium health checks (ICMP echo)', protocol: 'icmp', fromPort: 8, toPort: 0 }),
    ...(options.wireguard ? [betweenAllNodes({ description: 'Cilium WireGuard', protocol: 'udp', fromPort: 51871, toPort: 51871 })] : []),
  ];
}

export type CalicoEncapsulation = 'VXLAN' | 'IPIP';

export interface CalicoPortOptions {
  readonly encapsulation: CalicoEncapsulation;
}

export function calicoPorts(options: CalicoPortOptions): PortRule[] {
  return [
    betweenAllNodes({ description: 'Calico BGP', protocol: 'tcp', fromPort: 179, toPort: 179 }),
    betweenAllNodes({ description: 'Calico Typha', protocol: 'tcp', fromPort: 5473, toPort: 5473 }),
    options.encapsulation === 'VXLAN'
      ? betweenAllNodes({ description: 'Calico VXLAN', protocol: 'udp', fromPort: 4789, toPort: 4789 })
      : betweenAllNodes({ description: 'Calico IP-in-IP', protocol: 'ipip' }),
  ];
}
