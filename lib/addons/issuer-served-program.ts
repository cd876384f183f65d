/**
 * The deploy's wait until the service-account issuer's discovery document is served from its
 * public URL, as IAM and STS read it: a small Node.js program that Terraform runs once through a
 * `local-exec` provisioner (whoever runs cdktf has Node.js), like the API readiness wait. It polls
 * `<issuer>/.well-known/openid-configuration` until it answers 200 with a document whose `issuer`
 * is the URL, and fails with what to check when the time is up.
 *
 * It lets the control plane boot while a CloudFront distribution is still deploying to its edge
 * locations: the API server needs only the issuer's URL, which the distribution has from its
 * creation; the IAM provider and every role that trusts it need the document served.
 *
 * Inputs come from the environment: `ISSUER_URL`, `ISSUER_TIMEOUT_SECONDS`, and optionally
 * `ISSUER_INTERVAL_SECONDS` (10). Terraform reads every string of the configuration as a template,
 * so the program holds neither a dollar sign nor a percent sign followed by an opening brace.
 */

/** Environment variables the program reads. */
export const ISSUER_SERVED_ENV = {
  url: 'ISSUER_URL',
  timeoutSeconds: 'ISSUER_TIMEOUT_SECONDS',
  intervalSeconds: 'ISSUER_INTERVAL_SECONDS',
} as const;

/** How long the deploy waits by default: CloudFront deploys a new distribution in minutes. */
export const ISSUER_SERVED_TIMEOUT_MINUTES = 30;

const PROGRAM_LINES = [
  "'use strict';",
  'const env = process.env;',
  `const issuer = env.${ISSUER_SERVED_ENV.url};`,
  "const url = new URL(issuer + '/.well-known/openid-configuration');",
  "const client = require(url.protocol === 'https:' ? 'node:https' : 'node:http');",
  `const timeoutMs = Number(env.${ISSUER_SERVED_ENV.timeoutSeconds}) * 1000;`,
  `const intervalMs = Number(env.${ISSUER_SERVED_ENV.intervalSeconds} || 10) * 1000;`,
  'const deadline = Date.now() + timeoutMs;',
  "const say = (line) => process.stdout.write(new Date().toISOString() + ' ' + line + '\\n');",
  'function attempt() {',
  '  return new Promise((resolve) => {',
  '    const request = client.get(url, { timeout: 10000, agent: false }, (response) => {',
  "      let body = '';",
  "      response.setEncoding('utf8');",
  "      response.on('data', (chunk) => { if (body.length < 20000) body += chunk; });",
  "      response.on('end', () => {",
  "        if (response.statusCode !== 200) return resolve({ ok: false, detail: 'HTTP ' + response.statusCode });",
  '        let document;',
  "        try { document = JSON.parse(body); } catch (error) { return resolve({ ok: false, detail: 'not JSON: ' + body.slice(0, 80) }); }",
  "        if (document.issuer !== issuer) return resolve({ ok: false, detail: 'issuer is ' + JSON.stringify(document.issuer) + ', not ' + JSON.stringify(issuer) });",
  "        resolve({ ok: true, detail: 'HTTP 200' });",
  '      });',
  '    });',
  "    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));",
  "    request.on('error', (error) => resolve({ ok: false, detail: (error.code ? error.code + ': ' : '') + error.message }));",
  '  });',
  '}',
  'async function main() {',
  "  let last = 'no attempt yet';",
  '  let attempts = 0;',
  "  say('waiting up to ' + Math.round(timeoutMs / 1000) + ' s for ' + url.href);",
  '  for (;;) {',
  '    const result = await attempt();',
  '    attempts += 1;',
  '    if (result.ok) {',
  "      say('the service-account issuer is served (' + url.href + ', attempt ' + attempts + ')');",
  '      return 0;',
  '    }',
  '    last = result.detail;',
  '    if (Date.now() + intervalMs > deadline) {',
  "      process.stderr.write('The service-account issuer ' + issuer + ' did not serve its discovery document within ' + Math.round(timeoutMs / 60000 * 10) / 10 + ' minutes (' + attempts + ' attempts; last: ' + last + ').\\n' +",
  "        'Where to look: the CloudFront distribution\\'s status (aws cloudfront get-distribution), the bucket policy that lets the distribution read the bucket, and the object .well-known/openid-configuration in the issuer bucket. ' +",
  "        'With ServiceAccountIssuerHosting.publicBucket(), the account\\'s and the bucket\\'s Block Public Access settings.\\n');",
  '      return 1;',
  '    }',
  "    say('not served yet: ' + last);",
  '    await new Promise((resolve) => setTimeout(resolve, intervalMs));',
  '  }',
  '}',
  'main().then((code) => { process.exitCode = code; });',
];

/** The program's source, for `node -e`. */
export const ISSUER_SERVED_PROGRAM: string = PROGRAM_LINES.join('\n');
