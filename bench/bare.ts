import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';

// The baseline: the same providers as the default example and nothing else, so the ratio shows
// what the library itself costs on top of cdktf and the provider bindings.
const app = new App();
const stack = new TerraformStack(app, 'bare');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
app.synth();
