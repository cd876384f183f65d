import { ProblemList } from '../plan/problems';
import { PHASE_MARKER_DIR } from './bootstrap-program';
import { COMMON_SETTINGS } from './node-program';

/**
 * The join-token program's props, their defaults and their validation, apart from the program so
 * that each file holds one responsibility: this one what a user may set, join-token.ts what runs
 * on the node.
 */

export const DEFAULT_JOIN_TOKEN_TTL_HOURS = 24;
/** kubeadm's own default TTL; a day is long enough for any node to boot, and short enough to leak. */
export const MAX_JOIN_TOKEN_TTL_HOURS = 24;
/**
 * The timer looks at the newest token at least every 65 minutes (hourly plus a random delay of up to
 * 5). Renewing it two hours before it expires replaces it while it still has most of an hour left,
 * time enough for a node that read it just before to join.
 */
export const MIN_RENEW_BEFORE_HOURS = 2;
/** How often the timer runs the rotation, in hours. */
export const ROTATION_INTERVAL_HOURS = 1;

/** Paths on the node, overridable so that tests run the program in a scratch folder. */
export interface JoinTokenPaths {
  /** kubeadm's admin kubeconfig, present only on control-plane nodes. */
  readonly kubeconfig: string;
  /** A local lock, so two runs on the same node (timer, first boot, revoke) never overlap. */
  readonly lockFile: string;
  /** The bootstrap's phase markers: they tell whether kubeadm init or join has finished here. */
  readonly bootstrapMarkers: string;
}

export const DEFAULT_JOIN_TOKEN_PATHS: JoinTokenPaths = {
  kubeconfig: '/etc/kubernetes/admin.conf',
  lockFile: '/run/lock/kubeadm-join-token.lock',
  bootstrapMarkers: PHASE_MARKER_DIR,
};

/** Where a rotation reports that the parameter holds a current token (see `JOIN_TOKEN_METRIC`). */
export interface JoinTokenMetricProps {
  /** CloudWatch namespace. */
  readonly namespace: string;
  /** Value of the metric's `ClusterName` dimension. */
  readonly clusterName: string;
}

