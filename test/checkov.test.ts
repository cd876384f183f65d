import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { EXAMPLES } from '../examples/synth';
import { retainedBucketTemplate } from '../lib/operations/backup-bucket';
import { CFN_LINT_SKIPS, CHECKOV_SKIPS } from './support/checkov-skips';
import { synthesisedExample } from './support/example-synth';
import { synthStack } from './support/synth';
import { executable, toolCache as cacheFolder } from './support/tool-cache';

// checkov (`--framework terraform_json`) on every example's synthesised stack, and cfn-lint on the
// CloudFormation template of each example's backup bucket. Every failed check must be covered by
// a skip in test/support/checkov-skips.ts, which names the resources it covers and why; a skip no
// example needs any more fails too. Both tools run offline: checkov with --skip-download, no API
// key, no update check and, where the machine allows it, in a network namespace of its own.
//
// The tools are installed by .ci/tools (`eval "$(.ci/tools)"` exports CHECKOV_BIN and CFN_LINT_BIN);
// without them, found neither there nor in the tool cache, the tests are skipped, and fail in CI.

const root = join(__dirname, '..');
const versions = readFileSync(join(root, '.ci/tools.versions'), 'utf8');
const pinned = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(versions)?.[1] ?? 'unpinned';
const toolCache = cacheFolder();

/** The tool from its exported variable, else where .ci/tools puts it; undefined if neither. */
function toolOf(variable: string, tool: string, version: string): string | undefined {
  return [process.env[variable], join(toolCache, tool, version, 'venv/bin', tool)].find(executable);
}

const checkov = toolOf('CHECKOV_BIN', 'checkov', pinned('CHECKOV_VERSION'));
const cfnLint = toolOf('CFN_LINT_BIN', 'cfn-lint', pinned('CFN_LINT_VERSION'));
function toolsAvailable(): boolean {
  const missing = [checkov ? '' : 'checkov (CHECKOV_BIN)', cfnLint ? '' : 'cfn-lint (CFN_LINT_BIN)'].filter(Boolean);
  if (missing.length === 0) {
    return true;
  }
  const why = `${missing.join(' and ')}: not exported and not in ${toolCache}; run \`eval "$(.ci/tools)"\` (it installs them from PyPI, see README)`;
  if (process.env.CI) {
    throw new Error(`checkov or cfn-lint missing in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED checkov and cfn-lint tests: ${why}`);
  return false;
}
const describeIf = toolsAvailable() ? describe : describe.skip;

// Nothing from the platform, no update check, no configuration but ours: the environment holds
// no API key or platform address, and HOME and the working directory are a scratch folder, so no
// .checkov.yaml is read. A proxy on a closed local port makes any request that is still tried fail
// here rather than leave the machine.
function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(BC_|PRISMA_|CKV_|CHECKOV_)/.test(name)));
  return { ...env, HOME: home, CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true', BC_SKIP_MAPPING: 'TRUE', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', NO_PROXY: '', no_proxy: '' };
}

/** `unshare --net` when it works here (root, or user namespaces): then checkov has no network at all. */
const isolated = spawnSync('unshare', ['--net', 'true']).status === 0;

