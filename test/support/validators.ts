import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { knownClean, rememberClean } from './clean-scripts';

/**
 * Where `command` is found on PATH, as the shell's `command -v` finds an executable file, or
 * undefined. Looked up here rather than through a shell: the tests ask often.
 */
export function commandPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) {
      continue;
    }
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) {
        return path;
      }
    } catch {
      // Not here; try the next folder.
    }
  }
  return undefined;
}

/**
 * Whether an external validator is installed. In CI a missing validator is a failure; locally the
 * test is skipped with a message that says what to install.
 */
export function hasTool(command: string, debianPackage: string): boolean {
  if (commandPath(command) !== undefined) {
    return true;
  }
  const why = `${command} is not installed (Debian package ${debianPackage}); .ci/run installs it`;
  if (process.env.CI) {
    throw new Error(`validator missing in CI: ${why}`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED validation: ${why}`);
  return false;
}

function withTempFile<T>(name: string, content: string, use: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, content);
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `cloud-init schema --config-file`; returns its combined output and whether it said valid. */
export function cloudInitSchema(userData: string): { valid: boolean; output: string } {
  return withTempFile('user-data', userData, (path) => {
    const result = spawnSync('cloud-init', ['schema', '--config-file', path], { encoding: 'utf8' });
    return schemaResult(result.status ?? 1, `${result.stdout}${result.stderr}`.trim());
  });
}

// A node program starts with its settings, each `readonly NAME='value'`, and then code that is the
// same whatever the values. A value made only of letters, digits and `._:/@=+,%-` is one word to
// shellcheck, with nothing in it that any of its checks reads: no expansion, quote, glob, brace
// or tilde. Such values are replaced by one fixed word before checking, so that programs which
// differ only in them (every node of every example, say) are read once. Any other value is kept
// as it is and checked as written; a script with findings is reported as written.
const PLAIN_SETTING = /^readonly ([A-Z][A-Z0-9_]*)='[A-Za-z0-9._:/@=+,%-]+'$/gm;

/** The text shellcheck reads for `script`: its plain setting values replaced by one word. */
export function shellcheckForm(script: string): string {
  return script.replace(PLAIN_SETTING, (_, name: string) => `readonly ${name}='value'`);
}

function shellcheckText(script: string, args: readonly string[]): string {
  return withTempFile('script.sh', script, (path) => {
    try {
      execFileSync('shellcheck', [...args, path], { encoding: 'utf8' });
      return '';
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
    }
  });
}

/** Runs shellcheck on a script; returns its findings (empty when clean). */
export function shellcheck(script: string, shell = 'bash'): string {
  const args = ['--shell', shell, '--severity', 'style'];
  const form = shellcheckForm(script);
  if (knownClean(form, args)) {
    return '';
  }
  if (shellcheckText(form, args) === '') {
    rememberClean(form, args);
    return '';
  }
  return shellcheckText(script, args);
}

/**
 * Runs shellcheck once over many scripts (far faster than once per script); returns each distinct
 * script's findings, empty when clean, in the form `shellcheck` gives for one.
 */
export function shellcheckAll(scripts: readonly string[], shell = 'bash'): Map<string, string> {
  const args = ['--shell', shell, '--severity', 'style'];
  const findings = new Map([...new Set(scripts)].map((script) => [script, '']));
  const forms = [...new Set([...findings.keys()].map(shellcheckForm))].filter((form) => !knownClean(form, args));
  const formFindings = shellcheckFiles(forms, args);
  for (const [form, found] of formFindings) {
    if (found === '') {
      rememberClean(form, args);
    }
  }
  const unclean = [...findings.keys()].filter((script) => formFindings.get(shellcheckForm(script))?.length);
  for (const [script, found] of shellcheckFiles(unclean, args)) {
    findings.set(script, found);
  }
  return findings;
}

/** One shellcheck run over distinct scripts; each script's findings, empty when clean. */
function shellcheckFiles(distinct: readonly string[], args: readonly string[]): Map<string, string> {
  const findings = new Map(distinct.map((script) => [script, '']));
  if (distinct.length === 0) {
    return findings;
  }
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
  try {
    const files = distinct.map((script, i) => {
      const path = join(dir, `script-${i}.sh`);
      writeFileSync(path, script);
      return path;
    });
    const result = spawnSync('shellcheck', [...args, '--format', 'gcc', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(`shellcheck failed (exit ${result.status}): ${result.stderr}`);
    }
    for (const line of result.stdout.split('\n').filter((l) => l !== '')) {
      const index = files.findIndex((f) => line.startsWith(`${f}:`));
      if (index < 0) {
        throw new Error(`unexpected shellcheck output: ${line}`);
      }
      findings.set(distinct[index], `${findings.get(distinct[index])}${line}\n`);
    }
    if (result.status === 1 && [...findings.values()].every((f) => f === '')) {
      throw new Error(`shellcheck reported problems it did not attribute to a file: ${result.stdout}${result.stderr}`);
    }
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type SchemaResult = { valid: boolean; output: string };

/** What `cloud-init schema --config-file` decides, as `cloudInitSchema` reads it from its exit and output. */
function schemaResult(code: number, output: string): SchemaResult {
  return { valid: code === 0 && /^Valid cloud-config/m.test(output), output };
}

// Runs cloud-init's own `schema --config-file` handler (what the command line calls after parsing
// its arguments) once per file in one Python process. Each command-line run is a Python start and
// imports taking about 0.2 s of CPU, nearly all of the check; in one process they happen once.
const SCHEMA_DRIVER = `
import contextlib, io, json, sys
try:
    from cloudinit.config.schema import get_parser, handle_schema_args
except ImportError as e:
    print(json.dumps({"unavailable": str(e)}))
    sys.exit(0)
for path in sys.argv[1:]:
    output, code = io.StringIO(), 0
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        try:
            handle_schema_args("cloudconfig-schema", get_parser().parse_args(["--config-file", path]))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    print(json.dumps({"code": code, "output": output.getvalue().strip()}))
`;

/** The interpreter line of the installed `cloud-init` command, when it is a Python script. */
function cloudInitPython(): string[] | undefined {
  const path = commandPath('cloud-init');
  if (path === undefined) {
    return undefined;
  }
  const firstLine = readFileSync(path, 'utf8').split('\n', 1)[0];
  const interpreter = /^#!\s*(\S*python[\d.]*)((?:\s+-\w+)*)\s*$/.exec(firstLine);
  return interpreter ? [interpreter[1], ...interpreter[2].split(/\s+/).filter((a) => a !== '')] : undefined;
}

/** One result per file, in order, or undefined when cloud-init's handler cannot be run this way. */
async function cloudInitSchemaInOneProcess(paths: readonly string[]): Promise<SchemaResult[] | undefined> {
  const python = cloudInitPython();
  if (!python) {
    return undefined;
  }
  const stdout = await new Promise<string | undefined>((resolve) => {
    execFile(python[0], [...python.slice(1), '-c', SCHEMA_DRIVER, ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, out) => resolve(error ? undefined : out));
  });
  const lines = (stdout ?? '').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { code: number; output: string; unavailable?: string });
  if (lines.length !== paths.length || lines.some((l) => l.unavailable !== undefined)) {
    return undefined;
  }
  return lines.map((l) => schemaResult(l.code, l.output));
}

/** The command line once per file, a few processes at a time (each is a Python start-up, mostly waiting). */
async function cloudInitSchemaPerFile(paths: readonly string[]): Promise<SchemaResult[]> {
  const results: SchemaResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const index = next++;
      const output = await new Promise<{ code: number; text: string }>((resolve) => {
        execFile('cloud-init', ['schema', '--config-file', paths[index]], { encoding: 'utf8' }, (error, stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}`.trim() });
        });
      });
      results[index] = schemaResult(output.code, output.text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, Math.max(2, availableParallelism())) }, worker));
  return results;
}

/**
 * Runs cloud-init's schema check on many documents; returns each distinct document's result as
 * `cloudInitSchema` does. All in one Python process where cloud-init is a Python script, as Debian
 * installs it; otherwise its command line per document.
 */
export async function cloudInitSchemaAll(userData: readonly string[]): Promise<Map<string, SchemaResult>> {
  const distinct = [...new Set(userData)];
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-validate-'));
  try {
    const paths = distinct.map((document, i) => {
      const path = join(dir, `user-data-${i}`);
      writeFileSync(path, document);
      return path;
    });
    const results = (await cloudInitSchemaInOneProcess(paths)) ?? (await cloudInitSchemaPerFile(paths));
    return new Map(distinct.map((document, i) => [document, results[i]]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
