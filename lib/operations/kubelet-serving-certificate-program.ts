import { renderNodeProgram, SHARED_FUNCTIONS } from '../bootstrap/node-program';
import { oneshotService, timer, UnitFile } from '../bootstrap/systemd';
import { ProblemList } from '../plan/problems';
import { DEFAULT_CERTIFICATE_RENEWAL_PATHS } from './certificate-renewal-program';

/**
 * A control-plane kubelet's serving certificate, signed by the cluster CA on the node itself, so
 * that metrics-server (which verifies kubelets against the cluster CA) scrapes the control plane
 * too.
 *
 * Why not `serverTLSBootstrap` and the in-cluster approver, as on workers: control-plane nodes sit
 * in public subnets with public addresses (the single node's Elastic IP is the API endpoint). The
 * cloud controller manager gives such a Node an `ExternalIP` and an `ExternalDNS` address
 * (kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, extractNodeAddresses), and the kubelet
 * asks for every address of its Node (kubernetes/kubernetes pkg/kubelet/certificate/kubelet.go,
 * addressesToHostnamesAndIPs). kubelet-csr-approver 1.2.14 (internal/controller/regex_ip_checks.go)
 * then denies it: more DNS names than `allowedDnsNames`, a name not prefixed by the node's name, and
 * an IP that the names do not resolve to (inside the VPC, EC2 names resolve to private addresses).
 * Admitting it would take `bypassDnsResolution`, `bypassHostnameCheck` and the public addresses in
 * `providerIpPrefixes` for every node: the approver does not tie a request's addresses to the
 * requesting node, so any worker could then get a cluster-CA certificate for the API endpoint's
 * public address, which kubeconfigs trust. A control-plane node already holds the cluster CA key
 * (kubeadm's controller manager signs with it), so signing its own kubelet's certificate here
 * grants nothing new.
 *
 * The kubelet serves `/var/lib/kubelet/pki/kubelet.crt` and `kubelet.key` when they exist and no
 * TLS file or `serverTLSBootstrap` is configured; otherwise it writes a self-signed pair there
 * (kubernetes/kubernetes cmd/kubelet/app/server.go, InitializeTLS). The program replaces that pair
 * with one the cluster CA signed for the node's name, its private DNS name and its private IP
 * (what metrics-server dials first: chart 3.13.1's `--kubelet-preferred-address-types=InternalIP,
 * ExternalIP,Hostname`), and restarts the kubelet once; running containers keep running. It does it
 * again when the certificate nears expiry or no longer names the node's addresses, and does
 * nothing otherwise.
 */

export const KUBELET_SERVING_PROGRAM_PATH = '/usr/local/sbin/kubelet-serving-certificate';
export const KUBELET_SERVING_SERVICE = 'kubelet-serving-certificate.service';
export const KUBELET_SERVING_TIMER = 'kubelet-serving-certificate.timer';
export const KUBELET_SERVING_VALID_DAYS = 365;
export const KUBELET_SERVING_RENEW_BEFORE_DAYS = 30;

export interface KubeletServingPaths {
  readonly caCert: string;
  readonly caKey: string;
  /** Present once the node has joined (kubeadm writes it). */
  readonly kubeletKubeconfig: string;
  /** The kubelet's flags from kubeadm. */
  readonly kubeletFlags: string;
  readonly kubeletConfig: string;
  /** The kubelet's certificate folder (`--cert-dir`, kubeadm's default). */
  readonly pkiDir: string;
  /** Shared with the kubeadm certificate renewal, so that one never restarts what the other is restarting. */
  readonly lockFile: string;
}

export const DEFAULT_KUBELET_SERVING_PATHS: KubeletServingPaths = {
  caCert: '/etc/kubernetes/pki/ca.crt',
  caKey: '/etc/kubernetes/pki/ca.key',
  kubeletKubeconfig: '/etc/kubernetes/kubelet.conf',
  kubeletFlags: '/var/lib/kubelet/kubeadm-flags.env',
  kubeletConfig: '/var/lib/kubelet/config.yaml',
  pkiDir: '/var/lib/kubelet/pki',
  lockFile: DEFAULT_CERTIFICATE_RENEWAL_PATHS.lockFile,
};

