import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterNetworkSource, Cni, KubeadmCluster } from '../../lib';

/**
 * A cluster in a VPC that already exists: its subnets are declared with their CIDRs so the address
 * plan can be checked, and Terraform verifies the declaration against AWS when it plans.
 */
export class ExistingVpcExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'shared-vpc',
      network: ClusterNetworkSource.existingVpc({ vpcId: 'vpc-0a1b2c3d4e5f60718' }),
      vpcCidr: '172.31.0.0/16',
      existingSubnets: [
        { role: 'public', cidr: '172.31.0.0/20', zone: 'eu-west-1a', subnetId: 'subnet-0a1b2c3d4e5f60001' },
        { role: 'public', cidr: '172.31.16.0/20', zone: 'eu-west-1b', subnetId: 'subnet-0a1b2c3d4e5f60002' },
        { role: 'private', cidr: '172.31.128.0/20', zone: 'eu-west-1a', subnetId: 'subnet-0a1b2c3d4e5f60003' },
        { role: 'private', cidr: '172.31.144.0/20', zone: 'eu-west-1b', subnetId: 'subnet-0a1b2c3d4e5f60004' },
      ],
      cni: Cni.weave(),
      apiAccessCidrs: ['203.0.113.0/24'],
      sshAccessCidrs: ['203.0.113.7/32'],
      sshKeyName: 'platform-team',
    });
  }
}
