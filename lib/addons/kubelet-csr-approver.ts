/**
 * The settings of kubelet-csr-approver, which approves the kubelets' serving certificates
 * (signer `kubernetes.io/kubelet-serving`, signed by the cluster CA) so that metrics-server can
 * verify every worker it scrapes. Control-plane kubelets do not ask it: their Nodes have public
 * addresses, which these checks deny (see kubelet-serving-certificate-program.ts).
 *
 * What it checks before it approves (and denies otherwise): the requester is a node
 * (`system:node:<name>`) and the certificate's common name is that user; the certificate asks for
 * at most one DNS name, which starts with the node's name and matches `providerRegex` (here EC2's
 * private DNS names of the cluster's region); that name resolves, through cluster DNS and the VPC's
 * resolver, to every IP address the certificate asks for; those addresses lie in the VPC's range.
 * What it does not check: the Node object or the EC2 API. A node's own credentials could therefore
 * obtain a certificate for another node's name and address in the same VPC.
 */

export interface KubeletCsrApproverValuesInput {
  /** The cluster's region (may be a Terraform token). */
  readonly region: string;
  /** The VPC's range: the only addresses a serving certificate may name. */
  readonly vpcCidr: string;
}

/**
 * EC2's private DNS names: `ip-10-0-0-4.<region>.compute.internal` (`ip-….ec2.internal` in
 * us-east-1), or the resource-based `i-0123456789abcdef0.<region>.compute.internal`. The cloud
 * controller manager gives each node this name as its `Hostname` and `InternalDNS` address.
 */
export function ec2PrivateDnsNameRegex(region: string): string {
  return `^(ip-[0-9]+-[0-9]+-[0-9]+-[0-9]+|i-[0-9a-f]+)\\.(ec2\\.internal|${region}\\.compute\\.internal)$`;
}

/** The chart values: keys of chart 1.2.14's values.yaml. */
export function kubeletCsrApproverValues(input: KubeletCsrApproverValuesInput): object {
  return {
    providerRegex: ec2PrivateDnsNameRegex(input.region),
    providerIpPrefixes: [input.vpcCidr],
    // The name must resolve to the addresses the certificate asks for.
    bypassDnsResolution: false,
  };
}
