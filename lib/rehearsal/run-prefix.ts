/**
 * Names of everything a rehearsal creates start with `kr` + the creating process id (5 base-36
 * digits) + a sequence digit + `-`, so that leftovers of a killed run can be found and told apart
 * from a run still going.
 */
export const PREFIX_PATTERN = /^kr([0-9a-z]{5})([0-9a-z])-/;

export function runPrefix(pid: number, sequence: number): string {
  return `kr${pid.toString(36).padStart(5, '0').slice(-5)}${(sequence % 36).toString(36)}-`;
}

/** The prefix a name carries and the process id in it, or undefined for names not the rehearsal's. */
export function parsePrefix(name: string): { readonly prefix: string; readonly pid: number } | undefined {
  const match = PREFIX_PATTERN.exec(name);
  return match ? { prefix: match[0], pid: parseInt(match[1], 36) } : undefined;
}

/** nftables table name for a prefix (identifiers take no `-`). */
export function tableName(prefix: string): string {
  return prefix.replace(/-$/, '').replace(/[^A-Za-z0-9_]/g, '_');
}
