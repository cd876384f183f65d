import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, KubeadmCluster } from '../../lib';

/** Flannel with VXLAN, three zones, and API access limited to an office range. */
export class FlannelExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-central-1' });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'flannel',
      zoneCount: 3,
      cni: Cni.flannel(),
      apiAccessCidrs: ['198.51.100.0/24'],
    });
  }
}
