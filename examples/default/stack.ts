import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, KubeadmCluster } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/** The default example: Weave Net, one control-plane node and two workers in a new VPC. */
export class DefaultExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: exampleRegion('eu-west-1') });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'demo',
      cni: Cni.weave(),
      workerPools: [{ name: 'workers', desiredSize: 2 }],
      ...clusterRunProps(),
    });
  }
}
