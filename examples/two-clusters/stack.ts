import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, KubeadmCluster } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/** Two clusters side by side in one stack: nothing they create or output clashes. */
export class TwoClustersExampleStack extends TerraformStack {
  public readonly clusters: readonly KubeadmCluster[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: exampleRegion('eu-west-1') });
    this.clusters = [
      new KubeadmCluster(this, 'blue', { clusterName: 'blue', vpcCidr: '10.10.0.0/16', cni: Cni.weave(), ...clusterRunProps() }),
      new KubeadmCluster(this, 'green', { clusterName: 'green', vpcCidr: '10.20.0.0/16', cni: Cni.flannel(), ...clusterRunProps() }),
    ];
  }
}
