import { writeFileSync } from 'node:fs';
import { cloudCheckObjects } from '../lib/kubernetes/cloud-check-objects';
import { CLOUD_CHECK_SCRIPT } from '../lib/kubernetes/cloud-check-script';
import { CONNECTIVITY_SCRIPT } from '../lib/kubernetes/connectivity-script';
import { NodeSandbox } from './support/node-sandbox';
import { hasTool, shellcheck } from './support/validators';

// The cloud check's script run against a stand-in curl that plays the API server (objects kept as
// files, statuses as the API answers them) and the load balancer.

const objects = cloudCheckObjects({ serverLabels: { app: 'kubeadm-connectivity-check' }, serverPortName: 'http', storageClass: 'gp3', image: 'nginx:1.29-alpine' });
const API = 'https://10.96.0.1:443';
const NS = '/api/v1/namespaces/check';

interface Cloud {
  /** The load balancer's host name once the Service exists; none: the controller makes none. */
  readonly hostname?: string;
  /** Whether an HTTP GET through it reaches nginx. */
  readonly reachable?: boolean;
  /** The volume pod's phase. */
  readonly podPhase?: string;
  /** A path that DELETE does not remove (a finalizer that never clears). */
  readonly stuck?: string;
  /** Objects already there when the check starts (an earlier attempt's). */
  readonly leftovers?: readonly string[];
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
# Hundreds of calls a test: bash's own reads and expansions, not a process for each.
hostname=''; [ -f "$STATE/hostname" ] && read -r hostname < "$STATE/hostname"
case "$url" in
  http://*) [ "$url" = "http://$hostname/" ] && [ -f "$STATE/reachable" ] && exit 0; echo "curl: (7) Failed to connect" >&2; exit 7 ;;
esac
path=\${url#${API}}; path=\${path%%\\?*}
[ -s "$STATE/token.seen" ] || printf '%s' "$*" > "$STATE/token.seen"
file() { [ -d "$STATE/objects" ] || mkdir -p "$STATE/objects"; printf '%s/objects/%s' "$STATE" "\${1//\//_}"; }
respond() {
  if [ -n "$wout" ]; then printf '%s' "$1"; return 0; fi
  if [ "$1" -ge 400 ]; then echo "curl: (22) The requested URL returned error: $1" >&2; exit 22; fi
  printf '%s' "$2"
}
case "$method" in
  POST)
    name=$(printf '%s' "$data" | sed -n 's/.*"metadata":{"name":"\\([^"]*\\)".*/\\1/p')
    printf '%s' "$data" > "$(file "$path/$name")"
    echo "$path/$name" >> "$STATE/created"
    case "$path" in */persistentvolumeclaims) : > "$(file /api/v1/persistentvolumes/pvc-0a1b)" ;; esac
    respond 201 "$data" ;;
  DELETE)
    if [ -f "$(file "$path")" ]; then
      echo "$path" >> "$STATE/deleted"
      stuck=''; [ -f "$STATE/stuck" ] && read -r stuck < "$STATE/stuck"
      if [ "$path" != "$stuck" ]; then rm "$(file "$path")"; fi
      case "$path" in */persistentvolumeclaims/*) rm -f "$(file /api/v1/persistentvolumes/pvc-0a1b)" ;; esac
      respond 200 '{}'
    else respond 404 ''; fi ;;
  GET)
    if [ -f "$(file "$path")" ]; then
      body=$(< "$(file "$path")"); body=\${body%\\}}
      case "$path" in
        */services/*) [ -f "$STATE/hostname" ] && body="$body,\\"status\\":{\\"loadBalancer\\":{\\"ingress\\":[{\\"hostname\\":\\"$hostname\\"}]}}" ;;
        */pods/*) body="$body,\\"status\\":{\\"phase\\":\\"$(< "$STATE/phase")\\"}" ;;
        */persistentvolumeclaims/*) body="$body,\\"status\\":{\\"phase\\":\\"Bound\\"},\\"x\\":{\\"volumeName\\":\\"pvc-0a1b\\"}" ;;
      esac
      respond 200 "$body}"
    else respond 404 ''; fi ;;
esac
`;

function sandbox(cloud: Cloud): NodeSandbox {
  const s = new NodeSandbox();
  s.writeFile('/sa/token', 'sa-token');
  s.writeFile('/sa/ca.crt', 'CA');
  const state = (name: string, value: string) => writeFileSync(`${s.state}/${name}`, value);
  if (cloud.hostname !== undefined) state('hostname', cloud.hostname);
  if (cloud.reachable) state('reachable', '');
  state('phase', cloud.podPhase ?? 'Succeeded');
  if (cloud.stuck) state('stuck', cloud.stuck);
  s.standIn('curl', FAKE_CURL);
  for (const leftover of cloud.leftovers ?? []) {
    require('node:fs').mkdirSync(`${s.state}/objects`, { recursive: true });
    state(`objects/${leftover.replace(/\//g, '_')}`, '{"metadata":{"name":"old"}}');
  }
  return s;
}

function runCheck(s: NodeSandbox) {
  return s.run(`#!/bin/sh\n${CLOUD_CHECK_SCRIPT}`, {
    env: {
      SA_DIR: s.path('/sa'),
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      NAMESPACE: 'check',
      SERVICE_NAME: 'nginx-lb',
      CLAIM_NAME: 'volume-check',
      POD_NAME: 'volume-check',
      SERVICE_JSON: JSON.stringify(objects.service),
      CLAIM_JSON: JSON.stringify(objects.claim),
      POD_JSON: JSON.stringify(objects.pod),
      VOLUME_WAIT_SECONDS: '0',
      LB_WAIT_SECONDS: '0',
      CLEANUP_WAIT_SECONDS: '0',
    },
  });
}

const lines = (s: NodeSandbox, name: string): string[] => {
  try {
    return require('node:fs').readFileSync(`${s.state}/${name}`, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};
const remaining = (s: NodeSandbox): string[] => {
  try {
    return require('node:fs').readdirSync(`${s.state}/objects`).sort();
  } catch {
    return [];
  }
};
const HOST = 'a1b2c3-123.eu-west-1.elb.amazonaws.com';

describe('cloud check script', () => {
  const sandboxes: NodeSandbox[] = [];
  const make = (cloud: Cloud) => {
    const s = sandbox(cloud);
    sandboxes.push(s);
    return s;
  };
  afterAll(() => sandboxes.forEach((s) => s.cleanup()));

  test('passes when the volume pod succeeds and nginx answers through the load balancer, then removes everything', () => {
    const s = make({ hostname: HOST, reachable: true });
    const result = runCheck(s);
    expect(result.output).toContain('ok      volume: a pod wrote a file on a new EBS volume (claim volume-check) and read it back');
    expect(result.output).toContain(`ok      load balancer: http://${HOST}/ reached nginx`);
    expect(result.output).toContain('ok      removed the load balancer, the volume and the check\'s objects');
    expect(result.status).toBe(0);
    expect(lines(s, 'created')).toEqual([`${NS}/services/nginx-lb`, `${NS}/persistentvolumeclaims/volume-check`, `${NS}/pods/volume-check`]);
    // The pod goes before its claim, so that the volume can be detached and deleted.
    expect(lines(s, 'deleted')).toEqual([`${NS}/pods/volume-check`, `${NS}/persistentvolumeclaims/volume-check`, `${NS}/services/nginx-lb`]);
    expect(remaining(s)).toEqual([]);
    const apiCall = s.callLines('curl').find((l) => l.includes('-X POST'))!;
    expect(apiCall).toContain(`--cacert ${s.path('/sa/ca.crt')} -H Authorization: Bearer sa-token -H Content-Type: application/json -X POST ${API}${NS}/services?pretty=false --data {"apiVersion":"v1","kind":"Service"`);
  });

  test('fails when the volume pod does not succeed, and still removes everything', () => {
    const s = make({ hostname: HOST, reachable: true, podPhase: 'Pending' });
    const result = runCheck(s);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('FAILED  volume: the pod that writes on claim volume-check is Pending after 0 s');
    expect(result.output).toContain('ok      load balancer');
    expect(remaining(s)).toEqual([]);
  });

  test('fails when the Service gets no load balancer, or nginx does not answer through it', () => {
    const none = make({});
    const noHost = runCheck(none);
    expect(noHost.status).not.toBe(0);
    expect(noHost.output).toContain('FAILED  load balancer: Service nginx-lb got no load balancer in 0 s');
    expect(remaining(none)).toEqual([]);
    const silent = runCheck(make({ hostname: HOST, reachable: false }));
    expect(silent.status).not.toBe(0);
    expect(silent.output).toContain(`FAILED  load balancer: http://${HOST}/ did not answer in 0 s`);
  });

  test('fails when the load balancer or the volume is not removed in time', () => {
    const service = runCheck(make({ hostname: HOST, reachable: true, stuck: `${NS}/services/nginx-lb` }));
    expect(service.status).not.toBe(0);
    expect(service.output).toContain(`FAILED  removal: ${NS}/services/nginx-lb is still there after 0 s`);
    const s = make({ hostname: HOST, reachable: true });
    s.standIn('curl', FAKE_CURL.replace('rm -f "$(file /api/v1/persistentvolumes/pvc-0a1b)"', ':'));
    const volume = runCheck(s);
    expect(volume.status).not.toBe(0);
    expect(volume.output).toContain('FAILED  removal: /api/v1/persistentvolumes/pvc-0a1b is still there');
  });

  test("removes an earlier attempt's objects before it creates its own", () => {
    const s = make({ hostname: HOST, reachable: true, leftovers: [`${NS}/services/nginx-lb`, `${NS}/pods/volume-check`] });
    const result = runCheck(s);
    expect(result.status).toBe(0);
    expect(lines(s, 'deleted').slice(0, 2)).toEqual([`${NS}/pods/volume-check`, `${NS}/services/nginx-lb`]);
    expect(lines(s, 'created')).toHaveLength(3);
  });

  test('fails when the API refuses to create the objects', () => {
    const s = make({ hostname: HOST, reachable: true });
    s.standIn('curl', `case "$*" in *"-X POST"*) exit 22 ;; *"%{http_code}"*) printf 404 ;; *) exit 22 ;; esac`);
    const result = runCheck(s);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("FAILED  could not create the check's services (is the check's Role bound?)");
  });

  test.each([
    ['cloud check', CLOUD_CHECK_SCRIPT],
    ['connectivity check', CONNECTIVITY_SCRIPT],
  ])('the %s script holds no Terraform template sequence and passes shellcheck', (_name, script) => {
    // Terraform reads "$" + "{" and "%" + "{" in any string as its own interpolation and directive.
    expect(script).not.toMatch(/[$%]\{/);
    if (hasTool('shellcheck', 'shellcheck')) {
      expect(shellcheck(`#!/bin/sh\n${script}`, 'sh')).toBe('');
    }
  });
});
