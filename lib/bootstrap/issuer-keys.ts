import { COMMON_SETTINGS, renderNodeProgram } from './node-program';
import { oneshotService, timer, UnitFile } from './systemd';

/** Where the program is installed on control-plane nodes. */
export const ISSUER_KEYS_PROGRAM_PATH = '/usr/local/sbin/kubeadm-issuer-keys';
export const ISSUER_KEYS_SERVICE = 'kubeadm-issuer-keys.service';
export const ISSUER_KEYS_TIMER = 'kubeadm-issuer-keys.timer';
/** The kubeconfig the program reads the API server's keys with (only on control-plane nodes). */
export const CONTROL_PLANE_ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';

export interface IssuerKeysProgramProps {
  /** Region of the bucket (may be a Terraform token). */
  readonly region: string;
  /** The issuer bucket (may be a Terraform token). */
  readonly bucket: string;
  /** Object key of the key set. */
  readonly key: string;
  /** The key set's `Cache-Control`: how long CloudFront and IAM may keep it. */
  readonly cacheControl: string;
}

export interface IssuerKeysEnvironment {
  /** @default '' - the node's own file system */
  readonly root?: string;
  /** @default - the instance metadata service */
  readonly imdsUrl?: string;
}

// The API server serves the keys it verifies service-account tokens with at /openid/v1/jwks; IAM
// reads the same document from the bucket (through CloudFront by default; the bucket is private and
// this node's role writes it with its own s3:PutObject permission, which Block Public Access leaves alone). Every control-plane node publishes it (the same keys on
// each), so the bucket follows the cluster without any one node being special.
const BODY = `
publish() {
  local jwks file
  if [ ! -f "$ROOT$ADMIN_KUBECONFIG" ]; then
    log 'no API server on this node yet; the bootstrap publishes the keys after kubeadm init'
    return 0
  fi
  jwks=$(retry 5 10 kubectl --kubeconfig "$ROOT$ADMIN_KUBECONFIG" --request-timeout=20s get --raw /openid/v1/jwks) || fail 'could not read /openid/v1/jwks from the API server'
  # Only a key set goes out: a JSON object whose keys list is not empty.
  printf '%s' "$jwks" | /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if isinstance(d.get("keys"), list) and d["keys"] else 1)' \\
    || fail 'the API server answered /openid/v1/jwks with something that is not a key set'
  file=$(mktemp)
  printf '%s' "$jwks" > "$file"
  if ! retry 5 10 aws s3 cp --region "$REGION" --only-show-errors --content-type application/json --cache-control "$CACHE_CONTROL" "$file" "s3://$BUCKET/$KEY"; then
    rm -f "$file"
    fail "could not write s3://$BUCKET/$KEY; check that this node's role may s3:PutObject there"
  fi
  rm -f "$file"
  log "published the service-account keys to s3://$BUCKET/$KEY"
}

publish
`;

/** The program that copies the API server's service-account key set to the issuer bucket. */
export function issuerKeysProgram(props: IssuerKeysProgramProps, env: IssuerKeysEnvironment = {}): string {
  return renderNodeProgram(
    {
      name: 'kubeadm-issuer-keys',
      description: "Publishes the API server's service-account keys for IAM",
      settings: [
        ['ROOT', env.root ?? ''],
        ['REGION', props.region],
        ['BUCKET', props.bucket],
        ['KEY', props.key],
        // As long as CloudFront may serve it: a new key set reaches IAM within that time.
        ['CACHE_CONTROL', props.cacheControl],
        ['ADMIN_KUBECONFIG', CONTROL_PLANE_ADMIN_KUBECONFIG],
      ],
      body: BODY,
    },
    { imdsUrl: env.imdsUrl ?? COMMON_SETTINGS.imdsUrl },
  );
}

/** The service and its timer: a day-2 change of the keys (a new sa.key) reaches the bucket within the hour. */
export function issuerKeysUnits(): UnitFile[] {
  return [
    oneshotService({
      name: ISSUER_KEYS_SERVICE,
      description: "Publish the API server's service-account keys for IAM",
      execStart: ISSUER_KEYS_PROGRAM_PATH,
      timeout: '10min',
    }),
    timer({ name: ISSUER_KEYS_TIMER, description: "Publish the API server's service-account keys hourly", onBoot: '5min', every: '1h', randomDelay: '5min' }),
  ];
}
