import { App } from 'cdktf';
import { DefaultExampleStack } from './stack';

const app = new App();
const stack = new DefaultExampleStack(app, 'kubeadm-cluster');
app.synth();
console.log(stack.cluster.describe());
console.log(`\nSynthesised to ${app.outdir}/stacks/kubeadm-cluster/cdk.tf.json`);
