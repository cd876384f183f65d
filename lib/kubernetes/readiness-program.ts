/**
 * The deploy's wait for the API server: a small Node.js program that Terraform runs once, through a
 * `local-exec` provisioner with `node` as its interpreter (whoever runs cdktf has Node.js). It polls
 * `/readyz` with the cluster CA pinned and Terraform's client certificate until it answers 200, and
 * fails with a message that says where to look when the time is up.
 *
 * Inputs come from the environment (Terraform marks the client key sensitive there):
 * `READYZ_URL`, `READYZ_CA_PEM`, `READYZ_CLIENT_CERT_PEM`, `READYZ_CLIENT_KEY_PEM`,
 * `READYZ_TIMEOUT_SECONDS`, and optionally `READYZ_INTERVAL_SECONDS` (10), `READYZ_INSTANCE_IDS`
 * (space-separated control-plane instance ids) and `READYZ_REGION`, for the message.
 *
 * Terraform reads every string of the configuration as a template, so the program holds neither a
 * dollar sign nor a percent sign followed by an opening brace.
 */

/** Environment variables the program reads. */
export const READINESS_ENV = {
  url: 'READYZ_URL',
  caPem: 'READYZ_CA_PEM',
  clientCertPem: 'READYZ_CLIENT_CERT_PEM',
  clientKeyPem: 'READYZ_CLIENT_KEY_PEM',
  timeoutSeconds: 'READYZ_TIMEOUT_SECONDS',
  intervalSeconds: 'READYZ_INTERVAL_SECONDS',
  instanceIds: 'READYZ_INSTANCE_IDS',
  region: 'READYZ_REGION',
} as const;

/** Where each node logs its bootstrap; named in the timeout message. */
const BOOTSTRAP_LOG = '/var/log/kubeadm-bootstrap.log';
const BOOTSTRAP_UNIT = 'kubeadm-bootstrap';

// Certificate errors mean the server is not the cluster's (or the CA is not the cluster's): no
// amount of waiting fixes them, so they end the wait at once.
const PROGRAM_LINES = [
  "'use strict';",
  "const https = require('node:https');",
  'const env = process.env;',
  `const url = new URL('/readyz', env.${READINESS_ENV.url});`,
  `const timeoutMs = Number(env.${READINESS_ENV.timeoutSeconds}) * 1000;`,
  `const intervalMs = Number(env.${READINESS_ENV.intervalSeconds} || 10) * 1000;`,
  'const deadline = Date.now() + timeoutMs;',
  "const say = (line) => process.stdout.write(new Date().toISOString() + ' ' + line + '\\n');",
  "const CERTIFICATE_ERRORS = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'ERR_TLS_CERT_ALTNAME_INVALID']);",
  'function attempt() {',
  '  return new Promise((resolve) => {',
  '    const request = https.get(url, {',
  `      ca: env.${READINESS_ENV.caPem},`,
  `      cert: env.${READINESS_ENV.clientCertPem},`,
  `      key: env.${READINESS_ENV.clientKeyPem},`,
  '      timeout: 5000,',
  '      agent: false,',
  '    }, (response) => {',
  "      let body = '';",
  "      response.setEncoding('utf8');",
  "      response.on('data', (chunk) => { if (body.length < 2000) body += chunk; });",
  "      response.on('end', () => resolve({ status: response.statusCode, detail: 'HTTP ' + response.statusCode + ' ' + body.trim().split('\\n').slice(-3).join(' ') }));",
  '    });',
  "    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));",
  "    request.on('error', (error) => resolve({ status: 0, code: error.code || '', detail: (error.code ? error.code + ': ' : '') + error.message }));",
  '  });',
  '}',
  'function whereToLook() {',
  `  const ids = (env.${READINESS_ENV.instanceIds} || '').split(/\\s+/).filter(Boolean);`,
  `  const region = env.${READINESS_ENV.region} ? ' --region ' + env.${READINESS_ENV.region} : '';`,
  "  const target = ids.length > 0 ? ids : ['<control-plane instance id>'];",
  '  return [',
  "    'Where to look:',",
  "    ...target.map((id) => '- the node\\'s console output: aws ec2 get-console-output' + region + ' --latest --output text --instance-id ' + id),",
  `    '- on the node (aws ssm start-session --target <instance id>): the bootstrap log ${BOOTSTRAP_LOG} and journalctl -u ${BOOTSTRAP_UNIT}',`,
  "    '- the address of the machine running the deploy must be in apiAccessCidrs, or the API cannot answer it',",
  "  ].join('\\n');",
  '}',
  'async function main() {',
  "  let last = 'no attempt yet';",
  '  let attempts = 0;',
  "  say('waiting up to ' + Math.round(timeoutMs / 1000) + ' s for ' + url.href);",
  '  for (;;) {',
  '    const result = await attempt();',
  '    attempts += 1;',
  '    if (result.status === 200) {',
  "      say('the API server is ready (' + url.href + ', attempt ' + attempts + ')');",
  '      return 0;',
  '    }',
  '    last = result.detail;',
  '    if (result.status === 0 && CERTIFICATE_ERRORS.has(result.code)) {',
  "      process.stderr.write('The server at ' + url.href + ' presented a certificate the pinned cluster CA does not verify (' + last + '): it is not this cluster\\'s API server, or the API server\\'s certificate was not signed by the cluster CA.\\n' + whereToLook() + '\\n');",
  '      return 2;',
  '    }',
  '    if (Date.now() + intervalMs > deadline) {',
  "      process.stderr.write('The Kubernetes API server at ' + url.href + ' did not become ready within ' + Math.round(timeoutMs / 60000 * 10) / 10 + ' minutes (' + attempts + ' attempts; last: ' + last + ').\\n' + whereToLook() + '\\n');",
  '      return 1;',
  '    }',
  "    say('not ready yet: ' + last);",
  '    await new Promise((resolve) => setTimeout(resolve, intervalMs));',
  '  }',
  '}',
  'main().then((code) => { process.exitCode = code; });',
];

/** The program's source, for `node -e`. */
export const READINESS_PROGRAM: string = PROGRAM_LINES.join('\n');
