import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterAutoscaler, KubeadmCluster, TaintEffect } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/**
 * A small on-demand pool that is always there, and a Spot pool the cluster autoscaler sizes from
 * zero to six nodes across four instance types of the same size (2 vCPU, 8 GiB), so that its
 * simulation holds whichever type the group launches. Batch pods select the Spot pool by its label
 * and tolerate its taint; the autoscaler knows both from the group's node-template tags even while
 * the pool has no node. The deploy also proves a scale-up.
 */
export class AutoscaledSpotExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: exampleRegion('eu-west-1') });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'autoscaled-spot',
      workerPools: [
        { name: 'system', desiredSize: 1, minSize: 1, maxSize: 1 },
        {
          name: 'spot',
          spot: true,
          desiredSize: 0,
          minSize: 0,
          maxSize: 6,
          instanceTypes: ['m5.large', 'm5a.large', 'm6i.large', 'm7i.large'],
          labels: { 'example.com/capacity': 'spot' },
          taints: [{ key: 'example.com/spot', value: 'true', effect: TaintEffect.NO_SCHEDULE }],
        },
      ],
      clusterAutoscaler: ClusterAutoscaler.enabled({ scaleDownUnneededMinutes: 5 }),
      scaleUpCheck: true,
      ...clusterRunProps(),
    });
  }
}
