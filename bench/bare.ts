import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { HttpProvider } from '@cdktf/provider-http/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { App, TerraformStack } from 'cdktf';

// The baseline: the same providers as the default example and nothing else, so the ratio shows
// what the library itself costs on top of cdktf and the provider bindings.
const app = new App();
const stack = new TerraformStack(app, 'bare');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
new KubernetesProvider(stack, 'kubernetes', { alias: 'demo' });
new HelmProvider(stack, 'helm', { alias: 'demo' });
new TlsProvider(stack, 'tls');
new RandomProvider(stack, 'random');
new HttpProvider(stack, 'http');
app.synth();
