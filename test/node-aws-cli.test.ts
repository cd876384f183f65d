import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeAwsCommand } from '../lib/bootstrap/cloud-init';
import { PreloadedPython } from './support/preloaded-python';

// The nodes' stand-in for the AWS CLI (Ubuntu 24.04 has no AWS CLI package, only python3-boto3),
// run with Debian's python3 and python3-boto3 against a fake AWS endpoint that speaks the real wire
// protocols: SSM JSON 1.1, the Auto Scaling and CloudWatch query protocol, S3 REST.

// What nodes receive (user-data and the channel carry it without its comment lines), written out
// once per test file, so that the program tested is the one that ships.
const SHIPPED_DIR = mkdtempSync(join(tmpdir(), 'node-aws-cli-program-'));
const PROGRAM = join(SHIPPED_DIR, 'aws-cli.py');
writeFileSync(PROGRAM, nodeAwsCommand(), { mode: 0o755 });
afterAll(() => rmSync(SHIPPED_DIR, { recursive: true, force: true }));
// Debian's python3, not whichever python3 is first on PATH: only Debian's has python3-boto3.
const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3 with boto3 is here; in CI its absence fails, locally it skips. */
function hasBoto3(): boolean {
  if (spawnSync(PYTHON, ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0) {
    return true;
  }
  const why = `${PYTHON} cannot import boto3 (Debian package python3-boto3); .ci/run installs it`;
  if (process.env.CI) {
    throw new Error(`validator missing in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED validation: ${why}`);
  return false;
}

// ---- The fake AWS endpoint ------------------------------------------------------------------------

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The service in the SigV4 credential scope, e.g. `ssm`, `monitoring`, `s3`. */
  readonly signedService?: string;
  readonly signedRegion?: string;
  /** `AmazonSSM.GetParameter` style target (JSON protocol) or `Action` (query protocol). */
  readonly operation?: string;
  /** The JSON body (JSON protocol) or the form fields (query protocol). */
  readonly params: Record<string, unknown>;
}

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/([a-z0-9-]+)\/([a-z0-9]+)\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/;
const JOIN_TOKEN = 'k8sabc.0123456789abcdef';
const IMDS_REGION = 'ap-southeast-2';

interface S3Object {
  readonly body: Buffer;
  readonly lastModified: Date;
  readonly headers: Record<string, string>;
}

class FakeAws {
  public readonly requests: Recorded[] = [];
  public readonly parameters = new Map<string, { type: string; value: string; version: number }>();
  public readonly objects = new Map<string, S3Object>();
  /** SSM documents' content by name. */
  public readonly documents = new Map<string, string>();
  /** S3 answers at most this many keys a page, so that small listings paginate. */
  public pageSize = 2;
  private server?: Server;

  public get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  public async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  public async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  public ofService(service: string): Recorded[] {
    return this.requests.filter((r) => r.signedService === service);
  }

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const scope = SIGV4.exec(String(req.headers.authorization ?? ''));
    const target = req.headers['x-amz-target'] as string | undefined;
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const formParams = form ? Object.fromEntries(new URLSearchParams(body.toString('utf8'))) : {};
    const record: Recorded = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      signedRegion: scope?.[1],
      signedService: scope?.[2],
      operation: target ?? (formParams.Action as string | undefined),
      params: target ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>) : formParams,
    };
    this.requests.push(record);
    if (url.pathname.startsWith('/latest/')) {
      return this.imds(req, url.pathname, res);
    }
    if (target?.startsWith('AmazonSSM.')) {
      return this.ssm(record, res);
    }
    if (form) {
      return this.query(record, res);
    }
    return this.s3(record, res);
  }

  private imds(req: IncomingMessage, path: string, res: ServerResponse): void {
    if (req.method === 'PUT' && path === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      res.end('imds-token');
    } else if (path === '/latest/meta-data/placement/region' && req.headers['x-aws-ec2-metadata-token'] === 'imds-token') {
      res.end(IMDS_REGION);
    } else {
      res.statusCode = 401;
      res.end();
    }
  }

  private ssm(r: Recorded, res: ServerResponse): void {
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'req-1' });
      res.end(JSON.stringify(payload));
    };
    const p = r.params as { Name: string; Value?: string; Type?: string; WithDecryption?: boolean; Overwrite?: boolean };
    if (p.Name === '/always/fails') {
      return reply(500, { __type: 'InternalServerError', message: 'try again' });
    }
    if (r.operation === 'AmazonSSM.GetParameter') {
      const parameter = this.parameters.get(p.Name);
      if (!parameter) {
        return reply(400, { __type: 'ParameterNotFound' }); // SSM sends no message for this one
      }
      const hidden = parameter.type === 'SecureString' && !p.WithDecryption;
      return reply(200, {
        Parameter: {
          Name: p.Name,
          Type: parameter.type,
          Value: hidden ? 'AQICAHh-ciphertext' : parameter.value,
          Version: parameter.version,
          LastModifiedDate: 1767225600.123,
          ARN: `arn:aws:ssm:eu-west-1:111122223333:parameter${p.Name}`,
          DataType: 'text',
        },
      });
    }
    if (r.operation === 'AmazonSSM.PutParameter') {
      const existing = this.parameters.get(p.Name);
      if (existing && !p.Overwrite) {
        return reply(400, { __type: 'ParameterAlreadyExists', message: 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.' });
      }
      const version = (existing?.version ?? 0) + 1;
      this.parameters.set(p.Name, { type: p.Type ?? existing?.type ?? 'String', value: p.Value ?? '', version });
      return reply(200, { Version: version, Tier: 'Standard' });
    }
    if (r.operation === 'AmazonSSM.GetDocument') {
      const content = this.documents.get(p.Name);
      if (content === undefined) {
        return reply(400, { __type: 'InvalidDocument', message: 'The specified document does not exist.' });
      }
      const version = (r.params as { DocumentVersion?: string }).DocumentVersion ?? '1';
      return reply(200, { Name: p.Name, DocumentVersion: version === '$LATEST' ? '3' : version, Status: 'Active', Content: content, DocumentType: 'Command', DocumentFormat: 'JSON' });
    }
    return reply(400, { __type: 'InvalidAction', message: `unexpected ${r.operation}` });
  }

  /** Auto Scaling and CloudWatch: form-encoded `Action=...`, XML answers. */
  private query(r: Recorded, res: ServerResponse): void {
    const ns = r.signedService === 'monitoring' ? 'http://monitoring.amazonaws.com/doc/2010-08-01/' : 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
    const p = r.params as Record<string, string>;
    res.setHeader('Content-Type', 'text/xml');
    if (p.Action === 'CompleteLifecycleAction' && p.InstanceId === 'i-0unknown') {
      res.statusCode = 400;
      res.end(`<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found with instance ID i-0unknown</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`);
      return;
    }
    if (p.Action === 'AttachVolume') {
      // EC2's own query protocol: its namespace, and its error shape.
      if (p.VolumeId === 'vol-0inuse') {
        res.statusCode = 400;
        res.end(`<Response><Errors><Error><Code>VolumeInUse</Code><Message>vol-0inuse is already attached to an instance</Message></Error></Errors><RequestID>req-4</RequestID></Response>`);
        return;
      }
      res.end(`<AttachVolumeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-5</requestId><volumeId>${p.VolumeId}</volumeId><instanceId>${p.InstanceId}</instanceId><device>${p.Device}</device><status>attaching</status><attachTime>2026-03-01T10:15:00.000Z</attachTime></AttachVolumeResponse>`);
      return;
    }
    const known = ['CompleteLifecycleAction', 'SetInstanceHealth', 'PutMetricData', 'UpdateAutoScalingGroup'];
    if (!known.includes(p.Action)) {
      res.statusCode = 400;
      res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${p.Action}</Message></Error></ErrorResponse>`);
      return;
    }
    const result = p.Action === 'CompleteLifecycleAction' ? '<CompleteLifecycleActionResult/>' : '';
    res.end(`<${p.Action}Response xmlns="${ns}">${result}<ResponseMetadata><RequestId>req-3</RequestId></ResponseMetadata></${p.Action}Response>`);
  }

  /** S3, path-style: PUT/HEAD/GET object and ListObjectsV2. */
  private s3(r: Recorded, res: ServerResponse): void {
    const [, bucket, ...rest] = r.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    res.setHeader('x-amz-request-id', 'req-4');
    if (r.method === 'GET' && key === '' && r.query.get('list-type') === '2') {
      return this.list(bucket, r.query, res);
    }
    const id = `${bucket}/${key}`;
    if (r.method === 'PUT') {
      const headers: Record<string, string> = {};
      for (const name of ['x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']) {
        if (r.headers[name]) headers[name] = String(r.headers[name]);
      }
      this.objects.set(id, { body: r.body, lastModified: new Date(), headers });
      res.setHeader('ETag', '"etag-put"');
      res.end();
      return;
    }
    const object = this.objects.get(id);
    if (!object) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/xml');
      res.end(r.method === 'HEAD' ? undefined : `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key}</Key></Error>`);
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('ETag', '"etag-get"');
    res.setHeader('Last-Modified', object.lastModified.toUTCString());
    res.setHeader('Content-Length', String(object.body.length));
    res.end(r.method === 'HEAD' ? undefined : object.body);
  }

  private list(bucket: string, query: URLSearchParams, res: ServerResponse): void {
    const prefix = query.get('prefix') ?? '';
    const encode = query.get('encoding-type') === 'url';
    const keys = [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}/${prefix}`))
      .map((id) => id.slice(bucket.length + 1))
      .sort();
    const start = Number(query.get('continuation-token') ?? '0');
    const page = keys.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < keys.length;
    const contents = page.map((key) => {
      const o = this.objects.get(`${bucket}/${key}`)!;
      return `<Contents><Key>${encode ? encodeURIComponent(key) : key}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>"e"</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    });
    res.setHeader('Content-Type', 'application/xml');
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
        `${encode ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${contents.join('')}` +
        `${start ? `<ContinuationToken>${start}</ContinuationToken>` : ''}` +
        `${truncated ? `<NextContinuationToken>${start + this.pageSize}</NextContinuationToken>` : ''}</ListBucketResult>`,
    );
  }
}

// ---- Running the program --------------------------------------------------------------------------

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

let fake: FakeAws;
let dir: string;
let preloaded: PreloadedPython;

// What the program imports when it calls AWS; forked runs find them imported.
const PRELOADED_MODULES = ['botocore.session', 'botocore.config', 'botocore.exceptions', 'jmespath', 'boto3.s3.transfer'];

/**
 * Runs the program asynchronously (the fake endpoint lives in this process) in a clean environment:
 * as its own process forked from one with botocore imported, or with `fresh`, as a new
 * `python3 PROGRAM` that starts and imports everything itself, as on a node.
 */
function aws(args: string[], env: Record<string, string | undefined> = {}, fresh = false): Promise<Run> {
  const base: Record<string, string | undefined> = {
    PATH: '/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-key',
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL: fake.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
  };
  const merged = Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const started = Date.now();
  if (!fresh) {
    return preloaded.run(args, merged, dir).then((run) => ({ ...run, ms: Date.now() - started }));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PROGRAM, ...args], { env: merged, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

function lastRequest(service: string): Recorded {
  const all = fake.ofService(service);
  expect(all.length).toBeGreaterThan(0);
  return all[all.length - 1];
}

const available = hasBoto3();
const suite = available ? describe : describe.skip;

suite('the nodes\' minimal AWS CLI (Debian python3 + boto3 against a fake AWS endpoint)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'node-aws-cli-'));
    fake = new FakeAws();
    await fake.start();
    preloaded = new PreloadedPython(PYTHON, PROGRAM, PRELOADED_MODULES, { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' });
  });
  afterAll(async () => {
    await preloaded.stop();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.requests.length = 0;
  });
  afterEach(() => {
    // Every call to AWS (instance metadata aside) carries a SigV4 signature, with the service's
    // own signing name in its scope.
    const unsigned = fake.requests.filter((r) => !r.path.startsWith('/latest/') && !r.signedService);
    expect(unsigned.map((r) => `${r.method} ${r.path} ${String(r.headers.authorization)}`)).toEqual([]);
  });

  test('compiles with python3 -m py_compile', () => {
    const result = spawnSync(PYTHON, ['-m', 'py_compile', PROGRAM], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', PYTHONPYCACHEPREFIX: join(dir, 'pycache') }, // keeps lib/ free of __pycache__
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(PROGRAM, 'utf8').split('\n')[0]).toBe('#!/usr/bin/python3');
  });

  test('uses standard retries with 5 attempts in all and bounded timeouts by default', async () => {
    const probe = [
      'import importlib.util, sys',
      `spec = importlib.util.spec_from_file_location("awscli_subset", ${JSON.stringify(PROGRAM)})`,
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'c = m.make_client("ssm", {}).meta.config',
      'print(c.retries["mode"], c.retries["total_max_attempts"], c.connect_timeout, c.read_timeout)',
    ].join('\n');
    const result = spawnSync(PYTHON, ['-c', probe], {
      encoding: 'utf8',
      // Importing the program as a module must not leave a __pycache__ next to it in lib/.
      env: { PATH: '/usr/bin:/bin', AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true', HOME: dir, PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('standard 5 10 30');
  });

  test('ssm get-parameter --with-decryption --query Parameter.Value --output text prints the value alone', async () => {
    fake.parameters.set('/cluster/demo/join-token', { type: 'SecureString', value: JOIN_TOKEN, version: 3 });
    const run = await aws(['ssm', 'get-parameter', '--name', '/cluster/demo/join-token', '--with-decryption', '--query', 'Parameter.Value', '--output', 'text'], {}, true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${JOIN_TOKEN}\n`);
    const request = lastRequest('ssm');
    expect(request.operation).toBe('AmazonSSM.GetParameter');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request.params).toEqual({ Name: '/cluster/demo/join-token', WithDecryption: true });
    expect(request.signedRegion).toBe('eu-west-1');
  });

  test('ssm get-document --document-version $LATEST --query Content --output text prints the document alone', async () => {
    const content = JSON.stringify({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runShellScript', name: 'run', inputs: { runCommand: ['echo installed'] } }] });
    fake.documents.set('demo-join-token-rotation', content);
    const run = await aws(['ssm', 'get-document', '--name', 'demo-join-token-rotation', '--document-version', '$LATEST', '--query', 'Content', '--output', 'text'], {}, true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${content}\n`);
    expect(lastRequest('ssm').operation).toBe('AmazonSSM.GetDocument');
    expect(lastRequest('ssm').params).toEqual({ Name: 'demo-join-token-rotation', DocumentVersion: '$LATEST' });
    const missing = await aws(['ssm', 'get-document', '--name', 'demo-nothing'], {}, true);
    expect(missing.status).toBe(254);
    expect(missing.stderr).toContain('An error occurred (InvalidDocument) when calling the GetDocument operation');
  });

  test('ships without its comment lines and docstrings but with its shebang (the tests here run what ships)', () => {
    const source = readFileSync(join(__dirname, '..', 'lib', 'bootstrap', 'node-files', 'aws-cli.py'), 'utf8');
    const shipped = nodeAwsCommand();
    expect(shipped.split('\n')[0]).toBe('#!/usr/bin/python3');
    expect(shipped.split('\n').slice(1).filter((line) => /^\s*#/.test(line))).toEqual([]);
    expect(shipped).not.toContain('"""');
    expect(source).toContain('"""A minimal AWS CLI subset for cluster nodes.');
    expect(shipped.length).toBeLessThan(source.length * 0.85);
  });

  test('ssm get-parameter prints the AWS CLI\'s JSON by default, with ISO 8601 timestamps', async () => {
    fake.parameters.set('/cluster/demo/name', { type: 'String', value: 'demo', version: 1 });
    const run = await aws(['--region', 'eu-central-1', 'ssm', 'get-parameter', '--name', '/cluster/demo/name']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\{\n {4}"Parameter": \{\n {8}"Name": "\/cluster\/demo\/name",/);
    const parsed = JSON.parse(run.stdout) as { Parameter: Record<string, unknown> };
    expect(parsed.Parameter).toMatchObject({ Value: 'demo', Version: 1, LastModifiedDate: '2026-01-01T00:00:00.123000+00:00' });
    expect(parsed).not.toHaveProperty('ResponseMetadata');
    expect(lastRequest('ssm').signedRegion).toBe('eu-central-1'); // --region wins over AWS_REGION
    expect(lastRequest('ssm').params).toEqual({ Name: '/cluster/demo/name' });
  });

  test('a missing parameter exits 254 with ParameterNotFound on stderr, like the AWS CLI', async () => {
    const run = await aws(['ssm', 'get-parameter', '--name', '/cluster/demo/missing', '--with-decryption', '--query', 'Parameter.Value', '--output', 'text'], {}, true);
    expect(run.status).toBe(254);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('\nAn error occurred (ParameterNotFound) when calling the GetParameter operation: \n');
  });

  test('ssm put-parameter reads the value from file:// (never argv) and prints Version and Tier', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, JOIN_TOKEN); // written without a newline: the AWS CLI keeps the file's bytes as they are
    const args = ['ssm', 'put-parameter', '--name', '/cluster/demo/new-token', '--type', 'SecureString', '--key-id', 'alias/demo',
      '--overwrite', '--description', 'kubeadm join token', '--value', `file://${tokenFile}`];
    expect(args.join(' ')).not.toContain(JOIN_TOKEN);
    const run = await aws(args, {}, true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ Version: 1, Tier: 'Standard' });
    const request = lastRequest('ssm');
    expect(request.operation).toBe('AmazonSSM.PutParameter');
    expect(request.params).toEqual({
      Name: '/cluster/demo/new-token', Value: JOIN_TOKEN, Type: 'SecureString', KeyId: 'alias/demo', Overwrite: true, Description: 'kubeadm join token',
    });

    // Without --overwrite the service refuses; the error never shows the secret.
    const again = await aws([...args.filter((a) => a !== '--overwrite'), '--query', 'Version', '--output', 'text']);
    expect(again.status).toBe(254);
    expect(again.stderr).toContain('An error occurred (ParameterAlreadyExists) when calling the PutParameter operation: ');
    expect(`${again.stdout}${again.stderr}`).not.toContain(JOIN_TOKEN);

    const missingFile = await aws(['ssm', 'put-parameter', '--name', '/x', '--type', 'String', '--value', `file://${join(dir, 'absent')}`]);
    expect(missingFile.status).toBe(252);
    expect(missingFile.stderr).toContain('Unable to load paramfile');
  });

  test('autoscaling complete-lifecycle-action sends the query-protocol call and prints nothing', async () => {
    const run = await aws(['autoscaling', 'complete-lifecycle-action', '--lifecycle-hook-name', 'drain', '--auto-scaling-group-name', 'demo-workers',
      '--lifecycle-action-result', 'CONTINUE', '--instance-id', 'i-0123456789abcdef0']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    const request = lastRequest('autoscaling');
    expect(request.method).toBe('POST');
    expect(request.params).toEqual({
      Action: 'CompleteLifecycleAction', Version: '2011-01-01', LifecycleHookName: 'drain', AutoScalingGroupName: 'demo-workers',
      LifecycleActionResult: 'CONTINUE', InstanceId: 'i-0123456789abcdef0',
    });

    const unknown = await aws(['autoscaling', 'complete-lifecycle-action', '--lifecycle-hook-name', 'drain', '--auto-scaling-group-name', 'demo-workers',
      '--lifecycle-action-result', 'ABANDON', '--instance-id', 'i-0unknown']);
    expect(unknown.status).toBe(254);
    expect(unknown.stderr).toBe('\nAn error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID i-0unknown\n');
  });

  test('ec2 attach-volume attaches the etcd volume and prints the attachment; a volume in use is a service error', async () => {
    const run = await aws(['ec2', 'attach-volume', '--volume-id', 'vol-0123456789abcdef0', '--instance-id', 'i-0123456789abcdef0', '--device', '/dev/sdf']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ VolumeId: 'vol-0123456789abcdef0', InstanceId: 'i-0123456789abcdef0', Device: '/dev/sdf', State: 'attaching' });
    const request = lastRequest('ec2');
    expect(request.signedRegion).toBe('eu-west-1');
    expect(request.params).toEqual({ Action: 'AttachVolume', Version: '2016-11-15', VolumeId: 'vol-0123456789abcdef0', InstanceId: 'i-0123456789abcdef0', Device: '/dev/sdf' });
    const inUse = await aws(['ec2', 'attach-volume', '--volume-id', 'vol-0inuse', '--instance-id', 'i-0123456789abcdef0', '--device', '/dev/sdf']);
    expect(inUse.status).toBe(254);
    expect(inUse.stderr).toBe('\nAn error occurred (VolumeInUse) when calling the AttachVolume operation: vol-0inuse is already attached to an instance\n');
    const missing = await aws(['ec2', 'attach-volume', '--volume-id', 'vol-0123456789abcdef0', '--instance-id', 'i-0123456789abcdef0']);
    expect(missing.status).toBe(252);
    expect(missing.stderr).toContain('the following arguments are required: --device');
  });

  test('autoscaling update-auto-scaling-group sets the sizes as numbers', async () => {
    const run = await aws(['autoscaling', 'update-auto-scaling-group', '--auto-scaling-group-name', 'demo-control-plane-1', '--min-size', '0', '--max-size', '0', '--desired-capacity', '0']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(lastRequest('autoscaling').params).toEqual({ Action: 'UpdateAutoScalingGroup', Version: '2011-01-01', AutoScalingGroupName: 'demo-control-plane-1', MinSize: '0', MaxSize: '0', DesiredCapacity: '0' });
    const bad = await aws(['autoscaling', 'update-auto-scaling-group', '--auto-scaling-group-name', 'g', '--min-size', 'one']);
    expect(bad.status).toBe(252);
    expect(bad.stderr).toContain("argument --min-size: invalid int value: 'one'");
  });

  test('autoscaling set-instance-health marks the node Unhealthy without the grace period', async () => {
    const run = await aws(['autoscaling', 'set-instance-health', '--instance-id', 'i-0123456789abcdef0', '--health-status', 'Unhealthy', '--no-should-respect-grace-period']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(lastRequest('autoscaling').params).toEqual({
      Action: 'SetInstanceHealth', Version: '2011-01-01', InstanceId: 'i-0123456789abcdef0', HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: 'false',
    });
  });

  test('cloudwatch put-metric-data sends one datum with its dimensions (AWS CLI form Name=Value,Name=Value)', async () => {
    const run = await aws(['cloudwatch', 'put-metric-data', '--namespace', 'Kubeadm/Demo', '--metric-name', 'EtcdSnapshotAgeSeconds', '--value', '42.5',
      '--unit', 'Seconds', '--dimensions', 'ClusterName=demo,InstanceId=i-0123456789abcdef0']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    const request = lastRequest('monitoring');
    expect(request.params).toEqual({
      Action: 'PutMetricData',
      Version: '2010-08-01',
      Namespace: 'Kubeadm/Demo',
      'MetricData.member.1.MetricName': 'EtcdSnapshotAgeSeconds',
      'MetricData.member.1.Value': '42.5',
      'MetricData.member.1.Unit': 'Seconds',
      'MetricData.member.1.Dimensions.member.1.Name': 'ClusterName',
      'MetricData.member.1.Dimensions.member.1.Value': 'demo',
      'MetricData.member.1.Dimensions.member.2.Name': 'InstanceId',
      'MetricData.member.1.Dimensions.member.2.Value': 'i-0123456789abcdef0',
    });

    const notANumber = await aws(['cloudwatch', 'put-metric-data', '--namespace', 'N', '--metric-name', 'M', '--value', 'many']);
    expect(notANumber.status).toBe(252);
  });

  test('s3 cp uploads with SSE-KMS and downloads the same bytes', async () => {
    const snapshot = Buffer.from(Array.from({ length: 70000 }, (_, i) => i % 251));
    writeFileSync(join(dir, 'snapshot.db'), snapshot);
    const up = await aws(['s3', 'cp', 'snapshot.db', 's3://demo-backups/etcd/snapshot.db', '--sse', 'aws:kms', '--sse-kms-key-id', 'alias/demo']);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).toBe('upload: snapshot.db to s3://demo-backups/etcd/snapshot.db\n');
    const put = fake.ofService('s3').find((r) => r.method === 'PUT')!;
    expect(put.path).toBe('/demo-backups/etcd/snapshot.db');
    expect(put.body.equals(snapshot)).toBe(true);
    expect(fake.objects.get('demo-backups/etcd/snapshot.db')!.headers).toEqual({
      'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'alias/demo',
    });

    const down = await aws(['s3', 'cp', 's3://demo-backups/etcd/snapshot.db', join(dir, 'restore', 'snapshot.db')]);
    expect(down.stderr).toBe('');
    expect(down.status).toBe(0);
    expect(down.stdout).toBe(`download: s3://demo-backups/etcd/snapshot.db to ${join(dir, 'restore', 'snapshot.db')}\n`);
    expect(readFileSync(join(dir, 'restore', 'snapshot.db')).equals(snapshot)).toBe(true);

    const missing = await aws(['s3', 'cp', 's3://demo-backups/etcd/absent.db', join(dir, 'absent.db'), '--only-show-errors']);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^download failed: s3:\/\/demo-backups\/etcd\/absent.db to .*absent.db An error occurred \(404\) when calling the HeadObject operation: Not Found\n$/);
    expect(fake.ofService('s3').every((r) => r.signedRegion === 'eu-west-1')).toBe(true);
  });

  test('s3api list-objects-v2 follows continuation tokens; a JSON query sees the whole listing', async () => {
    const stamps = ['2026-03-01T10:00:00Z', '2026-03-04T10:00:00Z', '2026-03-02T10:00:00Z', '2026-03-03T10:00:00Z', '2026-03-01T12:00:00Z'];
    stamps.forEach((stamp, i) => {
      fake.objects.set(`snaps/etcd/snapshot-${i}.db`, { body: Buffer.from('x'.repeat(i + 1)), lastModified: new Date(stamp), headers: {} });
    });
    fake.objects.set('snaps/other/ignored.db', { body: Buffer.from('y'), lastModified: new Date('2026-04-01T00:00:00Z'), headers: {} });
    const latest = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'etcd/', '--query', 'sort_by(Contents,&LastModified)[-1].Key', '--output', 'json']);
    expect(latest.stderr).toBe('');
    expect(latest.status).toBe(0);
    expect(JSON.parse(latest.stdout)).toBe('etcd/snapshot-1.db');
    const lists = fake.ofService('s3');
    expect(lists.map((r) => r.query.get('continuation-token'))).toEqual([null, '2', '4']);
    expect(lists.every((r) => r.query.get('list-type') === '2' && r.query.get('prefix') === 'etcd/')).toBe(true);

    const full = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'etcd/']);
    const parsed = JSON.parse(full.stdout) as { Contents: { Key: string; LastModified: string; Size: number }[] };
    expect(parsed.Contents.map((c) => c.Key)).toEqual([0, 1, 2, 3, 4].map((i) => `etcd/snapshot-${i}.db`));
    expect(parsed.Contents[1]).toMatchObject({ LastModified: '2026-03-04T10:00:00+00:00', Size: 2 });

    // Text output, like the AWS CLI's, applies the query to each page: one line per page. Rows of
    // [LastModified, Key] survive that, and sort to the latest.
    const perPage = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'etcd/', '--query', 'sort_by(Contents,&LastModified)[-1].Key', '--output', 'text']);
    expect(perPage.stdout).toBe('etcd/snapshot-1.db\netcd/snapshot-3.db\netcd/snapshot-4.db\n');
    const rows = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'etcd/', '--query', 'Contents[].[LastModified,Key]', '--output', 'text']);
    const lines = rows.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.sort()[4]).toBe('2026-03-04T10:00:00+00:00\tetcd/snapshot-1.db');

    // Nothing under the prefix: no Contents at all, so the query yields null ("None" in text).
    const none = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'nothing/', '--query', 'Contents[].Key', '--output', 'text']);
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('None\n');
    // ...and sort_by() on that null is a query error (exit 255), as with the AWS CLI: scripts guard
    // with `sort_by(Contents || `[]`, &LastModified)`.
    const sortNone = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'nothing/', '--query', 'sort_by(Contents,&LastModified)[-1].Key']);
    expect(sortNone.status).toBe(255);
    expect(sortNone.stderr).toContain('invalid type for value: None');
    const guarded = await aws(['s3api', 'list-objects-v2', '--bucket', 'snaps', '--prefix', 'nothing/', '--query', 'sort_by(Contents || `[]`, &LastModified)[-1].Key', '--output', 'text']);
    expect(guarded.status).toBe(0);
    expect(guarded.stdout).toBe('None\n');
  });

  test('without --region or AWS_REGION the region comes from instance metadata (IMDSv2)', async () => {
    fake.parameters.set('/cluster/demo/name', { type: 'String', value: 'demo', version: 1 });
    const run = await aws(['ssm', 'get-parameter', '--name', '/cluster/demo/name', '--query', 'Parameter.Value', '--output', 'text'], {
      AWS_REGION: undefined,
      AWS_EC2_METADATA_DISABLED: undefined,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: fake.url,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('demo\n');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`).slice(0, 2)).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/placement/region']);
    expect(lastRequest('ssm').signedRegion).toBe(IMDS_REGION);
  });

  test('bad command lines exit 252 and say this is a minimal subset', async () => {
    // Fresh processes all: a bad command line is answered before botocore is imported.
    const runs = await Promise.all([
      ['ec2', 'describe-instances'],
      ['ssm', 'get-parameters-by-path', '--path', '/'],
      ['ssm', 'get-parameter'],
      ['ssm', 'get-parameter', '--name', 'x', '--bogus'],
      ['ssm', 'put-parameter', '--name', 'x', '--value', 'v', '--type', 'StringList'],
      ['--output', 'table', 'ssm', 'get-parameter', '--name', 'x'],
      ['ssm', 'get-parameter', '--name', 'x', '--query', 'Parameter.['],
      ['s3', 'cp', 'only-one-path'],
    ].map((args) => aws(args, {}, true)));
    for (const run of runs) {
      expect(run.status).toBe(252);
      expect(run.stderr).toContain('minimal AWS CLI subset for cluster nodes');
      expect(run.stdout).toBe('');
    }
    expect(fake.requests).toHaveLength(0);
  });

  test('retries are bounded: an unreachable endpoint exits 255, a failing service 254', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now: connect fails at once
    // Two attempts (one retry, backing off under a second) keep this quick; the default of 5 is checked above.
    const [unreachable, failing] = await Promise.all([
      aws(['ssm', 'get-parameter', '--name', 'x'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_MAX_ATTEMPTS: '2' }, true),
      aws(['ssm', 'get-parameter', '--name', '/always/fails'], { AWS_MAX_ATTEMPTS: '2' }),
    ]);
    expect(unreachable.status).toBe(255);
    expect(unreachable.stderr).toBe(`\nCould not connect to the endpoint URL: "http://127.0.0.1:${port}/"\n`);
    expect(unreachable.ms).toBeLessThan(5000);
    expect(failing.status).toBe(254);
    expect(failing.stderr).toBe('\nAn error occurred (InternalServerError) when calling the GetParameter operation (reached max retries: 1): try again\n');
    expect(fake.ofService('ssm')).toHaveLength(2);
  });

  test('no credentials exits 253 like AWS CLI v2, without calling AWS', async () => {
    const run = await aws(['ssm', 'get-parameter', '--name', 'x'], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, true);
    expect(run.status).toBe(253);
    expect(run.stderr).toContain('Unable to locate credentials');
    expect(fake.ofService('ssm')).toHaveLength(0);
  });
});
