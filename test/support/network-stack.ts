import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import type { Datapath } from '../../lib/cni/cni-plugin';
import { calicoPorts, ciliumPorts, flannelPorts, weavePorts } from '../../lib/cni/ports';
import { IP_PROTOCOL_NUMBERS, KUBERNETES_PORTS, NodeRole, PortRule } from '../../lib/network/ports';
import { AddressPlan, AddressPlanProps } from '../../lib/plan/address-plan';
import { NETWORK_DESCRIPTION_KIND } from '../../lib/network-description';
import { NETWORK_DESCRIPTION_VERSION } from '../../lib/rehearsal/network-description';
import type { TerraformJson } from '../../lib/rehearsal/terraform-json';

/**
 * Stand-in for what KubeadmCluster will synthesise, built with cdktf itself so that the rehearsal's
 * tests do not wait on the real security-group and plugin constructs: two security groups, ingress
 * rules from the Kubernetes and plugin port tables, an allow-all egress rule each, and the network
 * description output.
 */

export type FixturePlugin = 'weave-net' | 'flannel' | 'cilium' | 'calico-vxlan' | 'calico-ipip';

interface PluginFixture {
  readonly name: string;
  readonly ports: readonly PortRule[];
  readonly datapath: Datapath;
  readonly podCidr: string;
}

export const FIXTURE_PLUGINS: Readonly<Record<FixturePlugin, () => PluginFixture>> = {
  'weave-net': () => ({ name: 'weave-net', ports: weavePorts(), datapath: { encapsulation: 'vxlan', port: 6784, controlPorts: [6783] }, podCidr: '10.32.0.0/12' }),
  flannel: () => ({ name: 'flannel', ports: flannelPorts(), datapath: { encapsulation: 'vxlan', port: 8472, controlPorts: [] }, podCidr: '10.244.0.0/16' }),
  cilium: () => ({ name: 'cilium', ports: ciliumPorts(), datapath: { encapsulation: 'vxlan', port: 8472, controlPorts: [4240] }, podCidr: '10.244.0.0/16' }),
  'calico-vxlan': () => ({ name: 'calico', ports: calicoPorts({ encapsulation: 'VXLAN' }), datapath: { encapsulation: 'vxlan', port: 4789, controlPorts: [179] }, podCidr: '192.168.0.0/16' }),
  'calico-ipip': () => ({ name: 'calico', ports: calicoPorts({ encapsulation: 'IPIP' }), datapath: { encapsulation: 'ipip', controlPorts: [179] }, podCidr: '192.168.0.0/16' }),
};

export interface ClusterFixtureProps {
  readonly plugin: FixturePlugin;
  /** @default 'demo' */
  readonly clusterName?: string;
  /** @default - one control-plane node, two workers, the plugin's usual pod range */
  readonly plan?: AddressPlanProps;
  /**
   * Plugin rules to leave out (a broken stack): those whose protocol matches and, if given, whose
   * port range holds `port`.
   * @default - none
   */
  readonly omit?: { readonly protocol: PortRule['protocol']; readonly port?: number };
  /**
   * Override the plugin's datapath in the description (for example `routed`).
   * @default - the plugin's own
   */
  readonly datapath?: Datapath;
  /**
   * Give each group an allow-all egress rule, as any working cluster has.
   * @default true
   */
  readonly egress?: boolean;
  /**
   * Extra ingress rules from CIDRs, on both groups.
   * @default - SSH from 203.0.113.0/24 (outside the cluster), to show CIDR rules are handled
   */
  readonly cidrRules?: ReadonlyArray<{ readonly protocol: PortRule['protocol']; readonly fromPort?: number; readonly toPort?: number; readonly cidr: string }>;
}

