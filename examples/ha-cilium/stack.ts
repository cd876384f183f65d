import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, CiliumIpam, KubeadmCluster } from '../../lib';

/** A highly available control plane (three nodes behind load balancers) with Cilium and WireGuard. */
export class HaCiliumExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'ha-cilium',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      controlPlane: { count: 3, instanceType: 'm7g.large' },
      workerPools: [
        { name: 'general', desiredSize: 3, maxSize: 6, instanceTypes: ['m7g.large', 'm6g.large'] },
        { name: 'spot', desiredSize: 0, minSize: 0, maxSize: 4, instanceTypes: ['c7g.large', 'c6g.large'], spot: true },
      ],
      cni: Cni.cilium({ ipam: CiliumIpam.clusterPool(), wireguard: true }),
      podCidr: '10.200.0.0/16',
    });
  }
}
