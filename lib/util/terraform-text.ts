import { Fn } from 'cdktf';

// cdktf's string tokens, as they appear inside a rendered document.
const TOKEN = /(\$\{TfToken\[[^\]]+\]\})/;

/**
 * Text of any content with Terraform tokens inside it (user-data, say), as an expression that
 * Terraform evaluates to exactly that text with the tokens' values in place. The literal parts are
 * escaped for HCL as a whole (quotes, backslashes and template sequences), so the text needs no
 * care of its own: scripts and documents can use any character.
 */
export function terraformText(text: string): string {
  const parts = text.split(TOKEN).filter((part) => part.length > 0);
  const literal = (part: string) => Fn.rawString(part.replace(/\\/g, '\\\\').replace(/%\{/g, '%%{'));
  if (parts.length === 1 && !TOKEN.test(parts[0])) {
    return literal(parts[0]);
  }
  return Fn.join('', parts.map((part) => (TOKEN.test(part) ? part : literal(part))));
}
