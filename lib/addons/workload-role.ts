import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import type { PolicyDocument } from '../bootstrap/secrets-policies';
import { ownedResourceTags } from '../network/tags';
import { ProblemList } from '../plan/problems';
import type { ServiceAccountIssuer } from './service-account-issuer';
import { webIdentityPodSpec, WebIdentityPodSpec, webIdentityTrustPolicy } from './web-identity';

export interface WorkloadRoleProps {
  readonly clusterName: string;
  /** The cluster's published service-account issuer. */
  readonly issuer: ServiceAccountIssuer;
  /** Namespace of the service account that may assume the role. */
  readonly namespace: string;
  /** Name of the service account that may assume the role. */
  readonly serviceAccount: string;
  /** Short name of the role, unique in the cluster: the role is `<cluster>-<name>-<region>`. */
  readonly name: string;
  /** The region (may be a Terraform token); role names are global, clusters are regional. */
  readonly region: string;
  /** What the role may do: the least the workload needs. */
  readonly policy: PolicyDocument;
}

// A Kubernetes name: a DNS label (namespaces) or subdomain (service accounts).
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
// Role names are at most 64 characters: a 40-character cluster name, this, and a 14-character region.
const ROLE_PART = /^[a-z0-9][-a-z0-9]{0,7}$/;

/**
 * An IAM role for one Kubernetes service account, assumed by web identity through the cluster's
 * issuer: only a token of `system:serviceaccount:<namespace>:<serviceAccount>` with the STS audience
 * gets it, and it may do only what its inline policy says. Pods get the credentials from the
 * projected token that `podSpec()` describes; nodes keep their metadata hop limit of 1.
 */
export class WorkloadRole extends Construct {
  public readonly role: IamRole;
  public readonly policy: IamRolePolicy;
  public readonly namespace: string;
  public readonly serviceAccount: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: WorkloadRoleProps) {
    super(scope, id);
    const problems = new ProblemList();
    if (typeof props.namespace !== 'string' || props.namespace.length > 63 || !K8S_NAME.test(props.namespace) || props.namespace.includes('.')) {
      problems.add('namespace', props.namespace, 'is not a Kubernetes namespace name', 'use a lower-case DNS label such as kube-system');
    }
    if (typeof props.serviceAccount !== 'string' || props.serviceAccount.length > 253 || !K8S_NAME.test(props.serviceAccount)) {
      problems.add('serviceAccount', props.serviceAccount, 'is not a Kubernetes service account name', 'use lower-case letters, digits, dashes and dots');
    }
    if (typeof props.name !== 'string' || !ROLE_PART.test(props.name)) {
      problems.add('name', props.name, 'is not a short role name', 'use up to 8 lower-case letters, digits and dashes, for example ccm');
    }
    if (!props.policy || !Array.isArray(props.policy.Statement) || props.policy.Statement.length === 0) {
      problems.add('policy', props.policy, 'grants nothing', 'give the statements the workload needs');
    }
    problems.throwIfAny();

    this.namespace = props.namespace;
    this.serviceAccount = props.serviceAccount;
    this.region = props.region;
    const name = `${props.clusterName}-${props.name}-${props.region}`;
    this.role = new IamRole(this, 'role', {
      name,
      description: `Service account ${props.namespace}/${props.serviceAccount} of cluster ${props.clusterName}, by web identity`,
      assumeRolePolicy: JSON.stringify(webIdentityTrustPolicy(props.issuer.trust(props.namespace, props.serviceAccount))),
      tags: ownedResourceTags(props.clusterName, name),
    });
    this.policy = new IamRolePolicy(this, 'policy', { name: props.name, role: this.role.id, policy: JSON.stringify(props.policy) });
  }

  public get roleArn(): string {
    return this.role.arn;
  }

  /** The env, projected token volume and mount a container needs to act as this role. */
  public podSpec(): WebIdentityPodSpec {
    return webIdentityPodSpec({ roleArn: this.role.arn, region: this.region });
  }
}
