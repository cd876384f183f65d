import { Op } from 'cdktf';
import { Construct } from 'constructs';
import { TerraformData } from '../util/terraform-data';

/**
 * Refuses, before IAM's view changes, an apply that would move the cluster's issuer URL.
 *
 * The URL is in every projected token and in the API server's `--service-account-issuer`, which
 * kubeadm fixes at `kubeadm init` (joining control-plane nodes read the cluster's stored
 * ClusterConfiguration, and Terraform ignores changes to a running node's user-data). A new URL
 * in the stack would re-point the IAM provider and every role's trust while the API server keeps
 * signing with the old one: every web-identity call would fail, silently, after a green apply.
 *
 * `pin` remembers the URL the cluster was first deployed with (changes to its input are ignored,
 * so its output stays); `guard` carries the URL of this deploy and checks the two are the same.
 * It changes whenever the URL does, so the check runs in the apply too when the new URL is only
 * known then (a new distribution). The bucket's access settings and policy, the discovery
 * document and the IAM provider wait for it.
 *
 * Moving a cluster to a new issuer on purpose is a migration (README, "Moving a cluster from the
 * previous release"): its last step removes the pin from the state, and the next deploy pins the
 * new URL.
 */
export function issuerUrlPin(scope: Construct, issuerUrl: string): TerraformData {
  const pin = new TerraformData(scope, 'issuer-url-pin', { input: { url: issuerUrl }, lifecycle: { ignoreChanges: ['input'] } });
  return new TerraformData(scope, 'issuer-url-guard', {
    input: { url: issuerUrl },
    lifecycle: {
      precondition: [
        {
          condition: Op.eq(pin.output.lookup('url'), issuerUrl),
          errorMessage:
            'This deploy would move the service-account issuer of a running cluster, whose API server keeps signing as the URL it was created with ' +
            '(the issuer-url-pin in the state holds it): every pod\'s AWS credentials would fail. Keep the hosting the cluster was deployed with ' +
            '(ServiceAccountIssuerHosting.publicBucket() for a cluster that signs as its bucket), or move it as the README\'s migration says.',
        },
      ],
    },
  });
}