/** One cluster's groups, rules and description output, in a scope of its own. */
export class ClusterFixture extends Construct {
  constructor(scope: Construct, id: string, props: ClusterFixtureProps) {
    super(scope, id);
    const plugin = FIXTURE_PLUGINS[props.plugin]();
    const clusterName = props.clusterName ?? 'demo';
    const plan = AddressPlan.create({ controlPlaneCount: 1, workerCount: 2, podCidr: plugin.podCidr, ...props.plan });
    const groups: Record<NodeRole, SecurityGroup> = {
      'control-plane': new SecurityGroup(this, 'control-plane', { name: `${clusterName}-control-plane`, vpcId: 'vpc-0123456789abcdef0' }),
      worker: new SecurityGroup(this, 'worker', { name: `${clusterName}-worker`, vpcId: 'vpc-0123456789abcdef0' }),
    };
    const omitted = (rule: PortRule) =>
      props.omit !== undefined &&
      rule.protocol === props.omit.protocol &&
      (props.omit.port === undefined || (rule.fromPort !== undefined && rule.fromPort <= props.omit.port && props.omit.port <= (rule.toPort ?? rule.fromPort)));
    const rules = [...KUBERNETES_PORTS, ...plugin.ports.filter((r) => !omitted(r))];
    let n = 0;
    for (const rule of rules) {
      for (const to of rule.to) {
        for (const from of rule.from) {
          new VpcSecurityGroupIngressRule(this, `ingress-${n++}`, {
            securityGroupId: groups[to].id,
            referencedSecurityGroupId: groups[from].id,
            description: rule.description,
            ...protocolFields(rule),
          });
        }
      }
    }
    for (const rule of props.cidrRules ?? [{ protocol: 'tcp' as const, fromPort: 22, toPort: 22, cidr: '203.0.113.0/24' }]) {
      for (const role of ['control-plane', 'worker'] as const) {
        new VpcSecurityGroupIngressRule(this, `ingress-${n++}`, { securityGroupId: groups[role].id, cidrIpv4: rule.cidr, description: `from ${rule.cidr}`, ...protocolFields(rule) });
      }
    }
    if (props.egress ?? true) {
      for (const role of ['control-plane', 'worker'] as const) {
        new VpcSecurityGroupEgressRule(this, `egress-${role}`, { securityGroupId: groups[role].id, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0', description: 'all traffic out' });
      }
    }
    new TerraformOutput(this, 'network', {
      description: `Network description of cluster ${clusterName}`,
      value: {
        kind: NETWORK_DESCRIPTION_KIND,
        version: NETWORK_DESCRIPTION_VERSION,
        clusterName,
        plan: plan.toJSON(),
        plugin: { name: plugin.name, datapath: props.datapath ?? plugin.datapath },
        securityGroups: { 'control-plane': groups['control-plane'].id, worker: groups.worker.id },
      },
    });
  }
}

function protocolFields(rule: Pick<PortRule, 'protocol' | 'fromPort' | 'toPort'>) {
  if (rule.protocol === 'tcp' || rule.protocol === 'udp' || rule.protocol === 'icmp') {
    return { ipProtocol: rule.protocol, fromPort: rule.fromPort ?? -1, toPort: rule.toPort ?? -1 };
  }
  return { ipProtocol: String(IP_PROTOCOL_NUMBERS[rule.protocol]) };
}

/** A stack holding one or more fixture clusters. */
export class NetworkFixtureStack extends TerraformStack {
  constructor(scope: Construct, id: string, clusters: readonly ClusterFixtureProps[]) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    clusters.forEach((props, i) => new ClusterFixture(this, props.clusterName ?? `cluster-${i}`, props));
  }
}

export interface SynthesisedFixture {
  /** `.../cdktf.out/stacks/NAME`, as the rehearsal takes it. */
  readonly stackDir: string;
  readonly outdir: string;
  remove(): void;
}

/** Synthesises fixture clusters to a temporary `cdktf.out`, as `cdktf synth` would. */
export function synthFixture(clusters: readonly ClusterFixtureProps[], stackName = 'rehearsal-fixture'): SynthesisedFixture {
  const outdir = mkdtempSync(join(tmpdir(), 'kubeadm-rehearsal-'));
  const app = new App({ outdir });
  new NetworkFixtureStack(app, stackName, clusters);
  app.synth();
  return { outdir, stackDir: join(outdir, 'stacks', stackName), remove: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The synthesised `cdk.tf.json` of fixture clusters, parsed (the files are removed again). */
export function fixtureJson(clusters: readonly ClusterFixtureProps[]): TerraformJson {
  const fixture = synthFixture(clusters);
  try {
    return JSON.parse(readFileSync(join(fixture.stackDir, 'cdk.tf.json'), 'utf8'));
  } finally {
    fixture.remove();
  }
}
