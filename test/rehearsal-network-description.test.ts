import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNetworkDescriptions, selectDescriptions } from '../lib/rehearsal/network-description';
import { RehearsalInputError } from '../lib/rehearsal/errors';
import { resolveStackFile } from '../lib/rehearsal/stack-file';
import type { TerraformJson } from '../lib/rehearsal/terraform-json';
import { synthFixture, SynthesisedFixture } from './support/network-stack';

let two: SynthesisedFixture;
let stack: TerraformJson;

beforeAll(() => {
  two = synthFixture([
    { plugin: 'weave-net', clusterName: 'alpha' },
    { plugin: 'calico-ipip', clusterName: 'beta', plan: { vpcCidr: '10.1.0.0/16', controlPlaneCount: 3 } },
  ]);
  stack = JSON.parse(readFileSync(join(two.stackDir, 'cdk.tf.json'), 'utf8'));
});

afterAll(() => two.remove());

function withOutput(value: unknown): TerraformJson {
  return { output: { cluster: { value } } };
}

function firstValue(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(Object.values(stack.output!)[0]!.value));
}

describe('readNetworkDescriptions', () => {
  test('reads every cluster of a synthesised stack, with its plan, datapath and group ids', () => {
    const descriptions = readNetworkDescriptions(stack);
    expect(descriptions.map((d) => d.clusterName)).toEqual(['alpha', 'beta']);
    const [alpha, beta] = descriptions;
    expect(alpha.plugin).toEqual({ name: 'weave-net', datapath: { encapsulation: 'vxlan', port: 6784, controlPorts: [6783] } });
    expect(alpha.plan.podCidr).toBe('10.32.0.0/12');
    expect(alpha.plan.controlPlaneNodes[0].privateIp).toBe('10.0.128.10');
    expect(alpha.securityGroups['control-plane']).toMatch(/^alpha_control-plane_[0-9A-F]{8}$/);
    expect(alpha.securityGroups.worker).toMatch(/^alpha_worker_/);
    expect(stack.resource!.aws_security_group![alpha.securityGroups.worker]).toBeDefined();
    expect(beta.plugin.datapath).toEqual({ encapsulation: 'ipip', controlPorts: [179] });
    expect(beta.plan.controlPlaneCount).toBe(3);
  });

  test('ignores outputs of other kinds', () => {
    expect(readNetworkDescriptions({ output: { endpoint: { value: 'https://x' }, other: { value: { kind: 'something-else' } } } })).toEqual([]);
  });

  test.each([
    ['a newer version', (v: Record<string, unknown>) => ({ ...v, version: 2 }), /version is 2; this rehearsal reads version 1/],
    ['a group that is not a reference', (v: Record<string, unknown>) => ({ ...v, securityGroups: { 'control-plane': 'sg-123', worker: (v.securityGroups as Record<string, string>).worker } }), /securityGroups\["control-plane"\] is "sg-123"/],
    ['an unknown encapsulation', (v: Record<string, unknown>) => ({ ...v, plugin: { name: 'x', datapath: { encapsulation: 'geneve', controlPorts: [] } } }), /encapsulation is "geneve"/],
    ['a vxlan datapath without port', (v: Record<string, unknown>) => ({ ...v, plugin: { name: 'x', datapath: { encapsulation: 'vxlan', controlPorts: [] } } }), /needs its UDP port/],
    ['a bad pod range', (v: Record<string, unknown>) => ({ ...v, plan: { ...(v.plan as object), podCidr: '10.32.0.1/12' } }), /plan.podCidr is not canonical/],
  ])('rejects %s, naming the output and the field', (_, change, message) => {
    const read = () => readNetworkDescriptions(withOutput(change(firstValue())));
    expect(read).toThrow(RehearsalInputError);
    expect(read).toThrow(/output "cluster"/);
    expect(read).toThrow(message);
  });
});

describe('selectDescriptions', () => {
  test('all by default, one by name, and names the clusters there are when none matches', () => {
    const all = readNetworkDescriptions(stack);
    expect(selectDescriptions(all)).toHaveLength(2);
    expect(selectDescriptions(all, 'beta').map((d) => d.clusterName)).toEqual(['beta']);
    expect(() => selectDescriptions(all, 'gamma')).toThrow('no cluster named "gamma" in the stack; it has "alpha", "beta"');
    expect(() => selectDescriptions([])).toThrow(/no output of kind "cdktf-kubeadm-cluster\/network-description"/);
  });
});

describe('resolveStackFile', () => {
  test('takes a stack directory, its file, or the only stack under cdktf.out', () => {
    const file = join(two.stackDir, 'cdk.tf.json');
    expect(resolveStackFile(two.stackDir)).toBe(file);
    expect(resolveStackFile(file)).toBe(file);
    expect(resolveStackFile(two.outdir)).toBe(file);
    expect(() => resolveStackFile('does/not/exist')).toThrow('does/not/exist does not exist');
  });
});
