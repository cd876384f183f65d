import type { Datapath } from './cni/cni-plugin';
import type { NodeRole } from './network/ports';
import type { AddressPlanData } from './plan/address-plan';

/** Marks the stack output that describes a cluster's network. */
export const NETWORK_DESCRIPTION_KIND = 'cdktf-kubeadm-cluster/network-description';

/**
 * What a synthesised stack says about each cluster's network, as the value of the output
 * `<cluster>_network_description`: the address plan, the plugin and its datapath, and the
 * security groups as Terraform references. The groups' rules are the stack's own
 * `aws_vpc_security_group_ingress_rule` resources, so a tool reading this sees exactly what AWS
 * will be asked to open.
 */
export interface NetworkDescription {
  readonly kind: typeof NETWORK_DESCRIPTION_KIND;
  readonly version: 1;
  readonly clusterName: string;
  readonly plan: AddressPlanData;
  readonly plugin: { readonly name: string; readonly datapath: Datapath };
  /** `${aws_security_group.<id>.id}` reference of each role's group. */
  readonly securityGroups: Readonly<Record<NodeRole, string>>;
}
