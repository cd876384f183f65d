import { issuerKeysProgram, issuerKeysUnits } from '../lib/bootstrap/issuer-keys';
import { renderUnit } from '../lib/bootstrap/systemd';
import { NodeSandbox } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';

// The program that copies the API server's key set to the issuer bucket, run in a scratch folder
// against stand-in kubectl and aws.

const JWKS = '{"keys":[{"use":"sig","kty":"EC","kid":"abc","crv":"P-256","alg":"ES256","x":"x1","y":"y1"}]}';
const props = { region: 'eu-west-1', bucket: 'demo-oidc-abc', key: 'openid/v1/jwks', cacheControl: 'max-age=300' };

function node(): NodeSandbox {
  const s = new NodeSandbox();
  s.writeFile('/etc/kubernetes/admin.conf', 'admin');
  s.standIn('kubectl', `[ -f "$STATE/jwks" ] && cat "$STATE/jwks" || printf '%s' '${JWKS}'`);
  // The upload keeps what it was given, as S3 would.
  s.standIn('aws', '[ -f "$STATE/s3-denied" ] && { echo "upload failed: AccessDenied" >&2; exit 1; }; args=("$@"); cp "\${args[-2]}" "$STATE/uploaded"');
  return s;
}

const run = (s: NodeSandbox) => s.run(issuerKeysProgram(props, { root: s.root }));

describe('issuer keys program', () => {
  let s: NodeSandbox;
  beforeEach(() => {
    s = node();
  });
  afterEach(() => s.cleanup());

  test('is shellcheck-clean', () => {
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(issuerKeysProgram(props))).toBe('');
    }
  });

  test("reads the API server's key set with the admin kubeconfig and copies it, unchanged, to the issuer bucket", () => {
    const result = run(s);
    expect(result.status).toBe(0);
    expect(s.callLines('kubectl')).toEqual([`kubectl --kubeconfig ${s.path('/etc/kubernetes/admin.conf')} --request-timeout=20s get --raw /openid/v1/jwks`]);
    const upload = s.callLines('aws');
    expect(upload).toHaveLength(1);
    // As JSON, and no longer cached than CloudFront may keep it: a new key set reaches IAM within five minutes.
    expect(upload[0]).toMatch(/^aws s3 cp --region eu-west-1 --only-show-errors --content-type application\/json --cache-control max-age=300 \S+ s3:\/\/demo-oidc-abc\/openid\/v1\/jwks$/);
    expect(require('node:fs').readFileSync(`${s.state}/uploaded`, 'utf8')).toBe(JWKS);
    expect(result.output).toContain('published the service-account keys to s3://demo-oidc-abc/openid/v1/jwks');
  });

  test('a node without an API server yet does nothing and succeeds (the bootstrap publishes after init)', () => {
    require('node:fs').rmSync(s.path('/etc/kubernetes/admin.conf'));
    const result = run(s);
    expect(result.status).toBe(0);
    expect(s.callLines('aws')).toEqual([]);
  });

  test('never publishes something that is not a key set', () => {
    for (const answer of ['<html>error</html>', '{"keys":[]}', '{"other":1}']) {
      require('node:fs').writeFileSync(`${s.state}/jwks`, answer);
      const result = run(s);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('not a key set');
    }
    expect(s.callLines('aws')).toEqual([]);
  });

  test('a refused upload fails, saying which permission to check', () => {
    require('node:fs').writeFileSync(`${s.state}/s3-denied`, '');
    const result = run(s);
    expect(result.status).not.toBe(0);
    expect(s.callLines('aws')).toHaveLength(5);
    expect(result.output).toContain("check that this node's role may s3:PutObject there");
  });

  test('an upload that fails twice (a transient S3 error) is retried, logged, and the keys are published', () => {
    s.standIn('aws', 'n=$(cat "$STATE/uploads" 2> /dev/null || echo 0); echo $((n + 1)) > "$STATE/uploads"; [ "$n" -lt 2 ] && { echo "upload failed: SlowDown" >&2; exit 1; }; args=("$@"); cp "\${args[-2]}" "$STATE/uploaded"');
    const result = run(s);
    expect(result.status).toBe(0);
    expect(s.callLines('aws')).toHaveLength(3);
    expect(result.output).toContain('aws failed (attempt 1 of 5)');
    expect(result.output).toContain('aws failed (attempt 2 of 5)');
    expect(require('node:fs').readFileSync(`${s.state}/uploaded`, 'utf8')).toBe(JWKS);
  });

  test('a timer republishes hourly', () => {
    const [service, timer] = issuerKeysUnits().map(renderUnit);
    expect(service).toContain('ExecStart=/usr/local/sbin/kubeadm-issuer-keys');
    expect(timer).toContain('OnUnitActiveSec=1h');
  });
});
