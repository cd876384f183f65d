import { writeFileSync } from 'node:fs';
import { BootstrapAction, BOOT_RETRIES } from '../lib/bootstrap/bootstrap-program';
import { bootstrapNode, bootstrapProps, failFirst, FAIL_FIRST, inChannelDocument, runBootstrap, TOKEN } from './support/bootstrap-node';
import { NodeSandbox } from './support/node-sandbox';

// The first boot against remote steps that fail: every remote step (parameter reads, apt, the
// channel's documents, the join token's publication, the launch hook) fails a few times and then
// succeeds, and the bootstrap still completes, logging each retry; a step that never succeeds ends
// the run within its bounds with a line that says what to check. No step waits for State Manager.

const ISSUER = { path: 'kubeadm-issuer-keys', document: 'demo-issuer-keys' };

describe('bootstrap program: remote steps that fail and then succeed', () => {
  let s: NodeSandbox;
  beforeEach(() => {
    s = bootstrapNode();
  });
  afterEach(() => s.cleanup());

  test('the first control-plane node installs the programs it runs from the channel documents itself, after failed reads', () => {
    inChannelDocument(s, 'demo-join-token-rotation', 'kubeadm-join-token');
    inChannelDocument(s, 'demo-issuer-keys', 'kubeadm-issuer-keys');
    failFirst(s, 'aws-get-document', 2);
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.INIT, { issuerKeysProgram: ISSUER }));
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    const reads = s.callLines('aws').filter((l) => l.includes('get-document'));
    expect(reads).toEqual([
      ...Array(3).fill('aws ssm get-document --region eu-west-1 --name demo-join-token-rotation --document-version $LATEST --query Content --output text'),
      'aws ssm get-document --region eu-west-1 --name demo-issuer-keys --document-version $LATEST --query Content --output text',
    ]);
    expect(result.output).toContain('installing kubeadm-join-token from the SSM document demo-join-token-rotation failed (attempt 1 of 6): An error occurred (ThrottlingException) when calling the get-document operation: Rate exceeded');
    expect(result.output).toContain('installing kubeadm-join-token from the SSM document demo-join-token-rotation failed (attempt 2 of 6)');
    expect(result.output).toContain('installed kubeadm-join-token from the SSM document demo-join-token-rotation');
    // The document's own commands ran, and the programs they installed ran after kubeadm init.
    expect(result.output).toContain('installed by demo-join-token-rotation');
    const lines = s.callLines();
    const init = lines.findIndex((l) => l.startsWith('kubeadm init'));
    expect(lines.indexOf('kubeadm-join-token rotate')).toBeGreaterThan(init);
    expect(lines.indexOf('kubeadm-issuer-keys')).toBeGreaterThan(init);
  });

  test('a routed node installs its pod network from the channel document itself once joined, after a failed read', () => {
    writeFileSync(`${s.state}/token`, `${TOKEN}\n`);
    s.standIn('kubeadm-vpc-routes-node', 'exit 0');
    inChannelDocument(s, 'demo-vpc-routes-node', 'kubeadm-vpc-routes-node');
    failFirst(s, 'aws-get-document', 1);
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.JOIN, { podNetworkProgram: { path: 'kubeadm-vpc-routes-node', document: 'demo-vpc-routes-node' } }));
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    expect(result.output).toContain('installing kubeadm-vpc-routes-node from the SSM document demo-vpc-routes-node failed (attempt 1 of 6)');
    expect(result.output).toContain('installed kubeadm-vpc-routes-node from the SSM document demo-vpc-routes-node');
    const lines = s.callLines();
    expect(lines.findIndex((l) => l.includes('--name demo-vpc-routes-node'))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('kubeadm join')));
    expect(result.output).toMatch(/phase pod-network: done/);
  });

  test('transient faults in apt, parameter reads and the token publication: the bootstrap completes and logs each retry', () => {
    failFirst(s, 'apt-update', 2);
    failFirst(s, 'apt-install', 1);
    failFirst(s, 'aws-get-parameter', 3);
    s.standIn('kubeadm-join-token', `${FAIL_FIRST}\nfail_first rotate && { echo 'the API server did not answer' >&2; exit 1; }\nexit 0`);
    failFirst(s, 'rotate', 2);
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.INIT));
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    expect(s.callLines('apt-get').filter((l) => l.endsWith(' update'))).toHaveLength(3);
    expect(result.output).toContain('apt-get update failed (1 of 3)');
    expect(result.output).toContain('apt-get update failed (2 of 3)');
    expect(result.output).toContain('apt-get install failed (1 of 3)');
    expect(result.output).toContain('reading /kubeadm/demo/pki/ca.crt failed (attempt 3 of 6): An error occurred (ThrottlingException)');
    expect(s.callLines('kubeadm-join-token')).toEqual(Array(3).fill('kubeadm-join-token rotate'));
    expect(result.output).toContain('kubeadm-join-token failed (attempt 2 of 5)');
    expect(result.output).toMatch(/phase publish-token: done/);
  });

  test('a worker whose token reads and launch-hook completion fail a few times still joins and reports Ready', () => {
    writeFileSync(`${s.state}/token`, `${TOKEN}\n`);
    writeFileSync(`${s.state}/ready`, 'True\n');
    failFirst(s, 'aws-get-parameter', 4);
    failFirst(s, 'aws-complete-lifecycle-action', 2);
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.JOIN, { launchLifecycleHook: 'node-ready' }));
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    expect(result.output).toContain('reading /kubeadm/demo/join-token failed (attempt 4 of 6)');
    expect(result.output).toContain('completing the launch lifecycle action failed (attempt 2 of 5): An error occurred (ThrottlingException)');
    expect(s.callLines('kubeadm').filter((l) => l.startsWith('kubeadm join'))).toHaveLength(1);
  });
});

