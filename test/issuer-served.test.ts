import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ISSUER_SERVED_ENV, ISSUER_SERVED_PROGRAM, ISSUER_SERVED_TIMEOUT_MINUTES } from '../lib/addons/issuer-served-program';
import { synthesisedExample } from './support/example-synth';
import { dependencyGraph, waitsOf } from './support/terraform-graph';

// The deploy's wait for the service-account issuer's discovery document, run with node against a
// local server that answers like a distribution still deploying, then like one that serves; and
// where the wait sits in the synthesised graph: the IAM provider waits for it, the control plane
// does not.

/** A server whose n-th answer (from 1) `answer` gives; it knows its own URL. */
async function serve(answer: (n: number, url: string) => { status: number; body?: unknown }): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const { status, body } = answer(seen.length, url);
    res.statusCode = status;
    res.end(body === undefined ? '' : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function run(url: string, timeoutSeconds: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', ISSUER_SERVED_PROGRAM], {
      env: { PATH: process.env.PATH, [ISSUER_SERVED_ENV.url]: url, [ISSUER_SERVED_ENV.timeoutSeconds]: String(timeoutSeconds), [ISSUER_SERVED_ENV.intervalSeconds]: '0.1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the wait for the served issuer', () => {
  test('a document that names another issuer is never taken: the wait ends, saying what to check', async () => {
    const server = await serve(() => ({ status: 200, body: { issuer: 'https://elsewhere.example' } }));
    try {
      const result = await run(server.url, 1);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`The service-account issuer ${server.url} did not serve its discovery document within`);
      expect(result.stderr).toContain(`last: issuer is "https://elsewhere.example", not "${server.url}"`);
      expect(result.stderr).toContain("the CloudFront distribution's status (aws cloudfront get-distribution)");
    } finally {
      await server.close();
    }
  });

  test('waits while the distribution answers 403 and 404, then ends once the document names the issuer', async () => {
    const server = await serve((n, url) => (n < 3 ? { status: n === 1 ? 403 : 404 } : { status: 200, body: { issuer: url } }));
    try {
      const result = await run(server.url, 30);
      expect(result.status).toBe(0);
      expect(server.seen).toEqual(Array(3).fill('/.well-known/openid-configuration'));
      expect(result.stdout).toContain('not served yet: HTTP 403');
      expect(result.stdout).toContain('not served yet: HTTP 404');
      expect(result.stdout).toContain(`the service-account issuer is served (${server.url}/.well-known/openid-configuration, attempt 3)`);
    } finally {
      await server.close();
    }
  });

  test('holds no Terraform template sequence', () => {
    expect(ISSUER_SERVED_PROGRAM).not.toMatch(/\$\{|%\{/);
  });

  test('in the graph: the IAM provider waits for it, the control plane only for the distribution\'s creation', () => {
    const synth = synthesisedExample('default');
    const [waitKey, wait] = synth.resources('terraform_data').find(([k]) => k.includes('issuer-served'))!;
    expect(wait.provisioner[0]['local-exec'].environment[ISSUER_SERVED_ENV.timeoutSeconds]).toBe(String(ISSUER_SERVED_TIMEOUT_MINUTES * 60));
    const [, distribution] = synth.resources('aws_cloudfront_distribution')[0];
    expect(distribution.wait_for_deployment).toBe(false);
    const graph = dependencyGraph(synth.json);
    const [providerKey] = synth.resources('aws_iam_openid_connect_provider')[0];
    expect(waitsOf(graph, `aws_iam_openid_connect_provider.${providerKey}`)).toContain(`terraform_data.${waitKey}`);
    const groups = synth.resources('aws_autoscaling_group').filter(([id]) => id.includes('_control-plane_'));
    expect(groups.length).toBeGreaterThan(0);
    for (const [group] of groups) {
      const waits = waitsOf(graph, `aws_autoscaling_group.${group}`);
      expect(waits).not.toContain(`terraform_data.${waitKey}`);
      expect([...waits].some((w) => w.startsWith('aws_cloudfront_distribution.'))).toBe(true);
    }
  });
});
