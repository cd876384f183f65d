import { renderNodeProgram } from '../bootstrap/node-program';
import { oneshotService, timer, UnitFile } from '../bootstrap/systemd';
import { ProblemList } from '../plan/problems';
import { CLUSTER_GENERATION_PATTERN, NO_CLUSTER_GENERATION } from '../bootstrap/cluster-generation';
import { ETCD_TOOLS_PROGRAM_PATH } from './etcd-tools-program';

/**
 * etcd snapshots of the control plane, taken on the node whose local etcd member leads (so a dead
 * first node does not stop them), checked with `etcdutl snapshot status` and uploaded to S3 under a
 * timestamped name. etcd 3.6 removed `etcdctl snapshot status|restore`; `etcdutl` does both.
 */

/** Where the programs are installed on control-plane nodes. */
export const ETCD_SNAPSHOT_PROGRAM_PATH = '/usr/local/sbin/kubeadm-etcd-snapshot';
export const ETCD_RESTORE_PROGRAM_PATH = '/usr/local/sbin/kubeadm-etcd-restore';
export const ETCD_SNAPSHOT_SERVICE = 'kubeadm-etcd-snapshot.service';
export const ETCD_SNAPSHOT_TIMER = 'kubeadm-etcd-snapshot.timer';
/** The CloudWatch namespace of every metric the cluster's programs report. */
export const METRIC_NAMESPACE = 'KubeadmCluster';
/** Reported with value 1 (Count) after each snapshot that was verified and uploaded. */
export const SNAPSHOT_METRIC = 'EtcdSnapshotSucceeded';
/** Reported with the uploaded snapshot's size (Bytes). */
export const SNAPSHOT_SIZE_METRIC = 'EtcdSnapshotBytes';
/** The value of the restore request parameter when no restore is requested. */
export const NO_RESTORE_REQUEST = 'none';

/** Node paths, overridable so that tests run the programs in a scratch folder. */
export interface EtcdNodePaths {
  /** kubeadm's etcd CA and the client certificate kubeadm makes for health checks. */
  readonly etcdCa: string;
  readonly etcdCert: string;
  readonly etcdKey: string;
  /** etcd's data directory, as kubeadm configures it. */
  readonly dataDir: string;
  /** Scratch space for snapshot files (root only). */
  readonly workDir: string;
  /** A local lock, so two runs on one node never overlap. */
  readonly lockFile: string;
}

export const DEFAULT_ETCD_NODE_PATHS: EtcdNodePaths = {
  etcdCa: '/etc/kubernetes/pki/etcd/ca.crt',
  etcdCert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  etcdKey: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
  dataDir: '/var/lib/etcd',
  workDir: '/var/lib/kubeadm-etcd-backup',
  lockFile: '/run/lock/kubeadm-etcd-backup.lock',
};

export interface EtcdSnapshotLocation {
  /** AWS region of the bucket (may be a Terraform token). */
  readonly region: string;
  /** Name of the bucket (may be a Terraform token). */
  readonly bucketName: string;
  /** The key prefix of this cluster's snapshots: empty, or ending in `/`; the cluster's name follows it. */
  readonly prefix: string;
  readonly clusterName: string;
  /**
   * The String parameter that names the cluster's generation (see `cluster-generation.ts`):
   * snapshots go under `<prefix><cluster>/<generation>/`, and `restore latest` looks there only, so
   * that the snapshots of an accidental fresh cluster can never shadow the lost cluster's.
   * @default - no generations: snapshots go straight under `<prefix><cluster>/`
   */
  readonly generationParameter?: string;
}

export interface EtcdSnapshotProgramProps extends EtcdSnapshotLocation {
  /**
   * The local etcd member's client URL.
   * @default 'https://127.0.0.1:2379'
   */
  readonly endpoint?: string;
  /** Node paths, for tests. */
  readonly paths?: Partial<EtcdNodePaths>;
  /**
   * The program that installs etcdctl and etcdutl when they are missing.
   * @default ETCD_TOOLS_PROGRAM_PATH
   */
  readonly toolsProgram?: string;
  /** Instance metadata service, for tests. */
  readonly imdsUrl?: string;
}

