// Provider bindings that only some stacks use, each loaded the first time a construct asks for it.
// The larger ones (a DaemonSet, Deployment or Job binding) cost 40 to 100 ms and tens of MB each
// to load, so a stack pays only for the plugins and features it uses. Types come from
// `import type` where the bindings are used; the values come from here.

/* eslint-disable @typescript-eslint/no-require-imports */
export const bindings = {
  get ClusterRoleBindingV1() {
    return (require('@cdktf/provider-kubernetes/lib/cluster-role-binding-v1') as typeof import('@cdktf/provider-kubernetes/lib/cluster-role-binding-v1')).ClusterRoleBindingV1;
  },
  get ClusterRoleV1() {
    return (require('@cdktf/provider-kubernetes/lib/cluster-role-v1') as typeof import('@cdktf/provider-kubernetes/lib/cluster-role-v1')).ClusterRoleV1;
  },
  get ConfigMapV1() {
    return (require('@cdktf/provider-kubernetes/lib/config-map-v1') as typeof import('@cdktf/provider-kubernetes/lib/config-map-v1')).ConfigMapV1;
  },
  get DaemonSetV1() {
    return (require('@cdktf/provider-kubernetes/lib/daemon-set-v1') as typeof import('@cdktf/provider-kubernetes/lib/daemon-set-v1')).DaemonSetV1;
  },
  get DeploymentV1() {
    return (require('@cdktf/provider-kubernetes/lib/deployment-v1') as typeof import('@cdktf/provider-kubernetes/lib/deployment-v1')).DeploymentV1;
  },
  get JobV1() {
    return (require('@cdktf/provider-kubernetes/lib/job-v1') as typeof import('@cdktf/provider-kubernetes/lib/job-v1')).JobV1;
  },
  get NamespaceV1() {
    return (require('@cdktf/provider-kubernetes/lib/namespace-v1') as typeof import('@cdktf/provider-kubernetes/lib/namespace-v1')).NamespaceV1;
  },
  get RoleBindingV1() {
    return (require('@cdktf/provider-kubernetes/lib/role-binding-v1') as typeof import('@cdktf/provider-kubernetes/lib/role-binding-v1')).RoleBindingV1;
  },
  get RoleV1() {
    return (require('@cdktf/provider-kubernetes/lib/role-v1') as typeof import('@cdktf/provider-kubernetes/lib/role-v1')).RoleV1;
  },
  get SecretV1() {
    return (require('@cdktf/provider-kubernetes/lib/secret-v1') as typeof import('@cdktf/provider-kubernetes/lib/secret-v1')).SecretV1;
  },
  get ServiceAccountV1() {
    return (require('@cdktf/provider-kubernetes/lib/service-account-v1') as typeof import('@cdktf/provider-kubernetes/lib/service-account-v1')).ServiceAccountV1;
  },
  get ServiceV1() {
    return (require('@cdktf/provider-kubernetes/lib/service-v1') as typeof import('@cdktf/provider-kubernetes/lib/service-v1')).ServiceV1;
  },
  get Release() {
    return (require('@cdktf/provider-helm/lib/release') as typeof import('@cdktf/provider-helm/lib/release')).Release;
  },
  get Password() {
    return (require('@cdktf/provider-random/lib/password') as typeof import('@cdktf/provider-random/lib/password')).Password;
  },
  get Lb() {
    return (require('@cdktf/provider-aws/lib/lb') as typeof import('@cdktf/provider-aws/lib/lb')).Lb;
  },
  get LbListener() {
    return (require('@cdktf/provider-aws/lib/lb-listener') as typeof import('@cdktf/provider-aws/lib/lb-listener')).LbListener;
  },
  get LbTargetGroup() {
    return (require('@cdktf/provider-aws/lib/lb-target-group') as typeof import('@cdktf/provider-aws/lib/lb-target-group')).LbTargetGroup;
  },
  get LbTargetGroupAttachment() {
    return (require('@cdktf/provider-aws/lib/lb-target-group-attachment') as typeof import('@cdktf/provider-aws/lib/lb-target-group-attachment')).LbTargetGroupAttachment;
  },
  get DataAwsVpc() {
    return (require('@cdktf/provider-aws/lib/data-aws-vpc') as typeof import('@cdktf/provider-aws/lib/data-aws-vpc')).DataAwsVpc;
  },
  get DataAwsSubnet() {
    return (require('@cdktf/provider-aws/lib/data-aws-subnet') as typeof import('@cdktf/provider-aws/lib/data-aws-subnet')).DataAwsSubnet;
  },
  get CloudwatchLogGroup() {
    return (require('@cdktf/provider-aws/lib/cloudwatch-log-group') as typeof import('@cdktf/provider-aws/lib/cloudwatch-log-group')).CloudwatchLogGroup;
  },
  get LambdaFunction() {
    return (require('@cdktf/provider-aws/lib/lambda-function') as typeof import('@cdktf/provider-aws/lib/lambda-function')).LambdaFunction;
  },
  get LambdaInvocation() {
    return (require('@cdktf/provider-aws/lib/lambda-invocation') as typeof import('@cdktf/provider-aws/lib/lambda-invocation')).LambdaInvocation;
  },
};
