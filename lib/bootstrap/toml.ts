/**
 * A minimal TOML writer for the configuration files nodes get (containerd's): nested tables of
 * strings, numbers and booleans. Strings are TOML literal strings (single quotes), which need no
 * escapes; a value that would need one is refused.
 */
export type TomlValue = string | number | boolean;
export interface TomlTable {
  readonly [key: string]: TomlValue | TomlTable;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function key(name: string): string {
  if (BARE_KEY.test(name)) {
    return name;
  }
  if (name.includes("'") || name.includes('\n')) {
    throw new Error(`TOML key ${JSON.stringify(name)} cannot be written as a literal key`);
  }
  return `'${name}'`;
}

function value(v: TomlValue): string {
  if (typeof v === 'string') {
    if (v.includes("'") || v.includes('\n')) {
      throw new Error(`TOML value ${JSON.stringify(v)} cannot be written as a literal string`);
    }
    return `'${v}'`;
  }
  if (typeof v === 'number' && !Number.isInteger(v)) {
    throw new Error(`TOML value ${v}: only whole numbers are written`);
  }
  return String(v);
}

/** Renders a table: its own values first, then each sub-table under its dotted path. */
export function toToml(table: TomlTable): string {
  const lines: string[] = [];
  const walk = (t: TomlTable, path: string[]) => {
    const scalars = Object.entries(t).filter(([, v]) => typeof v !== 'object');
    const tables = Object.entries(t).filter(([, v]) => typeof v === 'object') as Array<[string, TomlTable]>;
    if (path.length > 0 && scalars.length > 0) {
      lines.push('', `[${path.map(key).join('.')}]`);
    }
    for (const [k, v] of scalars) {
      lines.push(`${key(k)} = ${value(v as TomlValue)}`);
    }
    for (const [k, sub] of tables) {
      walk(sub, [...path, k]);
    }
  };
  walk(table, []);
  return `${lines.join('\n').replace(/^\n/, '')}\n`;
}