/** The key prefix under which a cluster's snapshots live: `<prefix><cluster>/`. */
export function snapshotKeyPrefix(location: Pick<EtcdSnapshotLocation, 'prefix' | 'clusterName'>): string {
  return `${location.prefix}${location.clusterName}/`;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^([A-Za-z0-9!_.*()-]+\/)*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const NODE_PATH = /^\/[A-Za-z0-9._/-]+$/;
const ENDPOINT = /^https:\/\/[A-Za-z0-9.:[\]-]+$/;

const isToken = (value: string) => value.includes('${');

function checkLiteral(problems: ProblemList, property: string, value: string, pattern: RegExp, what: string, fix: string): void {
  if (value.includes("'") || value.includes('\n')) {
    problems.add(property, value, 'contains a quote or a line break, which the node program cannot carry', fix);
  } else if (!isToken(value) && !pattern.test(value)) {
    problems.add(property, value, `is not ${what}`, fix);
  }
}

/** Checks a bucket name and key prefix; `where` names where they sit in the caller's props. */
export function checkBucketAndPrefix(problems: ProblemList, bucketName: string, prefix: string, where = ''): void {
  checkLiteral(problems, `${where}bucketName`, bucketName, BUCKET, 'an S3 bucket name', 'use 3 to 63 lower-case letters, digits, dots and dashes, for example my-etcd-backups');
  checkLiteral(problems, `${where}prefix`, prefix, PREFIX, 'a key prefix of plain path segments, each ending in /', "leave it empty or write it like 'backups/kubernetes/'");
}

/** Checks the location; `where` names where it sits in the caller's props. */
export function checkSnapshotLocation(problems: ProblemList, location: EtcdSnapshotLocation, where = ''): void {
  checkLiteral(problems, `${where}region`, location.region, REGION, 'an AWS region name', 'give the region of the bucket, for example eu-west-1');
  checkBucketAndPrefix(problems, location.bucketName, location.prefix, where);
}

function checkPaths(problems: ProblemList, paths: EtcdNodePaths): void {
  for (const key of Object.keys(paths) as Array<keyof EtcdNodePaths>) {
    if (!NODE_PATH.test(paths[key])) {
      problems.add(`paths.${key}`, paths[key], 'is not an absolute path of plain characters', `use a path such as ${DEFAULT_ETCD_NODE_PATHS[key]}`);
    }
  }
}

// Shared by both programs: the TLS client of the local member, and the snapshot checks.
const ETCD_HELPERS = `
etcd_ctl() {
  etcdctl --endpoints="$ETCD_ENDPOINT" --cacert="$ETCD_CA" --cert="$ETCD_CERT" --key="$ETCD_KEY" --command-timeout=60s "$@"
}

need_tools() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" > /dev/null && [ -x "$ETCD_TOOLS_PROGRAM" ]; then
      log "$tool is missing; copying the etcd tools from kubeadm's etcd image"
      "$ETCD_TOOLS_PROGRAM" || true
    fi
    command -v "$tool" > /dev/null || fail "$tool is not installed; $ETCD_TOOLS_PROGRAM copies it from kubeadm's etcd image"
  done
}

# The cluster's generation from its parameter (empty without one). 'none' is a cluster from before
# generations; a valid id names the folder its snapshots live in.
read_generation() {
  local value
  [ -n "$GENERATION_PARAMETER" ] || return 0
  value=$(retry 3 10 aws ssm get-parameter --region "$REGION" --name "$GENERATION_PARAMETER" --query Parameter.Value --output text) \
    || fail "cannot read the cluster generation from $GENERATION_PARAMETER"
  printf '%s' "$value"
}

valid_generation() { [[ $1 =~ $GENERATION_PATTERN ]]; }

# snapshot_summary FILE: "revision keys bytes" of a snapshot file, or a failure if it is unreadable.
snapshot_summary() {
  etcdutl snapshot status "$1" --write-out=json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s.get("revision", 0), s.get("totalKey", 0), s.get("totalSize", 0))'
}
`;

const SNAPSHOT_BODY = `
${ETCD_HELPERS}
SNAPSHOT_FILE=''

cleanup() {
  [ -z "$SNAPSHOT_FILE" ] || rm -f "$SNAPSHOT_FILE" "$SNAPSHOT_FILE.part"
}

# The local member's id and the id of the leader it knows, from its status.
member_and_leader() {
  etcd_ctl endpoint status --write-out=json | python3 -c '
import json, sys
status = json.load(sys.stdin)[0]["Status"]
print(status["header"]["member_id"], status.get("leader", 0))'
}

report() {
  local dimensions="ClusterName=$CLUSTER_NAME"
  aws cloudwatch put-metric-data --region "$REGION" --namespace "$METRIC_NAMESPACE" --metric-name "$1" --value "$2" --unit "$3" --dimensions "$dimensions" \\
    || log "could not report $1 to CloudWatch"
}

main() {
  local ids member leader node stamp key summary revision keys bytes generation folder=''
  umask 077
  mkdir -p "$(dirname "$LOCK_FILE")"
  exec 9> "$LOCK_FILE"
  if ! flock -n 9; then
    log "another snapshot runs on this node ($LOCK_FILE)"
    return 0
  fi
  trap cleanup EXIT
  need_tools etcdctl etcdutl aws python3
  log 'phase leader: asking the local etcd member for its status'
  ids=$(member_and_leader) || fail "the local etcd member at $ETCD_ENDPOINT does not answer; is this a running control-plane node?"
  read -r member leader <<< "$ids"
  if [ "$member" != "$leader" ]; then
    log "the local member $member is not the leader ($leader); the leader's node takes the snapshot"
    return 0
  fi
  generation=$(read_generation)
  if [ -n "$GENERATION_PARAMETER" ]; then
    if [ "$generation" = "$NO_GENERATION" ]; then
      # A cluster that ran before generations existed: its leader names its generation once.
      generation="$(date -u +%Y%m%dT%H%M%SZ)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
      log "phase generation: this running cluster had no generation; naming it $generation in $GENERATION_PARAMETER"
      retry 3 10 aws ssm put-parameter --region "$REGION" --name "$GENERATION_PARAMETER" --type String --overwrite --value "$generation" > /dev/null \
        || fail "cannot write the cluster generation to $GENERATION_PARAMETER"
    fi
    valid_generation "$generation" \
      || fail "$GENERATION_PARAMETER holds '$generation', not a generation id; a new cluster was requested and has not started yet, so this snapshot is not uploaded"
    folder="$generation/"
  fi
  node=$(hostname)
  node=\${node//[^A-Za-z0-9.-]/-}
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$WORK_DIR"
  SNAPSHOT_FILE="$WORK_DIR/etcd-$stamp-$node.db"
  log "phase save: the local member $member leads; saving a snapshot to $SNAPSHOT_FILE"
  etcd_ctl snapshot save "$SNAPSHOT_FILE" > /dev/null || fail 'etcdctl snapshot save failed'
  log 'phase verify: etcdutl snapshot status'
  summary=$(snapshot_summary "$SNAPSHOT_FILE") || fail "etcdutl cannot read $SNAPSHOT_FILE; not uploaded"
  read -r revision keys bytes <<< "$summary"
  [ "$keys" -gt 0 ] || fail "the snapshot holds no keys; not uploaded"
  log "snapshot at revision $revision: $keys keys, $bytes bytes"
  key="$KEY_PREFIX$folder$(basename "$SNAPSHOT_FILE")"
  log "phase upload: s3://$BUCKET/$key"
  retry 3 20 aws s3 cp --region "$REGION" --only-show-errors "$SNAPSHOT_FILE" "s3://$BUCKET/$key" || fail "the upload to s3://$BUCKET/$key failed"
  log 'phase report: CloudWatch'
  report "$SNAPSHOT_METRIC" 1 Count
  report "$SNAPSHOT_SIZE_METRIC" "$bytes" Bytes
  log "snapshot s3://$BUCKET/$key done"
}

main "$@"
`;

const RESTORE_BODY = `
${ETCD_HELPERS}
SNAPSHOT_FILE=''
RESTORING=''

cleanup() {
  [ -z "$SNAPSHOT_FILE" ] || rm -f "$SNAPSHOT_FILE"
  [ -z "$RESTORING" ] || rm -rf "$RESTORING"
}

usage() {
  fail "usage: $PROGRAM restore latest|<snapshot name or key> [--replace] [--name NAME] [--peer-url URL]"
}

# newest_key FOLDER: the key of the newest snapshot under <KEY_PREFIX><FOLDER> (not below it), by the
# UTC time in its name, then by when S3 got it; never by key order across folders.
newest_key() {
  aws s3api list-objects-v2 --region "$REGION" --bucket "$BUCKET" --prefix "$KEY_PREFIX$1etcd-" --output json | python3 -c '
import json, re, sys
prefix, text = sys.argv[1], sys.stdin.read().strip()
found = []
for o in (json.loads(text).get("Contents") or []) if text else []:
    m = re.fullmatch(re.escape(prefix) + "etcd-([0-9]{8}T[0-9]{6}Z)-[A-Za-z0-9.-]+[.]db", o["Key"])
    if m:
        found.append((m.group(1), o.get("LastModified", ""), o["Key"]))
print(max(found)[2] if found else "")' "$KEY_PREFIX$1"
}

restore() {
  local request=\${1:-} replace=0 name='' peer_url='' key summary revision keys address generation folder='' aside
  [ -n "$request" ] || usage
  shift
  while [ "$#" -gt 0 ]; do
    case $1 in
      --replace) replace=1 ;;
      --name) name=\${2:-}; shift ;;
      --peer-url) peer_url=\${2:-}; shift ;;
      *) usage ;;
    esac
    shift
  done
  need_tools etcdutl aws python3
  if [ -z "$name" ]; then
    name=$(hostname)
    name=\${name,,}
  fi
  if [ -z "$peer_url" ]; then
    address=$(imds meta-data/local-ipv4) || fail 'cannot read this node address from instance metadata; give --peer-url'
    peer_url="https://$address:$PEER_PORT"
  fi
  if [ -d "$DATA_DIR/member" ]; then
    [ "$replace" -eq 1 ] || fail "$DATA_DIR already holds etcd data; restore runs before kubeadm init, on a new node (or give --replace to move the data aside)"
  fi
  case $request in
    latest)
      generation=$(read_generation)
      if valid_generation "$generation"; then
        folder="$generation/"
      elif [ -n "$generation" ] && [ "$generation" != "$NO_GENERATION" ]; then
        fail "$GENERATION_PARAMETER holds '$generation', which names no generation; give a snapshot's name instead of latest"
      fi
      log "phase find: the newest snapshot under s3://$BUCKET/$KEY_PREFIX$folder (this cluster's generation only)"
      key=$(newest_key "$folder") || fail "cannot list s3://$BUCKET/$KEY_PREFIX$folder"
      [ -n "$key" ] || fail "no snapshot under s3://$BUCKET/$KEY_PREFIX$folder"
      ;;
    "$KEY_PREFIX"*) key=$request ;;
    *) key="$KEY_PREFIX$request" ;;
  esac
  [[ $key =~ ^"$KEY_PREFIX"([0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}/)?etcd-[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9.-]+[.]db$ ]] || fail "$key is not a snapshot of this cluster (s3://$BUCKET/\${KEY_PREFIX}[<generation>/]etcd-<time>-<node>.db)"
  mkdir -p "$WORK_DIR"
  SNAPSHOT_FILE="$WORK_DIR/restore-$(basename "$key")"
  log "phase download: s3://$BUCKET/$key"
  retry 3 20 aws s3 cp --region "$REGION" --only-show-errors "s3://$BUCKET/$key" "$SNAPSHOT_FILE" || fail "the download of s3://$BUCKET/$key failed"
  log 'phase verify: etcdutl snapshot status'
  summary=$(snapshot_summary "$SNAPSHOT_FILE") || fail "etcdutl cannot read the snapshot $key"
  read -r revision keys _ <<< "$summary"
  log "snapshot at revision $revision with $keys keys"
  RESTORING="$DATA_DIR.restoring"
  rm -rf "$RESTORING"
  log "phase restore: member $name at $peer_url into $DATA_DIR"
  # The revision jumps ahead and is marked compacted, so that clients watching from before the
  # snapshot (controllers, the API server's cache) start over instead of missing changes.
  etcdutl snapshot restore "$SNAPSHOT_FILE" --data-dir "$RESTORING" --name "$name" \\
    --initial-cluster "$name=$peer_url" --initial-advertise-peer-urls "$peer_url" \\
    --bump-revision "$BUMP_REVISION" --mark-compacted > /dev/null \\
    || fail 'etcdutl snapshot restore failed'
  aside="$DATA_DIR.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  if mountpoint -q "$DATA_DIR" 2> /dev/null; then
    # etcd's own volume stays mounted where it is: what it holds moves, not the directory.
    if [ -n "$(ls -A "$DATA_DIR")" ]; then
      log "moving the current contents of $DATA_DIR aside to $aside"
      mkdir -p "$aside"
      find "$DATA_DIR" -mindepth 1 -maxdepth 1 -exec mv -t "$aside" {} +
    fi
    find "$RESTORING" -mindepth 1 -maxdepth 1 -exec mv -t "$DATA_DIR" {} +
    rmdir "$RESTORING"
  else
    if [ -e "$DATA_DIR" ]; then
      log "moving the current $DATA_DIR aside to $aside"
      mv "$DATA_DIR" "$aside"
    fi
    mv "$RESTORING" "$DATA_DIR"
  fi
  RESTORING=''
  chmod 0700 "$DATA_DIR"
  log "restored $key into $DATA_DIR; run kubeadm init with --ignore-preflight-errors=DirAvailable--var-lib-etcd"
}

main() {
  local command=\${1:-}
  umask 077
  mkdir -p "$(dirname "$LOCK_FILE")"
  exec 9> "$LOCK_FILE"
  flock -w 600 9 || fail "another etcd backup or restore holds $LOCK_FILE"
  trap cleanup EXIT
  case $command in
    restore) shift; restore "$@" ;;
    *) usage ;;
  esac
}

main "$@"
`;

function settingsFor(props: EtcdSnapshotProgramProps, paths: EtcdNodePaths) {
  return [
    ['REGION', props.region],
    ['BUCKET', props.bucketName],
    ['KEY_PREFIX', snapshotKeyPrefix(props)],
    ['ETCD_ENDPOINT', props.endpoint ?? 'https://127.0.0.1:2379'],
    ['ETCD_CA', paths.etcdCa],
    ['ETCD_CERT', paths.etcdCert],
    ['ETCD_KEY', paths.etcdKey],
    ['WORK_DIR', paths.workDir],
    ['LOCK_FILE', paths.lockFile],
    ['ETCD_TOOLS_PROGRAM', props.toolsProgram ?? ETCD_TOOLS_PROGRAM_PATH],
    ['GENERATION_PARAMETER', props.generationParameter ?? ''],
    ['NO_GENERATION', NO_CLUSTER_GENERATION],
    ['GENERATION_PATTERN', CLUSTER_GENERATION_PATTERN.source],
  ] as const;
}

function validated(props: EtcdSnapshotProgramProps): EtcdNodePaths {
  const problems = new ProblemList();
  checkSnapshotLocation(problems, props);
  const paths = { ...DEFAULT_ETCD_NODE_PATHS, ...props.paths };
  checkPaths(problems, paths);
  if (props.endpoint !== undefined && !ENDPOINT.test(props.endpoint)) {
    problems.add('endpoint', props.endpoint, 'is not an https URL without a path', 'leave it out (https://127.0.0.1:2379)');
  }
  problems.throwIfAny();
  return paths;
}

/**
 * The snapshot program. Exit status 0 when the snapshot is uploaded or there is nothing to do on
 * this node (another member leads, another run holds the lock), 1 on failure.
 */
export function etcdSnapshotProgram(props: EtcdSnapshotProgramProps): string {
  const paths = validated(props);
  return renderNodeProgram(
    {
      name: 'kubeadm-etcd-snapshot',
      description: 'Saves an etcd snapshot on the leader, verifies it and uploads it to S3',
      settings: [...settingsFor(props, paths), ['CLUSTER_NAME', props.clusterName], ['METRIC_NAMESPACE', METRIC_NAMESPACE], ['SNAPSHOT_METRIC', SNAPSHOT_METRIC], ['SNAPSHOT_SIZE_METRIC', SNAPSHOT_SIZE_METRIC]],
      body: SNAPSHOT_BODY,
    },
    props.imdsUrl === undefined ? {} : { imdsUrl: props.imdsUrl },
  );
}

/**
 * The restore program: `restore latest|<name or key> [--replace] [--name N] [--peer-url U]`
 * downloads a snapshot of this cluster, verifies it and restores it into etcd's data directory as a
 * one-member cluster of this node, before `kubeadm init`.
 */
export function etcdRestoreProgram(props: EtcdSnapshotProgramProps): string {
  const paths = validated(props);
  return renderNodeProgram(
    {
      name: 'kubeadm-etcd-restore',
      description: 'Restores an etcd snapshot from S3 into the data directory before kubeadm init',
      // A billion revisions is more than any cluster makes between a snapshot and a restore.
      settings: [...settingsFor(props, paths), ['DATA_DIR', paths.dataDir], ['PEER_PORT', 2380], ['BUMP_REVISION', 1_000_000_000]],
      body: RESTORE_BODY,
    },
    props.imdsUrl === undefined ? {} : { imdsUrl: props.imdsUrl },
  );
}

/** The service that takes one snapshot, and the timer that runs it at the interval on each control-plane node. */
export function etcdSnapshotUnits(intervalMinutes: number): UnitFile[] {
  return [
    oneshotService({
      name: ETCD_SNAPSHOT_SERVICE,
      description: 'Save an etcd snapshot and upload it to S3 (on the etcd leader only)',
      execStart: ETCD_SNAPSHOT_PROGRAM_PATH,
      timeout: '20min',
    }),
    timer({
      name: ETCD_SNAPSHOT_TIMER,
      description: `Save an etcd snapshot every ${intervalMinutes} minutes`,
      onBoot: '10min',
      every: `${intervalMinutes}min`,
      randomDelay: '1min',
    }),
  ];
}
