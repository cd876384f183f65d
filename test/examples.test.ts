import { App } from 'cdktf';
import { EXAMPLES, stackName } from '../examples/synth';
import { KubeadmCluster } from '../lib';
import { synthExisting } from './support/synth';

// Every example synthesises offline (with construct validations on) and is held to a snapshot, so
// any change to what a user's stack would deploy shows up in review.
describe.each(Object.keys(EXAMPLES))('example %s', (example) => {
  const stack = EXAMPLES[example](new App({ outdir: '/tmp/unused', skipValidation: true }), stackName(example));
  const synth = synthExisting(stack);
  const clusters = stack.node.findAll().filter((c): c is KubeadmCluster => c instanceof KubeadmCluster);

  test('synthesises and matches its snapshot', () => {
    expect(synth.json).toMatchSnapshot();
  });

  test('describes each cluster and outputs its network description', () => {
    expect(clusters.length).toBeGreaterThan(0);
    for (const cluster of clusters) {
      const description = synth.json.output[`${cluster.clusterName.replace(/-/g, '_')}_network_description`];
      expect(description.value.plugin.name).toBe(cluster.cni.name);
      expect(cluster.describe()).toContain(cluster.plan.podCidr);
    }
  });

  test('opens nothing between nodes by CIDR', () => {
    for (const [, rule] of synth.resources('aws_vpc_security_group_ingress_rule')) {
      if (rule.cidr_ipv4) {
        expect(rule.cidr_ipv4).not.toBe('0.0.0.0/0');
        expect([6443, 22, 30000]).toContain(rule.from_port);
      }
    }
  });
});

describe('state backend of the ha-cilium example', () => {
  test('encrypted S3 with S3 locking when a bucket is named, local otherwise', () => {
    const withBucket = (bucket: string | undefined) => {
      const before = process.env.KUBEADM_STATE_BUCKET;
      if (bucket === undefined) {
        delete process.env.KUBEADM_STATE_BUCKET;
      } else {
        process.env.KUBEADM_STATE_BUCKET = bucket;
      }
      try {
        return synthExisting(EXAMPLES['ha-cilium'](new App({ outdir: '/tmp/unused', skipValidation: true }), 'ha-cilium')).json.terraform.backend;
      } finally {
        if (before === undefined) {
          delete process.env.KUBEADM_STATE_BUCKET;
        } else {
          process.env.KUBEADM_STATE_BUCKET = before;
        }
      }
    };
    expect(withBucket('my-state')).toEqual({ s3: { bucket: 'my-state', key: 'kubeadm/ha-cilium.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true } });
    // Without one, cdktf's default: a local state file.
    expect(withBucket(undefined)).toBeUndefined();
  });
});
