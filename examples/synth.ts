import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { KubeadmCluster } from '../lib';
import { describeDeployPath, estimateDeployPath } from '../lib/deploy-path';

/* eslint-disable @typescript-eslint/no-require-imports */

/**
 * Every example, by the name of its folder and the stack name it synthesises to. Each example's
 * module loads when it is built, so that synthesising one example loads none of the others.
 */
export const EXAMPLES: Record<string, (scope: Construct, id: string) => TerraformStack> = {
  default: (s, id) => {
    const { DefaultExampleStack } = require('./default/stack') as typeof import('./default/stack');
    return new DefaultExampleStack(s, id);
  },
  'ha-cilium': (s, id) => {
    const { HaCiliumExampleStack } = require('./ha-cilium/stack') as typeof import('./ha-cilium/stack');
    return new HaCiliumExampleStack(s, id);
  },
  calico: (s, id) => {
    const { CalicoExampleStack } = require('./calico/stack') as typeof import('./calico/stack');
    return new CalicoExampleStack(s, id);
  },
  flannel: (s, id) => {
    const { FlannelExampleStack } = require('./flannel/stack') as typeof import('./flannel/stack');
    return new FlannelExampleStack(s, id);
  },
  routed: (s, id) => {
    const { RoutedExampleStack } = require('./routed/stack') as typeof import('./routed/stack');
    return new RoutedExampleStack(s, id);
  },
  'existing-vpc': (s, id) => {
    const { ExistingVpcExampleStack } = require('./existing-vpc/stack') as typeof import('./existing-vpc/stack');
    return new ExistingVpcExampleStack(s, id);
  },
  'autoscaled-spot': (s, id) => {
    const { AutoscaledSpotExampleStack } = require('./autoscaled-spot/stack') as typeof import('./autoscaled-spot/stack');
    return new AutoscaledSpotExampleStack(s, id);
  },
  'two-clusters': (s, id) => {
    const { TwoClustersExampleStack } = require('./two-clusters/stack') as typeof import('./two-clusters/stack');
    return new TwoClustersExampleStack(s, id);
  },
};

/** The stack name each example synthesises to. */
export function stackName(example: string): string {
  return example === 'default' ? 'kubeadm-cluster' : example;
}

/** Synthesises one example into the app's output folder and prints what the deploy will create. */
export function synthExample(example: string): void {
  const make = EXAMPLES[example];
  if (!make) {
    throw new Error(`unknown example "${example}"; choose one of ${Object.keys(EXAMPLES).join(', ')}`);
  }
  const app = new App();
  const stack = make(app, stackName(example));
  app.synth();
  const stackDir = join(app.outdir, 'stacks', stackName(example));
  // The estimate reads the stack as written, so it sees the graph Terraform will.
  const synthesised = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
  for (const cluster of stack.node.findAll().filter((c): c is KubeadmCluster => c instanceof KubeadmCluster)) {
    const diagram = join(stackDir, `${cluster.clusterName}-network.mmd`);
    writeFileSync(diagram, cluster.diagram());
    console.log(cluster.describe());
    console.log('');
    console.log(describeDeployPath(estimateDeployPath(synthesised, { clusterPath: cluster.node.path })));
    console.log(`Network diagram (Mermaid): ${diagram}`);
    console.log('');
  }
  console.log(`Synthesised to ${app.outdir}/stacks/${stackName(example)}/cdk.tf.json`);
}

if (require.main === module) {
  synthExample(process.argv[2] ?? 'default');
}
