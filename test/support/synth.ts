import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { parseStack, type SynthesisedStack } from './synthesised-stack';

export { parseStack, type SynthesisedStack } from './synthesised-stack';

/** Synthesises a stack built by `build` (with construct validations on) and parses it. */
export function synthStack(build: (stack: TerraformStack) => void): SynthesisedStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  return parseStack(Testing.synth(stack, true));
}

/** Synthesises an existing stack. */
export function synthExisting(stack: Construct): SynthesisedStack {
  return parseStack(Testing.synth(stack as TerraformStack, true));
}
