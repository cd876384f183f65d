import { DataHttp } from '@cdktf/provider-http/lib/data-http';
import { HttpProvider } from '@cdktf/provider-http/lib/provider';
import { Annotations, Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { stackProvider } from '../util/providers';

// A lookup of the deploying machine's public address; AWS serves it for exactly this purpose.
const CHECKIP_URL = 'https://checkip.amazonaws.com';

/** Warned at synth when the API is open to the deploying machine only. */
export const DEPLOYER_ADDRESS_WARNING =
  'apiAccessCidrs is not set, so the API admits only the address of the machine that runs each deploy. ' +
  'That suits a first try from one machine. A deploy from another address (a CI runner, another laptop) replaces the rule, ' +
  'and until that deploy has updated it, its own refresh of the cluster\'s Kubernetes resources cannot reach the API. ' +
  'List every range that deploys in apiAccessCidrs.';

/**
 * The deploying machine's public address as a /32, looked up at each plan (with a warning at synth
 * that says what that means for deploys from elsewhere), for a cluster without `apiAccessCidrs`.
 */
export function deployerAddressCidr(scope: Construct): string {
  Annotations.of(scope).addWarning(DEPLOYER_ADDRESS_WARNING);
  stackProvider(scope, HttpProvider, 'http');
  const lookup = new DataHttp(scope, 'deployer-address', {
    url: CHECKIP_URL,
    lifecycle: {
      postcondition: [
        {
          condition: '${can(cidrhost(format("%s/32", chomp(self.response_body)), 0))}',
          errorMessage: `Could not learn this machine's public address from ${CHECKIP_URL}. Set apiAccessCidrs to the ranges that may reach the API, this machine's included.`,
        },
      ],
    },
  });
  return `${Fn.chomp(lookup.responseBody)}/32`;
}
