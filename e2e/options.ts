import { DEFAULT_KUBERNETES_VERSION, KubernetesVersion } from '../lib/bootstrap/kubernetes-version';
import { allowedRecordedMinors } from '../lib/operations/version-skew';
import { ClusterConfigError } from '../lib/plan/problems';

/** What one end-to-end run does, from its command line. */
export interface E2eOptions {
  /** The AWS region everything is created in. */
  readonly region: string;
  /** The folder under examples/ to deploy. */
  readonly example: string;
  /** The version the first deploy installs. */
  readonly kubernetesVersion: string;
  /** The version the upgrade phase moves every node to, if any. */
  readonly upgradeTo?: string;
  /** Redeploy with `cloudCheck: true`. */
  readonly cloudCheck: boolean;
  readonly restoreDrill: boolean;
  /** Leave the cluster running at the end. */
  readonly keep: boolean;
  /** Only destroy what an earlier, interrupted run left. */
  readonly destroyOnly: boolean;
  /** The JSON report; the table goes beside it with `.txt`. */
  readonly report: string;
}

export const USAGE = `npm run e2e -- --region <region> [options]

Deploys an example to your AWS account with cdktf, checks it, and destroys it again.

  --region <region>              AWS region to create everything in (required)
  --example <name>               folder under examples/ to deploy (default: default)
  --kubernetes-version <x.y.z>   version of the first deploy (default: ${DEFAULT_KUBERNETES_VERSION})
  --upgrade-to <x.y.z>           then upgrade to this version (one minor up, or a later patch)
  --skip-cloud-check             leave out the redeploy with cloudCheck: true
  --restore-drill                snapshot etcd, restore it onto a new control-plane node, check objects
  --keep                         do not destroy at the end (you pay until you destroy)
  --destroy-only                 destroy what an interrupted run of the same example left
  --report <file.json>           where the report goes (default: e2e-report.json, table beside it as .txt)
  --help                         this text`;

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n\n${USAGE}`);
    this.name = 'UsageError';
  }
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const EXAMPLE = /^[a-z0-9][a-z0-9-]*$/;
const VALUE_FLAGS = ['--region', '--example', '--kubernetes-version', '--upgrade-to', '--report'] as const;
const SWITCHES = ['--skip-cloud-check', '--restore-drill', '--keep', '--destroy-only', '--help'] as const;

/** Parses the arguments after `npm run e2e --`; returns undefined for --help. */
export function parseArguments(argv: readonly string[]): E2eOptions | undefined {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    if ((VALUE_FLAGS as readonly string[]).includes(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError(`${flag} needs a value`);
      }
      values.set(flag, value);
    } else if ((SWITCHES as readonly string[]).includes(flag) && inline === undefined) {
      switches.add(flag);
    } else {
      throw new UsageError(`unknown argument "${argv[i]}"`);
    }
  }
  if (switches.has('--help')) {
    return undefined;
  }
  const region = values.get('--region');
  if (region === undefined) {
    throw new UsageError('--region is required: the run creates everything there (for example --region eu-west-1)');
  }
  if (!REGION.test(region)) {
    throw new UsageError(`--region "${region}" is not an AWS region name (for example eu-west-1)`);
  }
  const example = values.get('--example') ?? 'default';
  if (!EXAMPLE.test(example)) {
    throw new UsageError(`--example "${example}" is not a folder name under examples/`);
  }
  const kubernetesVersion = values.get('--kubernetes-version') ?? DEFAULT_KUBERNETES_VERSION;
  const upgradeTo = values.get('--upgrade-to');
  checkVersions(kubernetesVersion, upgradeTo);
  const destroyOnly = switches.has('--destroy-only');
  if (destroyOnly && (switches.has('--keep') || switches.has('--restore-drill') || upgradeTo !== undefined)) {
    throw new UsageError('--destroy-only only destroys: leave out --keep, --restore-drill and --upgrade-to');
  }
  const report = values.get('--report') ?? 'e2e-report.json';
  if (!report.endsWith('.json')) {
    throw new UsageError(`--report "${report}" must end in .json (the table goes beside it as .txt)`);
  }
  return {
    region,
    example,
    kubernetesVersion,
    ...(upgradeTo !== undefined ? { upgradeTo } : {}),
    cloudCheck: !switches.has('--skip-cloud-check'),
    restoreDrill: switches.has('--restore-drill'),
    keep: switches.has('--keep'),
    destroyOnly,
    report,
  };
}

/** The versions as the cluster checks them, and an upgrade the cluster would accept. */
function checkVersions(from: string, to: string | undefined): void {
  const parse = (flag: string, version: string): KubernetesVersion => {
    try {
      return KubernetesVersion.of(version);
    } catch (e) {
      const problems = e instanceof ClusterConfigError ? e.problems.map((p) => `${p.message}; ${p.fix}`) : [(e as Error).message];
      throw new UsageError(`${flag} ${version}: ${problems.join('; ')}`);
    }
  };
  const initial = parse('--kubernetes-version', from);
  if (to === undefined) {
    return;
  }
  const target = parse('--upgrade-to', to);
  const allowed = allowedRecordedMinors(target);
  const later = initial.minor < target.minor || (initial.minor === target.minor && initial.patch < target.patch);
  if (!allowed.includes(`1.${initial.minor}`) || !later) {
    throw new UsageError(
      `--upgrade-to ${to} is not an upgrade the cluster accepts from ${from} (it moves one minor at a time, forward): ` +
        `give --kubernetes-version a release of ${allowed.join(' or ')} older than ${to}, for example 1.${target.minor - 1}.0`,
    );
  }
}