function run(command: string, args: readonly string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const [file, argv] = isolated ? ['unshare', ['--net', command, ...args]] : [command, [...args]];
  return new Promise((resolve) => {
    execFile(file, argv, { cwd, env: offlineEnv(cwd), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

interface Finding {
  readonly id: string;
  readonly name: string;
  readonly resource: string;
}
interface CheckovReport {
  readonly passed: number;
  readonly failed: readonly Finding[];
  readonly parsingErrors: number;
}

/** checkov's verdict on one folder that holds a cdk.tf.json. */
async function runCheckov(dir: string): Promise<CheckovReport> {
  const args = ['--directory', dir, '--framework', 'terraform_json', '--skip-download', '--download-external-modules', 'false', '--output', 'json', '--quiet', '--compact'];
  const { status, stdout, stderr } = await run(checkov!, args, scratch);
  // Exit 0: nothing failed; 1: checks failed. Anything else is checkov itself failing.
  let report: any;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`checkov gave no JSON report for ${dir} (exit ${status}):\n${stderr.slice(-4000)}`);
  }
  if (![0, 1].includes(status) || Array.isArray(report)) {
    throw new Error(`checkov failed on ${dir} (exit ${status}, ${Array.isArray(report) ? 'several frameworks ran' : 'no verdict'}):\n${stderr.slice(-4000)}`);
  }
  return {
    passed: report.summary.passed,
    parsingErrors: report.summary.parsing_errors,
    failed: (report.results?.failed_checks ?? []).map((f: any) => ({ id: f.check_id, name: f.check_name, resource: f.resource })),
  };
}

/** The skip that covers a finding, if one does. */
const skipOf = (finding: Finding) => CHECKOV_SKIPS.find((s) => s.id === finding.id && s.resources.test(finding.resource));
const unskipped = (report: CheckovReport) => report.failed.filter((f) => skipOf(f) === undefined).map((f) => `${f.id} ${f.resource}: ${f.name}`);

let scratch: string;
const reports = new Map<string, CheckovReport>();
let negative: CheckovReport;

/** Runs the tasks, at most two at a time: the machine has two cores. */
async function inPairs(tasks: ReadonlyArray<() => Promise<void>>): Promise<void> {
  const queue = [...tasks];
  await Promise.all([0, 1].map(async () => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      await task();
    }
  }));
}

describeIf('checkov on every example', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'checkov-'));
    const folder = (name: string, text: string) => {
      const dir = join(scratch, 'stacks', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cdk.tf.json'), text);
      return dir;
    };
    // A small stack with resources checkov must report: an unencrypted volume, and a function of
    // the kind whose checks are skipped, but only for the destroy cleanup's function.
    const bad = synthStack((stack) => {
      new EbsVolume(stack, 'unencrypted', { availabilityZone: 'eu-west-1a', size: 8, encrypted: false });
      new LambdaFunction(stack, 'other-function', { functionName: 'other', role: 'arn:aws:iam::123456789012:role/other', runtime: 'python3.12', handler: 'index.handler', filename: 'other.zip' });
    });
    const dirs = Object.keys(EXAMPLES).map((name) => [name, folder(name, synthesisedExample(name).text)] as const);
    const negativeDir = folder('negative-control', bad.text);
    await inPairs([
      ...dirs.map(([name, dir]) => async () => {
        reports.set(name, await runCheckov(dir));
      }),
      async () => {
        negative = await runCheckov(negativeDir);
      },
    ]);
    for (const [name, report] of reports) {
      const skipped = report.failed.length - unskipped(report).length;
      // eslint-disable-next-line no-console
      console.log(`checkov ${name}: ${report.passed} passed, ${report.failed.length - skipped} failed, ${skipped} skipped (test/support/checkov-skips.ts), ${report.parsingErrors} parsing errors${isolated ? '' : ' (no network namespace here: offline by options only)'}`);
    }
  }, 600_000);
  afterAll(() => {
    if (scratch) {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test.each(Object.keys(EXAMPLES))('%s: every failed check is a listed skip', (name) => {
    const report = reports.get(name)!;
    expect(report.parsingErrors).toBe(0);
    // checkov read the stack: a stack of this size passes hundreds of checks.
    expect(report.passed).toBeGreaterThan(100);
    expect(unskipped(report)).toEqual([]);
  });

  test('every skip is still needed by some example, and gives a reason', () => {
    const needed = new Set([...reports.values()].flatMap((r) => r.failed.map(skipOf)).filter((s) => s !== undefined));
    expect(CHECKOV_SKIPS.filter((s) => !needed.has(s)).map((s) => s.id)).toEqual([]);
    expect(new Set(CHECKOV_SKIPS.map((s) => s.id)).size).toBe(CHECKOV_SKIPS.length);
    for (const skip of CHECKOV_SKIPS) {
      expect(skip.reason.length).toBeGreaterThan(20);
    }
  });

  test('a new finding fails (negative control): an unencrypted volume, and a skipped check on another resource', () => {
    const findings = unskipped(negative);
    expect(findings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^CKV_AWS_3 (aws_ebs_volume|resource)\.unencrypted: /),
      // Skipped for the destroy cleanup's function only, so still a finding on this one.
      expect.stringMatching(/^CKV_AWS_116 (aws_lambda_function|resource)\.other-function: /),
    ]));
  });
});

