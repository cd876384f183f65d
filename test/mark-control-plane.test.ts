import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECOVERY_LIBRARY } from '../lib/bootstrap/phases/recovery-library';
import { controlPlaneBinaries, LocalApiServer } from './support/kube-apiserver';
import { cachedTool, toolCache } from './support/tool-cache';

// What a control-plane node found again relies on (reclaim_node_object in the recovery library),
// held against the real software: kube-apiserver refuses to change a Node's provider ID once set,
// which is why the node deletes its stale Node object; and the library's mark_control_plane, run
// with the real kubeadm against that API server, labels and taints the Node that the kubelet
// registers again, as `kubeadm init` did (kubeadm's own dry run shows what it would send).

const KUBEADM_VERSION = 'v1.36.3';
const cache = toolCache();
const kubeadm = cachedTool('KUBEADM_BIN_1_36', 'kubernetes', KUBEADM_VERSION, 'kubeadm');

function prerequisites(): boolean {
  const why: string[] = [];
  if (!kubeadm) {
    why.push(`no kubeadm ${KUBEADM_VERSION}: neither KUBEADM_BIN_1_36 nor ${cache}/kubernetes/${KUBEADM_VERSION}/kubeadm; run \`eval "$(.ci/tools)"\``);
  }
  if (why.length === 0) {
    return true;
  }
  if (process.env.CI) {
    throw new Error(`kubeadm's mark-control-plane cannot run in CI: ${why.join('; ')}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED the mark-control-plane test: ${why.join('; ')}`);
  return false;
}

const binaries = prerequisites() ? controlPlaneBinaries('the mark-control-plane test') : undefined;
const suite = binaries ? describe : describe.skip;
const NAME = hostname().toLowerCase();
const OLD = 'aws:///eu-west-1a/i-0aaaaaaaaaaaaaaaa';
const NEW = 'aws:///eu-west-1a/i-0fedcba9876543210';

suite('a control-plane Node registered again, against kube-apiserver and kubeadm 1.36', () => {
  let api: LocalApiServer;
  let scratch: string;
  beforeAll(async () => {
    api = await LocalApiServer.start({ binaries: binaries!, serviceCidr: '10.96.0.0/12' });
    scratch = mkdtempSync(join(tmpdir(), 'mark-control-plane-'));
  }, 180_000);
  afterAll(async () => {
    await api?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const node = (providerID: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: NAME }, spec: { providerID } });

  test('the API server never changes a set provider ID: the stale Node must go', async () => {
    expect((await api.request('POST', '/api/v1/nodes', node(OLD))).status).toBe(201);
    const patched = await api.request('PUT', `/api/v1/nodes/${NAME}`, { ...(await api.request('GET', `/api/v1/nodes/${NAME}`)).body, spec: { providerID: NEW } });
    expect(patched.status).toBe(422);
    expect(JSON.stringify(patched.body)).toContain('providerID');
    expect((await api.request('DELETE', `/api/v1/nodes/${NAME}`)).status).toBe(200);
  });

  test("the library's mark_control_plane: kubeadm takes its configuration and marks this host's Node", () => {
    // kubeadm's own dry run: it reads the configuration the library wrote, names the Node (kubeadm's
    // default, the host name, as the library's node name), says what it adds, and shows the GET and
    // PATCH it would send to the node's local API endpoint. The dry run reads an admin.conf from
    // KUBEADM_INIT_DRYRUN_DIR; nothing is sent.
    const dryRunDir = join(scratch, 'dry-run');
    mkdirSync(dryRunDir);
    writeFileSync(join(dryRunDir, 'admin.conf'), api.kubeconfig(), { mode: 0o600 });
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kubeadm'), '#!/bin/bash\nexec "$REAL_KUBEADM" "$@" --dry-run\n', { mode: 0o755 });
    writeFileSync(join(scratch, 'library.sh'), RECOVERY_LIBRARY);
    const program = `set -euo pipefail
log() { echo "$*" >&2; }
retry() { shift 2; "$@"; }
source "$LIBRARY"
mark_control_plane`;
    const result = spawnSync('bash', ['-c', program], {
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: scratch,
        REAL_KUBEADM: kubeadm!,
        KUBEADM_INIT_DRYRUN_DIR: dryRunDir,
        LIBRARY: join(scratch, 'library.sh'),
        SELF_IP: '10.0.96.10',
        CRI_SOCKET: 'unix:///var/run/containerd/containerd.sock',
        KUBERNETES_VERSION: 'v1.36.3',
      },
    });
    expect([result.status, result.stderr]).toEqual([0, result.stderr]);
    // kubeadm's init phases only warn about what strict decoding refuses, and without a
    // kubernetesVersion they ask dl.k8s.io for one: neither may happen.
    expect(result.stderr).not.toMatch(/strict decoding error|error unmarshaling|dl\.k8s\.io|internet/);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(`[mark-control-plane] Marking the node ${NAME} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`);
    expect(lines).toContain(`[mark-control-plane] Marking the node ${NAME} as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]`);
    expect(lines).toContain('[dryrun] Would perform action PATCH on resource "nodes" in API group "core/v1"');
    expect(lines).toContain(`[dryrun] Resource name "${NAME}", namespace ""`);
  }, 180_000);

  test('what those checks catch (negative control): a misspelt field, and a configuration without a version', () => {
    const run = (config: string) => {
      const file = join(scratch, 'bad.yaml');
      writeFileSync(file, config);
      return spawnSync(kubeadm!, ['init', 'phase', 'mark-control-plane', '--config', file, '--dry-run'], { encoding: 'utf8', env: { ...process.env, KUBEADM_INIT_DRYRUN_DIR: join(scratch, 'dry-run') }, timeout: 60_000 });
    };
    const misspelt = run('apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddres: "10.0.96.10"\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: "v1.36.3"\n');
    expect(misspelt.stderr).toMatch(/strict decoding error: unknown field "localAPIEndpoint.advertiseAddres"/);
    const unversioned = run('apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: "10.0.96.10"\n');
    expect(unversioned.stderr).toMatch(/dl\.k8s\.io/);
  });
});

