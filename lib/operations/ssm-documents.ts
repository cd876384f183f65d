import { renderNodeProgram } from '../bootstrap/node-program';

/** An SSM Command document (schema 2.2) that runs shell commands on Linux nodes. */
export interface CommandDocument {
  readonly schemaVersion: '2.2';
  readonly description: string;
  readonly parameters?: Readonly<Record<string, { readonly type: 'String'; readonly description: string; readonly allowedValues?: readonly string[]; readonly allowedPattern?: string; readonly default?: string }>>;
  readonly mainSteps: ReadonlyArray<{
    readonly action: 'aws:runShellScript';
    readonly name: string;
    readonly inputs: { readonly runCommand: readonly string[]; readonly timeoutSeconds?: number };
  }>;
}

/** A file an installation writes on the node. */
export interface InstalledFile {
  readonly path: string;
  /** The file's content, base64-encoded (it may be a Terraform token). */
  readonly contentBase64: string;
  /** Octal mode, for example `0755`. */
  readonly mode: string;
}

export interface InstallationProps {
  /** Name the installation logs under. */
  readonly name: string;
  readonly description: string;
  readonly files: readonly InstalledFile[];
  /** Commands run after the files are in place (argument lists, run as they are). */
  readonly commands: ReadonlyArray<readonly string[]>;
  /**
   * Bash run before the files are written, for preparations (installing a package).
   * @default - none
   */
  readonly prepare?: string;
  /**
   * Bash run last.
   * @default - none
   */
  readonly finish?: string;
}

const BASE64_OR_TOKEN = /^([A-Za-z0-9+/]+={0,2}|\$\{TfToken\[[^\]]+\]\})$/;
const SAFE_WORD = /^[\w@%+=:,./-]+$/;

/**
 * A bash program that installs files and then runs commands, the same way on a running node and on
 * one that boots later: each file is written to a temporary name beside its target and moved into
 * place, so a half-written program never runs.
 */
export function installationProgram(props: InstallationProps): string {
  const lines: string[] = [];
  if (props.prepare) {
    lines.push(props.prepare);
  }
  for (const file of props.files) {
    if (!BASE64_OR_TOKEN.test(file.contentBase64) || !/^0[0-7]{3}$/.test(file.mode) || !SAFE_WORD.test(file.path)) {
      throw new Error(`installation ${props.name}: ${file.path} needs base64 content, an octal mode and a plain path`);
    }
    lines.push(`install_file '${file.path}' '${file.mode}' '${file.contentBase64}'`);
  }
  for (const command of props.commands) {
    if (!command.every((word) => SAFE_WORD.test(word))) {
      throw new Error(`installation ${props.name}: command ${command.join(' ')} has words that need quoting`);
    }
    lines.push(command.join(' '));
  }
  if (props.finish) {
    lines.push(props.finish);
  }
  lines.push(`log 'installed ${props.files.length} files'`);
  const body = `
install_file() {
  local path=$1 mode=$2 tmp
  install -d -m 0755 "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  printf '%s' "$3" | base64 -d > "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  log "installed $path"
}
${lines.join('\n')}
`;
  return renderNodeProgram({ name: props.name, description: props.description, settings: [], body });
}

/**
 * The document that runs a program on the nodes. SSM runs `runCommand` with `sh`, so the program
 * (bash) travels base64-encoded and runs from a temporary file.
 */
export function programDocument(description: string, programBase64: string, timeoutSeconds = 1800): CommandDocument {
  return {
    schemaVersion: '2.2',
    description,
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'run',
        inputs: {
          timeoutSeconds,
          runCommand: [
            'set -eu',
            'program=$(mktemp)',
            `printf '%s' '${programBase64}' | base64 -d > "$program"`,
            'status=0',
            'bash "$program" || status=$?',
            'rm -f "$program"',
            'exit "$status"',
          ],
        },
      },
    ],
  };
}
