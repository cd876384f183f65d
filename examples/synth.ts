import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { KubeadmCluster } from '../lib';
import { CalicoExampleStack } from './calico/stack';
import { DefaultExampleStack } from './default/stack';
import { ExistingVpcExampleStack } from './existing-vpc/stack';
import { FlannelExampleStack } from './flannel/stack';
import { HaCiliumExampleStack } from './ha-cilium/stack';
import { TwoClustersExampleStack } from './two-clusters/stack';

/** Every example, by the name of its folder and the stack name it synthesises to. */
export const EXAMPLES: Record<string, (scope: Construct, id: string) => TerraformStack> = {
  default: (s, id) => new DefaultExampleStack(s, id),
  'ha-cilium': (s, id) => new HaCiliumExampleStack(s, id),
  calico: (s, id) => new CalicoExampleStack(s, id),
  flannel: (s, id) => new FlannelExampleStack(s, id),
  'existing-vpc': (s, id) => new ExistingVpcExampleStack(s, id),
  'two-clusters': (s, id) => new TwoClustersExampleStack(s, id),
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
  for (const cluster of stack.node.findAll().filter((c): c is KubeadmCluster => c instanceof KubeadmCluster)) {
    const diagram = join(stackDir, `${cluster.clusterName}-network.mmd`);
    writeFileSync(diagram, cluster.diagram());
    console.log(cluster.describe());
    console.log(`Network diagram (Mermaid): ${diagram}`);
    console.log('');
  }
  console.log(`Synthesised to ${app.outdir}/stacks/${stackName(example)}/cdk.tf.json`);
}

if (require.main === module) {
  synthExample(process.argv[2] ?? 'default');
}
