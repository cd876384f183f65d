// What an add-on's release (or Deployment) waits for, by kind, so that a test states the exact set
// in words: an edge added or dropped changes the list.

const KINDS: ReadonlyArray<[string, RegExp]> = [
  ['the API readiness wait', /^terraform_data\.[\w-]*access_readiness_/],
  ['the network plugin', /^(kubernetes_[a-z0-9_]+|helm_release)\.[\w-]*_cni_/],
  ['the cloud controller manager', /^helm_release\.[\w-]*workloads_cloud-controller-manager_/],
  ['the approver', /^helm_release\.[\w-]*workloads_kubelet-csr-approver_/],
  ['a worker group', /^aws_autoscaling_group\./],
  ["the control plane's upgrade", /^aws_ssm_association\.[\w-]*kubernetes-upgrade-/],
  ['the published issuer', /^(aws_s3_bucket_policy|aws_s3_object|aws_iam_openid_connect_provider|aws_cloudfront_distribution|terraform_data)\.[\w-]*service-account-issuer_/],
  ["the role's policy", /^aws_iam_role_policy\.[\w-]*_role_policy_/],
  ["the queue's policy", /^aws_sqs_queue_policy\./],
  ["the handler's RBAC binding", /^kubernetes_cluster_role_binding_v1\.[\w-]*node-termination-handler-binding_/],
];

/** The kinds of what `block` depends on, one entry per kind, sorted; an unknown edge is named as it is. */
export function waitKinds(block: { depends_on?: string[] }): string[] {
  const kinds = (block.depends_on ?? []).map((edge) => KINDS.find(([, pattern]) => pattern.test(edge))?.[0] ?? edge);
  return [...new Set(kinds)].sort();
}