export interface KubeletServingProgramProps {
  /** Node paths, for tests. */
  readonly paths?: Partial<KubeletServingPaths>;
  /** Instance metadata, for tests. */
  readonly imdsUrl?: string;
  /**
   * Where the kubelet's health answers.
   * @default 'http://127.0.0.1:10248/healthz' (kubelet's healthzPort)
   */
  readonly healthzUrl?: string;
}

const BODY = `
${SHARED_FUNCTIONS.nodeName}

kubelet_healthy() { curl -fsS --max-time 5 "$HEALTHZ_URL" > /dev/null 2>&1; }

# The subjectAltName entries as openssl prints them, one a line.
names_in() { openssl x509 -noout -ext subjectAltName -in "$1" | tail -n +2 | tr ',' '\\n' | sed 's/^ *//'; }

# Whether the installed pair is the cluster CA's, for these names, matching, and not due.
current_is_good() {
  local cert=$PKI_DIR/kubelet.crt key=$PKI_DIR/kubelet.key entry names
  if [ ! -f "$cert" ] || [ ! -f "$key" ]; then
    log 'no serving certificate yet'
    return 1
  fi
  openssl verify -CAfile "$CA_CERT" "$cert" > /dev/null 2>&1 || { log 'the serving certificate is not signed by the cluster CA (the kubelet made its own)'; return 1; }
  openssl x509 -noout -checkend "$RENEW_BELOW_SECONDS" -in "$cert" > /dev/null || { log "the serving certificate expires within $((RENEW_BELOW_SECONDS / 86400)) days"; return 1; }
  [ "$(openssl x509 -noout -pubkey -in "$cert")" = "$(openssl pkey -pubout -in "$key")" ] || { log 'the serving key does not match its certificate'; return 1; }
  names=$(names_in "$cert")
  for entry in "$@"; do
    grep -qxF "$entry" <<< "$names" || { log "the serving certificate does not name $entry"; return 1; }
  done
}

issue() {
  local name=$1 address=$2 dns=$3 work sans
  sans="DNS:$name,IP:$address"
  [ "$dns" = "$name" ] || sans="$sans,DNS:$dns"
  work=$(mktemp -d "$PKI_DIR/.serving.XXXXXX")
  # The subject the kubelet itself would ask for; ECDSA P-256 like the CA and kubeadm's certificates.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/kubelet.key" 2> /dev/null
  openssl req -new -key "$work/kubelet.key" -subj "/O=system:nodes/CN=system:node:$name" -out "$work/kubelet.csr"
  printf '%s\\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' "subjectAltName=$sans" > "$work/extensions"
  openssl x509 -req -in "$work/kubelet.csr" -CA "$CA_CERT" -CAkey "$CA_KEY" -set_serial "0x$(openssl rand -hex 16)" \\
    -days "$VALID_DAYS" -sha256 -extfile "$work/extensions" -out "$work/kubelet.crt" 2> /dev/null
  openssl verify -CAfile "$CA_CERT" "$work/kubelet.crt" > /dev/null
  chmod 0600 "$work/kubelet.key"
  chmod 0644 "$work/kubelet.crt"
  mv -f "$work/kubelet.key" "$PKI_DIR/kubelet.key"
  mv -f "$work/kubelet.crt" "$PKI_DIR/kubelet.crt"
  rm -rf "$work"
}

main() {
  local name address dns i
  umask 077
  if [ ! -f "$CA_KEY" ] || [ ! -f "$CA_CERT" ] || [ ! -f "$KUBELET_KUBECONFIG" ]; then
    log 'this node has not joined the control plane yet (no cluster CA key or kubelet.conf); the next run tries again'
    return 0
  fi
  if grep -qs 'rotate-server-certificates=true' "$KUBELET_FLAGS" || grep -qsx 'serverTLSBootstrap: true' "$KUBELET_CONFIG"; then
    log 'this kubelet asks the cluster for its serving certificate itself (serverTLSBootstrap); nothing to do'
    return 0
  fi
  mkdir -p "$(dirname "$LOCK_FILE")"
  exec 9> "$LOCK_FILE"
  flock -w 600 9 || fail "another run on this node holds $LOCK_FILE (a certificate renewal); the next run tries again"
  if pgrep -x kubeadm > /dev/null; then
    log 'kubeadm is running on this node (a bootstrap or an upgrade), which restarts the kubelet itself; the next run tries again'
    return 0
  fi
  name=$(node_name)
  address=$(retry "$IMDS_ATTEMPTS" 2 imds meta-data/local-ipv4) || fail 'could not read the private address from instance metadata'
  dns=$(retry "$IMDS_ATTEMPTS" 2 imds meta-data/local-hostname) || fail 'could not read the private DNS name from instance metadata'
  # A DHCP option set with several domain names makes local-hostname a list; the first is the node's.
  dns=\${dns%% *}
  if current_is_good "DNS:$name" "IP Address:$address" "DNS:$dns"; then
    log "the serving certificate is the cluster CA's for $name ($address) and not due; nothing to do"
    return 0
  fi
  log "phase issue: a serving certificate signed by the cluster CA for $name, $dns, $address ($VALID_DAYS days)"
  mkdir -p "$PKI_DIR"
  issue "$name" "$address" "$dns" || fail "could not sign the serving certificate with $CA_KEY"
  log 'phase restart: the kubelet, to serve it (running containers keep running)'
  systemctl restart kubelet || fail 'systemctl restart kubelet failed; check journalctl -u kubelet'
  for ((i = 1; i <= HEALTH_ATTEMPTS; i++)); do
    if kubelet_healthy; then
      log 'the kubelet is healthy and serves the new certificate'
      return 0
    fi
    sleep 2
  done
  fail "the kubelet is not healthy at $HEALTHZ_URL after its restart; check journalctl -u kubelet and $PKI_DIR/kubelet.crt"
}

main "$@"
`;

