import { App } from 'cdktf';
import { EXAMPLES, stackName } from '../examples/synth';
import { KubeadmCluster } from '../lib';
import { synthesisedExample } from './support/example-synth';
import { synthExisting } from './support/synth';

// Every example synthesises offline (with construct validations on) and is held to a snapshot, so
// any change to what a user's stack would deploy shows up in review.
describe.each(Object.keys(EXAMPLES))('example %s', (example) => {
  // The constructs, for what the cluster says of itself; the stack as synthesised, shared.
  const stack = EXAMPLES[example](new App({ outdir: '/tmp/unused', skipValidation: true }), stackName(example));
  const synth = synthesisedExample(example);
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

  test('deploys as written: the API admits the deploying machine, no documentation range anywhere', () => {
    const api = synth.resources('aws_vpc_security_group_ingress_rule').filter(([, rule]) => rule.cidr_ipv4 !== undefined && rule.from_port === 6443);
    expect(api.length).toBeGreaterThanOrEqual(clusters.length);
    for (const [, rule] of api) {
      expect(rule.cidr_ipv4).toMatch(/^\$\{chomp\(data\.http\.[\w-]*deployer-address[\w-]*\.response_body\)\}\/32$/);
    }
    // RFC 5737's ranges are for documentation: no deploying machine is ever in one.
    expect(synth.text).not.toMatch(/\b(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+/);
  });

  test('opens nothing between nodes by CIDR; the world may send only fragmentation needed', () => {
    const podRanges = clusters.filter((c) => c.cni.datapath.encapsulation === 'routed').map((c) => c.plan.podCidr);
    const all = synth.resources('aws_vpc_security_group_ingress_rule').filter(([, rule]) => rule.cidr_ipv4 !== undefined);
    // A routed cluster's pods cross the VPC with their own addresses: its pod range, and only that.
    const podRules = all.filter(([, rule]) => podRanges.includes(rule.cidr_ipv4));
    expect(podRules).toHaveLength(2 * podRanges.length);
    expect(podRules.every(([, rule]) => rule.ip_protocol === '-1')).toBe(true);
    const fromRanges = all.filter(([, rule]) => !podRanges.includes(rule.cidr_ipv4));
    for (const [, rule] of fromRanges) {
      if (rule.ip_protocol === 'icmp') {
        expect([rule.from_port, rule.to_port]).toEqual([3, 4]);
      } else {
        expect(rule.cidr_ipv4).not.toBe('0.0.0.0/0');
        expect(rule.ip_protocol).toBe('tcp');
        expect([6443, 22, 30000]).toContain(rule.from_port);
      }
    }
    // Each cluster's two groups admit it from anywhere and from the VPC.
    const icmp = fromRanges.filter(([, rule]) => rule.ip_protocol === 'icmp');
    expect(icmp).toHaveLength(4 * clusters.length);
    for (const cluster of clusters) {
      expect(icmp.filter(([, rule]) => rule.cidr_ipv4 === cluster.plan.vpcCidr).length).toBeGreaterThanOrEqual(2);
    }
    expect(icmp.filter(([, rule]) => rule.cidr_ipv4 === '0.0.0.0/0')).toHaveLength(2 * clusters.length);
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
