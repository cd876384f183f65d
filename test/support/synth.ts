import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/** A synthesised stack as plain JSON, with helpers to look into it. */
export interface SynthesisedStack {
  readonly json: any;
  readonly text: string;
  resources(type: string): Array<[string, any]>;
  data(type: string): Array<[string, any]>;
}

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

export function parseStack(text: string): SynthesisedStack {
  const json = JSON.parse(text);
  return {
    json,
    text,
    resources: (type) => Object.entries(json.resource?.[type] ?? {}),
    data: (type) => Object.entries(json.data?.[type] ?? {}),
  };
}
