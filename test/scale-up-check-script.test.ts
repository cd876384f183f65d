import { readFileSync, writeFileSync } from 'node:fs';
import { REPLICAS_PLACEHOLDER, SCALE_UP_POD_REQUESTS, scaleUpDeploymentJson } from '../lib/kubernetes/scale-up-check-objects';
import { SCALE_UP_CHECK_SCRIPT } from '../lib/kubernetes/scale-up-check-script';
import { NodeSandbox } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';
import { validateK8sObject } from './support/k8s-objects';

// The scale-up check's script run against a stand-in curl that plays the API server: a node list
// that grows by one node a few polls after the Deployment exists (the autoscaler's scale-up), and
// the Deployment's pods, all but one Running until then.

const API = 'https://10.96.0.1:443';
const DEPLOYMENT = '/apis/apps/v1/namespaces/check/deployments/scale-up-check';

interface Cluster {
  /** The nodes' names before the check. */
  readonly nodes: readonly string[];
  /** After how many polls of the pods the autoscaler's node is there and runs the last pod; none: never. */
  readonly scaleUpAfterPolls?: number;
  /** The API refuses to create the Deployment. */
  readonly refuseCreate?: boolean;
  /** The Deployment is not removed by DELETE. */
  readonly stuck?: boolean;
  /** An earlier attempt's Deployment is there. */
  readonly leftover?: boolean;
}

const FAKE_CURL = `
method=GET; url=''; data=''; wout=''
while [ $# -gt 0 ]; do
  case "$1" in
    -X) method=$2; shift ;;
    --data) data=$2; shift ;;
    -w) wout=$2; shift ;;
    -o|-m|-A|--cacert|-H) shift ;;
    http*) url=$1 ;;
  esac
  shift
done
path=\${url#${API}}; query=''; case "$path" in *\\?*) query=\${path#*\\?} ;; esac; path=\${path%%\\?*}
respond() {
  if [ -n "$wout" ]; then printf '%s' "$1"; return 0; fi
  if [ "$1" -ge 400 ]; then echo "curl: (22) The requested URL returned error: $1" >&2; exit 22; fi
  printf '%s' "$2"
}
polls=0; [ -f "$STATE/polls" ] && read -r polls < "$STATE/polls"
after=-1; [ -f "$STATE/after" ] && read -r after < "$STATE/after"
scaled() { [ "$after" -ge 0 ] && [ "$polls" -ge "$after" ]; }
case "$method $path" in
  "GET /api/v1/nodes")
    items=''
    while read -r n; do items="$items{\\"metadata\\":{\\"name\\":\\"$n\\",\\"labels\\":{\\"kubernetes.io/hostname\\":\\"$n\\"}}},"; done < "$STATE/nodes"
    if [ -f "$STATE/deployment" ] && scaled; then items="$items{\\"metadata\\":{\\"name\\":\\"ip-10-0-9-9\\",\\"labels\\":{\\"kubernetes.io/hostname\\":\\"ip-10-0-9-9\\"}}},"; fi
    respond 200 "{\\"items\\":[\${items%,}]}" ;;
  "POST /apis/apps/v1/namespaces/check/deployments")
    [ -f "$STATE/refuse" ] && respond 403 ''
    printf '%s' "$data" > "$STATE/deployment"; printf '%s' "$data" > "$STATE/created"
    respond 201 "$data" ;;
  "DELETE ${DEPLOYMENT}")
    if [ -f "$STATE/deployment" ]; then
      echo "$query" >> "$STATE/deleted"
      [ -f "$STATE/stuck" ] || rm "$STATE/deployment"
      respond 200 '{}'
    else respond 404 ''; fi ;;
  "GET ${DEPLOYMENT}")
    if [ -f "$STATE/deployment" ]; then respond 200 '{}'; else respond 404 ''; fi ;;
  "GET /api/v1/namespaces/check/pods")
    echo "$query" > "$STATE/pods.query"
    items=''
    if [ -f "$STATE/deployment" ]; then
      echo $((polls + 1)) > "$STATE/polls"
      replicas=$(sed -n 's/.*"replicas":\\([0-9]*\\).*/\\1/p' "$STATE/deployment")
      running=$((replicas - 1)); scaled && running=$replicas
      i=0; while [ "$i" -lt "$replicas" ]; do
        phase=Pending; [ "$i" -lt "$running" ] && phase=Running
        items="$items{\\"status\\":{\\"phase\\":\\"$phase\\"}},"; i=$((i + 1))
      done
    fi
    respond 200 "{\\"items\\":[\${items%,}]}" ;;
  *) respond 404 '' ;;
esac
`;

function sandbox(cluster: Cluster): NodeSandbox {
  const s = new NodeSandbox();
  s.writeFile('/sa/token', 'sa-token');
  s.writeFile('/sa/ca.crt', 'CA');
  const state = (name: string, value: string) => writeFileSync(`${s.state}/${name}`, value);
  state('nodes', cluster.nodes.map((n) => `${n}\n`).join(''));
  if (cluster.scaleUpAfterPolls !== undefined) state('after', String(cluster.scaleUpAfterPolls));
  if (cluster.refuseCreate) state('refuse', '');
  if (cluster.stuck) state('stuck', '');
  if (cluster.leftover) state('deployment', '{"spec":{"replicas":1}}');
  s.standIn('curl', FAKE_CURL);
  return s;
}

