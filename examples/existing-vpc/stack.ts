import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterNetworkSource, Cni, DeclaredSubnet, KubeadmCluster } from '../../lib';
import { clusterRunProps, RUN_SETTING_VARIABLES, runSettings } from '../run-settings';

// CHANGE BEFORE DEPLOYING: this example needs your VPC's ids. The values below are placeholders of
// the right shape, so the example synthesises; a deploy with them fails when Terraform looks the
// VPC up. Put in your VPC's id and CIDR, and each subnet's id, CIDR and zone exactly as AWS shows
// them (`aws ec2 describe-subnets --filters Name=vpc-id,Values=<your vpc id>`).
const REGION = 'eu-west-1';
const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
const VPC_CIDR = '172.31.0.0/16';
const SUBNETS: readonly DeclaredSubnet[] = [
  { role: 'public', cidr: '172.31.0.0/20', zone: 'eu-west-1a', subnetId: 'subnet-0a1b2c3d4e5f60001' },
  { role: 'public', cidr: '172.31.16.0/20', zone: 'eu-west-1b', subnetId: 'subnet-0a1b2c3d4e5f60002' },
  { role: 'private', cidr: '172.31.128.0/20', zone: 'eu-west-1a', subnetId: 'subnet-0a1b2c3d4e5f60003' },
  { role: 'private', cidr: '172.31.144.0/20', zone: 'eu-west-1b', subnetId: 'subnet-0a1b2c3d4e5f60004' },
];

/**
 * A cluster in a VPC that already exists: its subnets are declared with their CIDRs so the address
 * plan can be checked, and Terraform verifies the declaration against AWS when it plans. The API
 * is open to the machine that runs the deploy; nodes are reached through SSM Session Manager.
 */
export class ExistingVpcExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const settings = runSettings();
    if (settings.region !== undefined && settings.region !== REGION) {
      // The VPC and its subnets are in REGION: another region would look for them where they are not.
      throw new Error(`existing-vpc deploys into its VPC in ${REGION}, not ${settings.region} (${RUN_SETTING_VARIABLES.region}); change REGION and the ids in examples/existing-vpc/stack.ts`);
    }
    new AwsProvider(this, 'aws', { region: REGION });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'shared-vpc',
      network: ClusterNetworkSource.existingVpc({ vpcId: VPC_ID }),
      vpcCidr: VPC_CIDR,
      existingSubnets: SUBNETS,
      cni: Cni.weave(),
      ...clusterRunProps(settings),
    });
  }
}
