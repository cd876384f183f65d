import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, KubeadmCluster } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/**
 * The pod network without an overlay, over three zones: every node's pod range is routed to it in
 * the VPC's route tables, pods keep their addresses across the VPC, and the MTU is the VPC's 9001.
 * The default route-table quota (50 routes) holds 48 nodes; the pools here stay well below.
 */
export class RoutedExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: exampleRegion('eu-central-1') });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'routed',
      zoneCount: 3,
      cni: Cni.vpcRoutes(),
      ...clusterRunProps(),
    });
  }
}