export interface JoinTokenProgramProps {
  /** Region of the parameter. May be a Terraform token. */
  readonly region: string;
  /** Name of the SecureString parameter that holds the current token. May be a Terraform token. */
  readonly parameterName: string;
  /** KMS key (id, ARN or alias) the parameter is encrypted with. May be a Terraform token. */
  readonly kmsKeyId: string;
  /**
   * Lifetime of each token, in whole hours.
   * @default 24
   */
  readonly ttlHours?: number;
  /**
   * A new token is made when the newest has less than this left, in hours. Until then the newest
   * token stays published; older tokens that are still valid stay on the cluster (the overlap).
   * @default half of `ttlHours`
   */
  readonly renewBeforeHours?: number;
  /**
   * Report each successful rotation as a CloudWatch metric, which an alarm can watch.
   * @default - no metric
   */
  readonly metric?: JoinTokenMetricProps;
  /** Node paths, for tests. */
  readonly paths?: Partial<JoinTokenPaths>;
  /** Instance metadata service, for tests. */
  readonly imdsUrl?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
// Parameter names: letters, digits and _.- with / for a hierarchy, which then needs a leading /.
const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/;
const PARAMETER_NAME_MAX = 1011;
const KMS_KEY = new RegExp(
  [
    '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    '^mrk-[0-9a-f]{32}$',
    '^alias/[A-Za-z0-9/_-]+$',
    '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(key/(mrk-)?[0-9a-f-]+|alias/[A-Za-z0-9/_-]+)$',
  ].join('|'),
);
const NODE_PATH = /^\/[A-Za-z0-9._/-]+$/;
// CloudWatch allows more in both; these are what the program can carry without quoting.
const METRIC_NAMESPACE_NAME = /^[A-Za-z0-9._/#:-]{1,255}$/;
const DIMENSION_VALUE = /^[A-Za-z0-9._-]{1,255}$/;
const URL = /^https?:\/\/[A-Za-z0-9.:[\]-]+$/;

function isToken(value: string): boolean {
  return value.includes('${');
}

/** The settings a program is rendered with, after defaults. */
export interface ResolvedProps {
  readonly ttlHours: number;
  readonly renewBeforeHours: number;
  readonly paths: JoinTokenPaths;
}

export function resolveJoinTokenProps(props: JoinTokenProgramProps): ResolvedProps {
  const ttlHours = props.ttlHours ?? DEFAULT_JOIN_TOKEN_TTL_HOURS;
  return {
    ttlHours,
    renewBeforeHours: props.renewBeforeHours ?? ttlHours / 2,
    paths: { ...DEFAULT_JOIN_TOKEN_PATHS, ...props.paths },
  };
}

/**
 * Checks the props; `prefix` names where they sit in the caller's props (for example `joinToken.`),
 * so that each problem names the property the user wrote.
 */
export function checkJoinTokenProgramProps(problems: ProblemList, props: JoinTokenProgramProps, prefix = ''): void {
  const { ttlHours, renewBeforeHours, paths } = resolveJoinTokenProps(props);
  const literal = (property: string, value: string, pattern: RegExp, what: string, fix: string) => {
    if (value.includes("'") || value.includes('\n')) {
      problems.add(prefix + property, value, 'contains a quote or a line break, which the node program cannot carry', fix);
    } else if (!isToken(value) && !pattern.test(value)) {
      problems.add(prefix + property, value, `is not ${what}`, fix);
    }
  };
  literal('region', props.region, REGION, 'an AWS region name', 'give the region of the parameter, for example eu-west-1');
  literal('parameterName', props.parameterName, PARAMETER_NAME, 'an SSM parameter name',
    'use letters, digits and _.- only, with a leading / when the name has / in it, for example /kubeadm/demo/join-token');
  if (!isToken(props.parameterName)) {
    if (props.parameterName.length > PARAMETER_NAME_MAX) {
      problems.add(prefix + 'parameterName', props.parameterName, `is longer than ${PARAMETER_NAME_MAX} characters`, 'use a shorter name');
    }
    if (/^\/?(aws|ssm)/i.test(props.parameterName)) {
      problems.add(prefix + 'parameterName', props.parameterName, 'begins with aws or ssm, which Parameter Store reserves', 'choose a name that starts otherwise, for example /kubeadm/...');
    }
  }
  literal('kmsKeyId', props.kmsKeyId, KMS_KEY, 'a KMS key id, key ARN, alias name or alias ARN',
    'give the key as 1234abcd-12ab-34cd-56ef-1234567890ab, alias/name or its ARN');
  if (!Number.isInteger(ttlHours) || ttlHours < 1 || ttlHours > MAX_JOIN_TOKEN_TTL_HOURS) {
    problems.add(prefix + 'ttlHours', ttlHours, `must be a whole number of hours from 1 to ${MAX_JOIN_TOKEN_TTL_HOURS}`, 'use 24 (the default) or fewer whole hours');
  } else {
    checkRenewBefore(problems, prefix, ttlHours, renewBeforeHours, props.renewBeforeHours === undefined);
  }
  for (const key of Object.keys(paths) as Array<keyof JoinTokenPaths>) {
    if (!NODE_PATH.test(paths[key])) {
      problems.add(`${prefix}paths.${key}`, paths[key], 'is not an absolute path of plain characters', 'use a path such as /etc/kubernetes/admin.conf');
    }
  }
  if (props.metric) {
    literal('metric.namespace', props.metric.namespace, METRIC_NAMESPACE_NAME, 'a CloudWatch namespace of letters, digits and ._/#:-', 'use a namespace such as KubeadmCluster');
    literal('metric.clusterName', props.metric.clusterName, DIMENSION_VALUE, 'a dimension value of letters, digits and ._-', 'use the cluster name, for example demo');
  }
  if (props.imdsUrl !== undefined && !URL.test(props.imdsUrl)) {
    problems.add(prefix + 'imdsUrl', props.imdsUrl, 'is not an http(s) URL without a path', `leave it out (${COMMON_SETTINGS.imdsUrl})`);
  }
}

function checkRenewBefore(problems: ProblemList, prefix: string, ttlHours: number, renewBeforeHours: number, defaulted: boolean): void {
  const highest = ttlHours - ROTATION_INTERVAL_HOURS;
  let message: string;
  if (!Number.isFinite(renewBeforeHours) || renewBeforeHours < MIN_RENEW_BEFORE_HOURS) {
    message = `is under ${MIN_RENEW_BEFORE_HOURS} h: the rotation runs only hourly, so a token renewed later may be about to expire, or expired, when a node reads it`;
  } else if (renewBeforeHours > highest) {
    message = `leaves a new token newest for less than ${ROTATION_INTERVAL_HOURS} h, so every hourly run would make another`;
  } else {
    return;
  }
  if (defaulted) {
    // The default is half the TTL, so the TTL is what the user wrote and what to change.
    problems.add(`${prefix}ttlHours`, ttlHours, `half of it (the default renewBeforeHours, ${renewBeforeHours} h) ${message}`,
      `use ttlHours of at least ${2 * MIN_RENEW_BEFORE_HOURS}, or set renewBeforeHours from ${MIN_RENEW_BEFORE_HOURS} to ttlHours - ${ROTATION_INTERVAL_HOURS}`);
  } else if (highest < MIN_RENEW_BEFORE_HOURS) {
    problems.add(`${prefix}renewBeforeHours`, renewBeforeHours, `${message}; with ttlHours ${ttlHours} no value works`,
      `use ttlHours of at least ${MIN_RENEW_BEFORE_HOURS + ROTATION_INTERVAL_HOURS}`);
  } else {
    problems.add(`${prefix}renewBeforeHours`, renewBeforeHours, message,
      `use a value from ${MIN_RENEW_BEFORE_HOURS} to ${highest} for ttlHours ${ttlHours}`);
  }
}
