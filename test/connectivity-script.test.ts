import { CONNECTIVITY_SCRIPT } from '../lib/kubernetes/connectivity-script';
import { NodeSandbox } from './support/node-sandbox';

// The check's script run against stand-in curl (the API server and the internet), nslookup and
// wget, with node lists as the API server sends them (compact JSON).

interface FakeNode {
  readonly ready: boolean;
  readonly providerId?: string;
  readonly uninitialised?: boolean;
}

function nodeList(nodes: readonly FakeNode[]): string {
  return JSON.stringify({
    kind: 'NodeList',
    apiVersion: 'v1',
    items: nodes.map((n, i) => ({
      metadata: { name: `ip-10-0-0-${i}.eu-west-1.compute.internal` },
      spec: {
        ...(n.providerId ? { providerID: n.providerId } : {}),
        ...(n.uninitialised ? { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] } : {}),
      },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: '2026-11-29T10:00:00Z', lastTransitionTime: '2026-11-29T10:00:00Z', reason: 'KubeletHasSufficientMemory', message: 'ok' },
          { type: 'Ready', status: n.ready ? 'True' : 'False', lastHeartbeatTime: '2026-11-29T10:00:00Z', lastTransitionTime: '2026-11-29T10:00:00Z', reason: 'KubeletReady', message: 'ok' },
        ],
        nodeInfo: { machineID: 'm', kubeletVersion: 'v1.36.4' },
      },
    })),
  });
}

const good = (i: number): FakeNode => ({ ready: true, providerId: `aws:///eu-west-1a/i-0abc${i}` });

function sandbox(nodes: string, egress = true): NodeSandbox {
  const s = new NodeSandbox();
  s.writeFile('/sa/token', 'sa-token');
  s.writeFile('/sa/ca.crt', 'CA');
  require('node:fs').writeFileSync(`${s.state}/nodes.json`, nodes);
  s.standIn(
    'curl',
    `case "$*" in
  *"/api/v1/nodes?pretty=false"*) cat "$STATE/nodes.json" ;;
  *checkip*) ${egress ? 'cat "$STATE/egress-seen" 2> /dev/null || echo 203.0.113.9' : 'exit 28'} ;;
  *) exit 22 ;;
esac`,
  );
  s.standIn('nslookup', 'printf "Server: 10.96.0.10\\nAddress: 10.96.0.10:53\\n\\nName: $1\\nAddress: 10.32.0.5\\nName: $1\\nAddress: 10.40.0.7\\n"');
  // A pod's /client-address answers with the source it saw: $STATE/seen, or the caller's own address.
  s.standIn('wget', 'case "$*" in *client-address*) cat "$STATE/seen" 2> /dev/null || echo "$POD_IP" ;; esac; exit 0');
  return s;
}

function runCheck(s: NodeSandbox, expectedNodes: number) {
  return s.run(`#!/bin/sh\n${CONNECTIVITY_SCRIPT}`, {
    env: {
      SA_DIR: s.path('/sa'),
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      EXPECTED_NODES: String(expectedNodes),
      NODE_WAIT_SECONDS: '0',
      EXPECTED_PODS: '2',
      PODS_DNS_NAME: 'nginx-pods.check.svc.cluster.local',
      SERVICE_IP: '10.96.0.50',
      SERVICE_DNS_NAME: 'nginx.check.svc.cluster.local',
      EGRESS_URL: 'https://checkip.amazonaws.com',
      POD_IP: '10.32.0.9',
    },
  });
}

describe('connectivity check script', () => {
  const sandboxes: NodeSandbox[] = [];
  const make = (nodes: string, egress = true) => {
    const s = sandbox(nodes, egress);
    sandboxes.push(s);
    return s;
  };
  afterAll(() => sandboxes.forEach((s) => s.cleanup()));

  test('passes with enough Ready, initialised nodes, the pods, the Service and egress; reads nodes as its service account', () => {
    const s = make(nodeList([good(1), good(2), good(3)]));
    const result = runCheck(s, 3);
    expect(result.output).toContain('ok      nodes: 3 Ready, at least 3 expected');
    expect(result.output).toContain('ok      source address kept: pod 10.32.0.5 saw this pod\'s own address 10.32.0.9');
    expect(result.output).toContain('ok      source address kept: pod 10.40.0.7 saw this pod\'s own address 10.32.0.9');
    expect(result.output).toContain('ok      egress to the internet (https://checkip.amazonaws.com), translated: it saw 203.0.113.9, not this pod\'s 10.32.0.9');
    expect(result.status).toBe(0);
    const apiCall = s.callLines('curl').find((l) => l.includes('/api/v1/nodes'))!;
    expect(apiCall).toContain(`--cacert ${s.path('/sa/ca.crt')} -H Authorization: Bearer sa-token https://10.96.0.1:443/api/v1/nodes?pretty=false`);
  });

  test('fails when fewer nodes are Ready than the control plane and the pools minimum', () => {
    const result = runCheck(make(nodeList([good(1), { ...good(2), ready: false }])), 2);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('FAILED  nodes: 1 Ready, at least 2 expected');
  });

  test('fails while a node waits for the cloud controller manager, or has no provider ID', () => {
    const tainted = runCheck(make(nodeList([good(1), { ...good(2), uninitialised: true }])), 2);
    expect(tainted.status).not.toBe(0);
    expect(tainted.output).toContain('FAILED  nodes: 2 of 2 have an AWS provider ID, 1 still wait for the cloud controller manager');
    const anonymous = runCheck(make(nodeList([good(1), { ready: true }])), 2);
    expect(anonymous.status).not.toBe(0);
    expect(anonymous.output).toContain('FAILED  nodes: 1 of 2 have an AWS provider ID, 0 still wait');
  });

  test('holds no Terraform template sequence: the Job reads the service account folder from SA_DIR', () => {
    // Terraform reads "$" + "{" and "%" + "{" in any string as its own interpolation and directive.
    expect(CONNECTIVITY_SCRIPT).not.toMatch(/[$%]\{/);
    expect(CONNECTIVITY_SCRIPT).toContain('"$SA_DIR/token"');
  });

  test('fails without egress, and when the API does not list nodes', () => {
    const closed = runCheck(make(nodeList([good(1)]), false), 1);
    expect(closed.status).not.toBe(0);
    expect(closed.output).toContain('FAILED  egress to the internet');
    const s = make('');
    s.standIn('curl', 'case "$*" in *checkip*) exit 0 ;; *) exit 22 ;; esac');
    const refused = runCheck(s, 1);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('FAILED  nodes: the API server did not list the nodes');
  });

  test('fails when a pod sees another source than the checking pod (pod-to-pod traffic translated)', () => {
    const s = make(nodeList([good(1)]));
    require('node:fs').writeFileSync(`${s.state}/seen`, '10.0.0.4\n');
    const result = runCheck(s, 1);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("FAILED  source address: pod 10.32.0.5 saw '10.0.0.4', not this pod's address 10.32.0.9");
  });

  test('fails when the internet saw the pod\'s own address, untranslated', () => {
    const s = make(nodeList([good(1)]));
    require('node:fs').writeFileSync(`${s.state}/egress-seen`, '10.32.0.9\n');
    const result = runCheck(s, 1);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("FAILED  egress to the internet (https://checkip.amazonaws.com): it saw this pod's own address 10.32.0.9, untranslated");
  });
});