interface LintMatch {
  readonly id: string;
  readonly level: string;
  readonly message: string;
  readonly file: string;
}

/** cfn-lint's findings on the templates, informational ones included. */
async function runCfnLint(files: readonly string[]): Promise<LintMatch[]> {
  const { status, stdout, stderr } = await run(cfnLint!, ['--format', 'json', '--include-checks', 'I', '--', ...files], scratchLint);
  // Exit 0: no findings; otherwise a bit mask of errors (2), warnings (4) and informational (8); 1 is cfn-lint failing.
  if (status < 0 || status === 1 || (status & 1) === 1) {
    throw new Error(`cfn-lint failed (exit ${status}):\n${stderr.slice(-4000)}`);
  }
  return (JSON.parse(stdout || '[]') as any[]).map((m) => ({ id: m.Rule.Id, level: m.Level, message: m.Message, file: m.Filename }));
}

let scratchLint: string;

describeIf('cfn-lint on the backup bucket templates', () => {
  const templates = Object.keys(EXAMPLES).flatMap((name) =>
    synthesisedExample(name).resources('aws_cloudformation_stack').map(([key, stack]) => [`${name}/${key}`, stack.template_body as string] as const),
  );
  let findings: LintMatch[];
  let negativeFindings: LintMatch[];

  beforeAll(async () => {
    scratchLint = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
    const files = templates.map(([name, body], i) => {
      const file = join(scratchLint, `${i}-${name.replace(/[^\w-]+/g, '_')}.json`);
      writeFileSync(file, body);
      return file;
    });
    findings = await runCfnLint(files);
    // The defect this test found first: a retained resource that a replacement would still delete.
    const template = retainedBucketTemplate({ retentionDays: 14, tags: {} }) as any;
    delete template.Resources.BucketPolicy.UpdateReplacePolicy;
    const bad = join(scratchLint, 'negative-control.json');
    writeFileSync(bad, JSON.stringify(template));
    negativeFindings = await runCfnLint([bad]);
    const skipped = findings.filter((f) => CFN_LINT_SKIPS.some((s) => s.id === f.id)).length;
    // eslint-disable-next-line no-console
    console.log(`cfn-lint: ${templates.length} templates, ${findings.length - skipped} findings, ${skipped} skipped (${[...new Set(findings.map((f) => f.id))].join(', ') || 'none'})`);
  }, 300_000);
  afterAll(() => {
    if (scratchLint) {
      rmSync(scratchLint, { recursive: true, force: true });
    }
  });

  test('every example that keeps its bucket has a template, with nothing for Terraform to interpolate', () => {
    expect(templates.length).toBeGreaterThanOrEqual(Object.keys(EXAMPLES).length);
    for (const [, body] of templates) {
      expect(body).not.toMatch(/[$%]\{/);
    }
  });

  test('cfn-lint finds nothing but listed skips, each of them still needed', () => {
    expect(findings.filter((f) => !CFN_LINT_SKIPS.some((s) => s.id === f.id)).map((f) => `${f.id} ${f.file}: ${f.message}`)).toEqual([]);
    expect(CFN_LINT_SKIPS.filter((s) => !findings.some((f) => f.id === s.id)).map((s) => s.id)).toEqual([]);
  });

  test('a retained bucket policy without UpdateReplacePolicy is reported (negative control)', () => {
    expect(negativeFindings.map((f) => f.id)).toContain('W3011');
  });
});