function runCheck(s: NodeSandbox, waitSeconds = 600) {
  return s.run(`#!/bin/sh\n${SCALE_UP_CHECK_SCRIPT}`, {
    env: {
      SA_DIR: s.path('/sa'),
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      NAMESPACE: 'check',
      DEPLOYMENT_NAME: 'scale-up-check',
      SELECTOR: 'app%3Dkubeadm-scale-up-check',
      DEPLOYMENT_JSON: scaleUpDeploymentJson('curlimages/curl:8.16.0'),
      SCALE_UP_WAIT_SECONDS: String(waitSeconds),
      CLEANUP_WAIT_SECONDS: '0',
    },
  });
}

const read = (s: NodeSandbox, name: string): string => {
  try {
    return readFileSync(`${s.state}/${name}`, 'utf8');
  } catch {
    return '';
  }
};
const NODES = ['ip-10-0-1-10', 'ip-10-0-2-20', 'ip-10-0-3-30'];

describe('scale-up check script', () => {
  const sandboxes: NodeSandbox[] = [];
  const make = (cluster: Cluster) => {
    const s = sandbox(cluster);
    sandboxes.push(s);
    return s;
  };
  afterAll(() => sandboxes.forEach((s) => s.cleanup()));

  test('asks for one pod more than there are nodes, passes once the new node runs it, and removes the Deployment', () => {
    const s = make({ nodes: NODES, scaleUpAfterPolls: 3 });
    const result = runCheck(s);
    expect(result.output).toContain('        3 nodes; asking for 4 pods that never share a node');
    expect(result.output).toContain('ok      scale-up: all 4 pods run; the autoscaler added ip-10-0-9-9');
    expect(result.output).toContain("ok      removed the check's Deployment (the autoscaler removes the node once it is unneeded)");
    expect(result.status).toBe(0);
    const created = JSON.parse(read(s, 'created'));
    expect(created.spec.replicas).toBe(4);
    // It waited: the pods were polled until the fourth ran, with a pause between polls.
    expect(Number(read(s, 'polls').trim())).toBeGreaterThanOrEqual(4);
    expect(s.callLines('sleep').length).toBeGreaterThanOrEqual(3);
    expect(read(s, 'pods.query').trim()).toBe('pretty=false&labelSelector=app%3Dkubeadm-scale-up-check');
    expect(read(s, 'deleted').trim().split('\n').pop()).toBe('propagationPolicy=Foreground');
    expect(read(s, 'deployment')).toBe('');
  });

  test('fails with what to check when no node comes within the wait, and still removes the Deployment', () => {
    const s = make({ nodes: NODES });
    const result = runCheck(s, 0);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('FAILED  scale-up: 3 of 4 pods run after 0 s. Check the autoscaler\'s log (kubectl -n kube-system logs deploy/cluster-autoscaler)');
    expect(result.output).toContain('that an autoscaled pool is below its maxSize');
    expect(result.output).toContain("ok      removed the check's Deployment");
    expect(read(s, 'deployment')).toBe('');
  });

  test('fails when the Deployment cannot be created, or is not removed in time', () => {
    const refused = runCheck(make({ nodes: NODES, refuseCreate: true }));
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('FAILED  could not create Deployment scale-up-check (is the check\'s Role bound?)');
    const stuck = runCheck(make({ nodes: NODES, scaleUpAfterPolls: 1, stuck: true }));
    expect(stuck.status).not.toBe(0);
    expect(stuck.output).toContain('ok      scale-up: all 4 pods run');
    expect(stuck.output).toContain('FAILED  removal: Deployment scale-up-check or its pods are still there after 0 s');
  });

  test("removes an earlier attempt's Deployment before it counts the nodes", () => {
    const s = make({ nodes: NODES, scaleUpAfterPolls: 1, leftover: true });
    const result = runCheck(s);
    expect(result.status).toBe(0);
    expect(read(s, 'deleted').trim().split('\n')).toHaveLength(2);
    expect(result.output).toContain('asking for 4 pods');
  });

  test('fails when it cannot list the nodes', () => {
    const s = make({ nodes: [] });
    const result = runCheck(s);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('FAILED  could not list the nodes');
    expect(read(s, 'created')).toBe('');
  });

  test('the Deployment never shares a node, tolerates every taint, asks for little, and is a valid Deployment', () => {
    const deployment = JSON.parse(scaleUpDeploymentJson('curlimages/curl:8.16.0').replace(REPLICAS_PLACEHOLDER, '4'));
    expect(() => validateK8sObject(deployment)).not.toThrow();
    const spec = deployment.spec.template.spec;
    expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(spec.containers[0].resources.requests).toEqual(SCALE_UP_POD_REQUESTS);
  });

  test('the script holds no Terraform template sequence and passes shellcheck', () => {
    expect(SCALE_UP_CHECK_SCRIPT).not.toMatch(/[$%]\{/);
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(`#!/bin/sh\n${SCALE_UP_CHECK_SCRIPT}`, 'sh')).toBe('');
    }
  });
});