describe('bootstrap program: remote steps that never succeed end within their bounds and say what to check', () => {
  let s: NodeSandbox;
  beforeEach(() => {
    s = bootstrapNode();
  });
  afterEach(() => s.cleanup());

  test('a channel document that cannot be read: bounded attempts, then the document and the permission to check', () => {
    inChannelDocument(s, 'demo-join-token-rotation', 'kubeadm-join-token');
    failFirst(s, 'aws-get-document', 1000);
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.INIT));
    expect(result.status).not.toBe(0);
    expect(s.callLines('aws').filter((l) => l.includes('get-document'))).toHaveLength(BOOT_RETRIES.fetchAttempts);
    // The waits between attempts are bounded by the same numbers the budget table adds up.
    expect(s.callLines('sleep').filter((l) => l === `sleep ${BOOT_RETRIES.fetchDelaySeconds}`)).toHaveLength(BOOT_RETRIES.fetchAttempts - 1);
    expect(result.output).toContain('ERROR: could not install kubeadm-join-token from the SSM document demo-join-token-rotation after 6 attempts; check that the document exists (aws ssm get-document --name demo-join-token-rotation) and that this node\'s role may read it (ssm:GetDocument)');
    expect(s.exists('/var/lib/kubeadm-bootstrap/publish-token.done')).toBe(false);
    expect(s.exists('/var/lib/kubeadm-bootstrap/kubeadm.done')).toBe(true);
  });

  test('a join token that cannot be published: bounded attempts, then what to check', () => {
    s.standIn('kubeadm-join-token', "echo 'the API server did not answer' >&2; exit 1");
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.INIT));
    expect(result.status).not.toBe(0);
    expect(s.callLines('kubeadm-join-token')).toHaveLength(BOOT_RETRIES.publishAttempts);
    expect(result.output).toContain('ERROR: could not publish a join token; see the lines of kubeadm-join-token above (the API server on this node, and this node\'s right to write /kubeadm/demo/join-token)');
  });

  test('apt that never gets its lock: three attempts, then the run fails before kubeadm, saying what to check', () => {
    failFirst(s, 'apt-update', 1000);
    const result = runBootstrap(s, bootstrapProps(BootstrapAction.JOIN));
    expect(result.status).not.toBe(0);
    expect(s.callLines('apt-get')).toHaveLength(3);
    expect(result.output).toContain("ERROR: apt-get update failed 3 times; check the node's route to the package repositories");
    expect(result.output).toContain('apt-get update failed (3 of 3)');
    expect(s.callLines('kubeadm')).toEqual([]);
  });
});

describe('bootstrap program: the node AWS command comes with the node', () => {
  let s: NodeSandbox;
  beforeEach(() => {
    s = bootstrapNode();
  });
  afterEach(() => s.cleanup());

  test('without an aws on PATH, the command user-data wrote is linked as aws and used', () => {
    const fs = require('node:fs');
    // The stand-in aws moves to where user-data puts the node AWS command.
    fs.mkdirSync(s.path('/usr/local/lib/kubeadm-bootstrap'), { recursive: true });
    fs.renameSync(`${s.bin}/aws`, s.path('/usr/local/lib/kubeadm-bootstrap/aws'));
    writeFileSync(`${s.state}/token`, `${TOKEN}\n`);
    const program = require('../lib/bootstrap/bootstrap-program').bootstrapProgram(bootstrapProps(BootstrapAction.JOIN), { root: s.root, imdsUrl: 'http://imds.test' });
    const result = s.run(program, { env: { PATH: `${s.path('/usr/local/bin')}:${s.bin}:/usr/bin:/bin` } });
    expect(result.output).toContain('bootstrap complete');
    expect(result.status).toBe(0);
    expect(fs.readlinkSync(s.path('/usr/local/bin/aws'))).toBe(s.path('/usr/local/lib/kubeadm-bootstrap/aws'));
    expect(result.output).toContain('aws: the node AWS command (/usr/local/lib/kubeadm-bootstrap/aws)');
    expect(s.callLines('aws').filter((l) => l.includes('join-token'))).not.toEqual([]);
  });

  test('a node without it stops at once and names cloud-init\'s log, rather than wait', () => {
    require('node:fs').rmSync(`${s.bin}/aws`);
    const program = require('../lib/bootstrap/bootstrap-program').bootstrapProgram(bootstrapProps(BootstrapAction.JOIN), { root: s.root, imdsUrl: 'http://imds.test' });
    const result = s.run(program, { env: { PATH: `${s.path('/usr/local/bin')}:${s.bin}:/usr/bin:/bin` } });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("ERROR: the node AWS command /usr/local/lib/kubeadm-bootstrap/aws is missing; user-data writes it: check cloud-init's log (/var/log/cloud-init-output.log)");
    expect(s.callLines('kubeadm')).toEqual([]);
  });
});
