import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CalicoEncapsulationMode, Cni, KubeadmCluster } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/** Calico through the Tigera operator, IP-in-IP between nodes, with its own default pod range. */
export class CalicoExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: exampleRegion('us-east-1') });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'calico',
      cni: Cni.calico({ encapsulation: CalicoEncapsulationMode.IPIP }),
      ...clusterRunProps(),
    });
  }
}
