import { TerraformOutput } from 'cdktf';
import type { KubeadmCluster } from './cluster';

/**
 * The outputs a user needs next, named `<cluster>_<name>` (dashes become underscores) so that two
 * clusters in one stack never clash: the endpoint, the kubeconfig (sensitive), the ids to compose
 * with, and the commands of the runbooks.
 */
export function addClusterOutputs(cluster: KubeadmCluster): void {
  const prefix = cluster.clusterName.replace(/-/g, '_');
  const output = (name: string, value: unknown, description: string, sensitive = false) => {
    const out = new TerraformOutput(cluster, `output-${name}`, { value, description, sensitive });
    out.overrideLogicalId(`${prefix}_${name}`);
    return out;
  };
  output('api_endpoint', cluster.apiEndpoint, `API server of ${cluster.clusterName}`);
  output('kubeconfig', cluster.kubeconfig, `kubeconfig of ${cluster.clusterName}'s admin (write it to a file: terraform output -raw ${prefix}_kubeconfig)`, true);
  output('cluster_ca_certificate', cluster.pki.clusterCa.certPem, `CA certificate of ${cluster.clusterName}`);
  output('control_plane_security_group_id', cluster.securityGroups.controlPlaneSecurityGroupId, 'Security group of the control-plane nodes');
  output('worker_security_group_id', cluster.securityGroups.workerSecurityGroupId, 'Security group of the worker nodes');
  output('vpc_id', cluster.network.vpcId, 'VPC of the cluster');
  output('address_plan', cluster.plan.toJSON(), 'The address plan');
  output('network_description', cluster.networkDescription(), 'Address plan, network plugin and security groups, for `cdktf-kubeadm-cluster rehearse`');
  output('service_account_issuer', cluster.serviceAccountIssuer.issuerUrl, 'Service-account issuer IAM trusts for web identity');
  output('parameter_path', cluster.secrets.parameterPath, 'Parameter Store path of the cluster\'s secrets');
  output(
    'revoke_join_tokens_command',
    `aws ssm send-command --region ${cluster.secrets.location.region} --document-name ${cluster.joinTokenRotation.document.name} --parameters action=revoke --targets ${cluster.channel.targetsArgument(['control-plane'])}`,
    'Revokes every join token; the next hourly rotation (or the same command with action=rotate) publishes a new one',
  );
  if (cluster.etcdBackups) {
    output('etcd_snapshot_location', `s3://${cluster.etcdBackups.bucketName}/${cluster.etcdBackups.keyPrefix}`, 'Where the control plane uploads its etcd snapshots');
    output(
      'etcd_restore_command',
      `aws ssm put-parameter --region ${cluster.secrets.location.region} --name ${cluster.etcdBackups.restoreRequest.name} --type String --overwrite --value latest`,
      'Makes the next first control-plane node restore the newest etcd snapshot before kubeadm init (then replace that node); see Backup and restore in the README',
    );
  }
}
