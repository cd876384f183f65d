import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, KubeadmCluster } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/**
 * Flannel with VXLAN over three zones. The API is open to the machine that runs the deploy (the
 * default); list your own ranges in apiAccessCidrs when deploys run from several places.
 */
export class FlannelExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: exampleRegion('eu-central-1') });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'flannel',
      zoneCount: 3,
      cni: Cni.flannel(),
      ...clusterRunProps(),
    });
  }
}
