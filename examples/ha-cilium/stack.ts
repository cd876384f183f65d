import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Backend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Cni, CiliumIpam, KubeadmCluster } from '../../lib';
import { clusterRunProps, exampleRegion } from '../run-settings';

/**
 * A highly available control plane (three nodes behind load balancers) with Cilium and WireGuard.
 *
 * Terraform state holds the cluster's CA keys. With `KUBEADM_STATE_BUCKET` set to an S3 bucket of
 * yours (versioned, in the same region), the state lives there, encrypted, with S3's own locking
 * (Terraform 1.10 or OpenTofu 1.10 and later); without it, the state stays in a local file.
 */
export class HaCiliumExampleStack extends TerraformStack {
  public readonly cluster: KubeadmCluster;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stateBucket = process.env.KUBEADM_STATE_BUCKET;
    if (stateBucket) {
      const backend = new S3Backend(this, { bucket: stateBucket, key: 'kubeadm/ha-cilium.tfstate', region: 'eu-west-1', encrypt: true });
      // A lock file beside the state: no DynamoDB table to keep.
      backend.addOverride('use_lockfile', true);
    }
    const region = exampleRegion('eu-west-1');
    new AwsProvider(this, 'aws', { region });
    this.cluster = new KubeadmCluster(this, 'cluster', {
      clusterName: 'ha-cilium',
      // The zones are named for eu-west-1; in another region the cluster takes three of its zones.
      ...(region === 'eu-west-1' ? { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } : { zoneCount: 3 }),
      controlPlane: { count: 3, instanceType: 'm7g.large' },
      workerPools: [
        { name: 'general', desiredSize: 3, maxSize: 6, instanceTypes: ['m7g.large', 'm6g.large'] },
        { name: 'spot', desiredSize: 0, minSize: 0, maxSize: 4, instanceTypes: ['c7g.large', 'c6g.large'], spot: true },
      ],
      cni: Cni.cilium({ ipam: CiliumIpam.clusterPool(), wireguard: true }),
      podCidr: '10.200.0.0/16',
      ...clusterRunProps(),
    });
  }
}