/** The program. Exit status 0 when the certificate is in place or the node is not ready for it; 1 on failure. */
export function kubeletServingProgram(props: KubeletServingProgramProps = {}): string {
  const paths = { ...DEFAULT_KUBELET_SERVING_PATHS, ...props.paths };
  const problems = new ProblemList();
  for (const [key, value] of Object.entries(paths)) {
    if (!value.startsWith('/')) {
      problems.add(`paths.${key}`, value, 'must be an absolute path', 'leave the paths out, or give absolute ones');
    }
  }
  problems.throwIfAny();
  return renderNodeProgram(
    {
      name: 'kubelet-serving-certificate',
      description: "Gives this control-plane node's kubelet a serving certificate signed by the cluster CA",
      settings: [
        ['CA_CERT', paths.caCert],
        ['CA_KEY', paths.caKey],
        ['KUBELET_KUBECONFIG', paths.kubeletKubeconfig],
        ['KUBELET_FLAGS', paths.kubeletFlags],
        ['KUBELET_CONFIG', paths.kubeletConfig],
        ['PKI_DIR', paths.pkiDir],
        ['LOCK_FILE', paths.lockFile],
        ['VALID_DAYS', KUBELET_SERVING_VALID_DAYS],
        ['RENEW_BELOW_SECONDS', KUBELET_SERVING_RENEW_BEFORE_DAYS * 86400],
        ['HEALTHZ_URL', props.healthzUrl ?? 'http://127.0.0.1:10248/healthz'],
        ['HEALTH_ATTEMPTS', 30],
        ['IMDS_ATTEMPTS', 5],
      ],
      body: BODY,
    },
    props.imdsUrl === undefined ? {} : { imdsUrl: props.imdsUrl },
  );
}

/**
 * The service, and an hourly timer: the check costs a few openssl calls, and a node that booted
 * while kubeadm ran gets its certificate within the hour (the channel's installation also starts
 * the service on every run).
 */
export function kubeletServingUnits(): UnitFile[] {
  return [
    oneshotService({
      name: KUBELET_SERVING_SERVICE,
      description: "Give this control-plane node's kubelet a serving certificate signed by the cluster CA",
      execStart: KUBELET_SERVING_PROGRAM_PATH,
      // The lock wait (10 min at most) plus a kubelet restart.
      timeout: '15min',
    }),
    timer({
      name: KUBELET_SERVING_TIMER,
      description: "Check this control-plane node's kubelet serving certificate hourly",
      onBoot: '5min',
      every: '1h',
      randomDelay: '5min',
    }),
  ];
}
