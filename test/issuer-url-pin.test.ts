import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceAccountIssuer } from '../lib/addons/service-account-issuer';
import { synthStack } from './support/synth';
import { commandPath } from './support/validators';

// The pin and guard as the issuer synthesises them, run by a real Terraform against a stand-in
// for what IAM reads (a terraform_data that waits for the guard, as the provider does), with the
// distribution's domain as a variable: the second deploy with the same URL passes, a deploy that
// would move the URL stops before the stand-in changes, and removing the pin from the state (the
// migration's last step) lets the new URL through.

const synth = synthStack((stack) => new ServiceAccountIssuer(stack, 'issuer', { clusterName: 'demo', region: 'eu-west-1' }));
const [distributionKey] = synth.resources('aws_cloudfront_distribution')[0];
const [pinKey] = synth.resources('terraform_data').find(([k]) => k.includes('issuer-url-pin'))!;
const [guardKey] = synth.resources('terraform_data').find(([k]) => k.includes('issuer-url-guard'))!;

function configuration(): string {
  // The pin and the guard alone (the issuer's wait for its served document needs the internet).
  const all = synth.json.resource.terraform_data;
  const data = JSON.parse(JSON.stringify({ [pinKey]: all[pinKey], [guardKey]: all[guardKey] }));
  const text = JSON.stringify(data).split(`\${aws_cloudfront_distribution.${distributionKey}.domain_name}`).join('${var.domain}');
  return JSON.stringify({
    variable: { domain: { type: 'string' } },
    resource: { terraform_data: { ...JSON.parse(text), iam_provider: { input: '${var.domain}', depends_on: [`terraform_data.${guardKey}`] } } },
    output: { provider_url: { value: '${terraform_data.iam_provider.output}' } },
  });
}

// OpenTofu as .ci/tools builds it (TOFU_BIN), or a Terraform on PATH: the pin needs no provider.
const terraform = process.env.TOFU_BIN || commandPath('tofu') || commandPath('terraform');
if (!terraform && process.env.CI) {
  throw new Error('OpenTofu missing in CI: TOFU_BIN is not set and neither tofu nor terraform is on PATH; .ci/run exports it from .ci/tools');
}
const describeWithTerraform = terraform ? describe : describe.skip;
if (!terraform) {
  // eslint-disable-next-line no-console
  console.warn('SKIPPED: neither TOFU_BIN (.ci/tools) nor tofu or terraform on PATH; the issuer pin is checked by its synthesised form only');
}

describeWithTerraform('the issuer URL pin, run by Terraform', () => {
  const dir = mkdtempSync(join(tmpdir(), 'issuer-pin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tf = (...args: string[]) => {
    const r = spawnSync(terraform!, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' } });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  };
  const apply = (domain: string) => tf('apply', '-auto-approve', '-input=false', '-no-color', `-var=domain=${domain}`);
  const providerUrl = () => tf('output', '-raw', 'provider_url').output;

  beforeAll(() => {
    writeFileSync(join(dir, 'main.tf.json'), configuration());
    expect(tf('init', '-input=false', '-no-color').status).toBe(0);
  });

  test('first deploy pins the URL; the same URL again changes nothing', () => {
    expect(apply('d111.cloudfront.net').status).toBe(0);
    expect(providerUrl()).toBe('d111.cloudfront.net');
    const again = apply('d111.cloudfront.net');
    expect(again.status).toBe(0);
    expect(again.output).toContain('0 added, 0 changed, 0 destroyed');
  });

  test('a deploy that would move the URL stops, saying why, and what IAM reads keeps the old URL', () => {
    const moved = apply('d222.cloudfront.net');
    expect(moved.status).not.toBe(0);
    expect(moved.output.replace(/\s+/g, ' ')).toContain('This deploy would move the service-account issuer of a running cluster');
    expect(providerUrl()).toBe('d111.cloudfront.net');
  });

  test('with the pin removed from the state (the end of a migration), the next deploy pins the new URL', () => {
    expect(tf('state', 'rm', `terraform_data.${pinKey}`).status).toBe(0);
    expect(apply('d222.cloudfront.net').status).toBe(0);
    expect(providerUrl()).toBe('d222.cloudfront.net');
    expect(apply('d222.cloudfront.net').output).toContain('0 added, 0 changed, 0 destroyed');
  });
});
