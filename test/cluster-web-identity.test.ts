import { synthesisedCluster } from './support/cluster-synth';

// How the cluster publishes its service-account issuer and who may touch it.

describe('KubeadmCluster service-account issuer', () => {
  const synth = synthesisedCluster({ clusterName: 'demo', apiAccessCidrs: ['198.51.100.0/24'] });
  const [bucketKey] = synth.resources('aws_s3_bucket').find(([, b]) => b.bucket_prefix === 'demo-oidc-')!;
  const [distributionKey] = synth.resources('aws_cloudfront_distribution')[0];
  const issuerUrl = `https://\${aws_cloudfront_distribution.${distributionKey}.domain_name}`;
  // User-data is assembled with join(): references sit between the literal parts.
  const issuerInUserData = `https://", aws_cloudfront_distribution.${distributionKey}.domain_name, "`;

  test('the API server signs with the published issuer and points at the published keys; only the kubelet gets a cloud-provider flag', () => {
    const [, instance] = synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))!;
    const userData: string = instance.user_data;
    expect(userData).toContain(`- name: 'service-account-issuer'\\n            value: '${issuerInUserData}`);
    expect(userData).toContain(`- name: 'service-account-jwks-uri'\\n            value: '${issuerInUserData}`);
    // cloud-provider appears once: the kubelet's, in the InitConfiguration; never among the API server's flags.
    expect(userData.split("name: 'cloud-provider'").length - 1).toBe(1);
    expect(userData.indexOf("name: 'cloud-provider'")).toBeLessThan(userData.indexOf("kind: 'ClusterConfiguration'"));
    expect(userData).toContain("readonly ISSUER_KEYS_PROGRAM='/usr/local/sbin/kubeadm-issuer-keys'");
    // Workers never publish keys.
    const [, template] = synth.resources('aws_launch_template').find(([id]) => !id.includes('_control-plane_'))!;
    expect(template.user_data).not.toContain('kubeadm-issuer-keys');
  });

  test('only the control-plane role may write the key set; workers get nothing on the bucket', () => {
    const policies = synth.resources('aws_iam_role_policy').map(([, p]) => [p.role, p.policy] as [string, string]);
    const writers = policies.filter(([, policy]) => policy.includes(`aws_s3_bucket.${bucketKey}`));
    expect(writers).toHaveLength(1);
    expect(writers[0][0]).toMatch(/aws_iam_role\.cluster_identities_control-plane/);
    expect(JSON.parse(writers[0][1]).Statement).toEqual([
      { Sid: 'PublishServiceAccountKeys', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`\${aws_s3_bucket.${bucketKey}.arn}/openid/v1/jwks`] },
    ]);
  });

  test('the SSM channel installs the key publication on control-plane nodes, and the control plane waits for its permission', () => {
    const [, association] = synth.resources('aws_ssm_association').find(([, a]) => a.association_name === 'demo-issuer-keys')!;
    expect(association.targets).toEqual([{ key: 'tag:cdktf-kubeadm-cluster/demo', values: ['control-plane'] }]);
    const [, instance] = synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))!;
    expect(instance.depends_on.some((d: string) => /aws_iam_role_policy\.cluster_identities_control-plane_issuer-policy/.test(d))).toBe(true);
  });

  test('the issuer is an output, and IAM trusts the same URL the API server signs with', () => {
    expect(synth.json.output.demo_service_account_issuer.value).toBe(issuerUrl);
    const [, provider] = synth.resources('aws_iam_openid_connect_provider')[0];
    expect(provider.url).toBe(issuerUrl);
    const [, template] = synth.resources('aws_launch_template').find(([id]) => id.includes('_control-plane_'))!;
    expect(template.user_data).toContain(`- name: 'service-account-issuer'\\n            value: '${issuerInUserData}'`);
    expect(template.user_data).toContain(`- name: 'service-account-jwks-uri'\\n            value: '${issuerInUserData}/openid/v1/jwks'`);
  });
});
