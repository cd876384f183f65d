import { gzipSync } from 'node:zlib';

/**
 * Evaluates the Terraform expressions this library synthesises, the way Terraform would: string
 * templates with `${...}` interpolations, string literals with HCL escapes (`\"`, `\\`, `\n`,
 * `$${`, `%%{`), lists, `null`, parentheses, `==` and `!=`, conditionals (`c ? a : b`, on a bool
 * only), references and the functions listed below. A reference's value comes from
 * `resolve`; any other construct is an error, so a new kind of expression cannot slip past a test.
 */
export type HclValue = string | number | boolean | null | HclValue[];

const FUNCTIONS: Record<string, (args: HclValue[]) => HclValue> = {
  base64encode: ([s]) => Buffer.from(str(s), 'utf8').toString('base64'),
  base64gzip: ([s]) => gzipSync(Buffer.from(str(s), 'utf8')).toString('base64'),
  join: ([sep, list]) => arr(list).map(str).join(str(sep)),
  chomp: ([s]) => str(s).replace(/[\r\n]+$/, ''),
  format: ([f, ...rest]) => {
    let i = 0;
    return str(f).replace(/%[sd]/g, () => String(rest[i++]));
  },
  tostring: ([s]) => str(s),
  tonumber: ([s]) => Number(str(s)),
  split: ([sep, s]) => str(s).split(str(sep)),
  element: ([list, i]) => arr(list)[Number(i) % arr(list).length],
  slice: ([list, from, to]) => arr(list).slice(Number(from), Number(to)),
  contains: ([list, v]) => arr(list).some((x) => x === v),
  length: ([v]) => (Array.isArray(v) ? v.length : str(v).length),
  regex: ([pattern, s]) => {
    const m = new RegExp(str(pattern)).exec(str(s));
    if (!m) {
      throw new Error(`regex ${str(pattern)} does not match ${str(s)}`);
    }
    return m[0];
  },
  can: () => {
    throw new Error('can() is evaluated by evaluateCan');
  },
};

function str(v: HclValue): string {
  if (Array.isArray(v)) {
    throw new Error('expected a string, got a list');
  }
  if (v === null) {
    throw new Error('expected a string, got null');
  }
  return String(v);
}

/** Terraform's `==`: same type and same value, lists element by element. */
function equal(a: HclValue, b: HclValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  return a === b;
}

function arr(v: HclValue): HclValue[] {
  if (!Array.isArray(v)) {
    throw new Error(`expected a list, got ${String(v)}`);
  }
  return v;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly resolve: (reference: string) => HclValue,
  ) {}

  public template(): string {
    // The whole attribute: literal text with ${...} interpolations (JSON-level, no HCL escapes).
    let out = '';
    while (this.pos < this.text.length) {
      if (this.text.startsWith('${', this.pos)) {
        this.pos += 2;
        out += str(this.expression());
        this.skipSpace();
        this.expect('}');
      } else {
        out += this.text[this.pos++];
      }
    }
    return out;
  }

  /** A whole attribute that is one `${...}` keeps the value's type, as in Terraform; anything else is a template. */
  public value(): HclValue {
    if (this.text.startsWith('${')) {
      this.pos = 2;
      const value = this.expression();
      this.skipSpace();
      this.expect('}');
      if (this.pos === this.text.length) {
        return value;
      }
      this.pos = 0;
    }
    return this.template();
  }

  public expression(): HclValue {
    const condition = this.comparison();
    this.skipSpace();
    if (this.text[this.pos] !== '?') {
      return condition;
    }
    if (typeof condition !== 'boolean') {
      throw new Error(`a condition must be a bool, got ${String(condition)}`);
    }
    this.pos++;
    const whenTrue = this.expression();
    this.skipSpace();
    this.expect(':');
    const whenFalse = this.expression();
    return condition ? whenTrue : whenFalse;
  }

  private comparison(): HclValue {
    const left = this.primary();
    this.skipSpace();
    for (const op of ['==', '!=']) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        const same = equal(left, this.primary());
        return op === '==' ? same : !same;
      }
    }
    return left;
  }

  private primary(): HclValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '(') {
      this.pos++;
      const inner = this.expression();
      this.skipSpace();
      this.expect(')');
      return inner;
    }
    if (c === '"') {
      return this.stringLiteral();
    }
    if (c === '[') {
      this.pos++;
      const items: HclValue[] = [];
      this.skipSpace();
      while (this.text[this.pos] !== ']') {
        items.push(this.expression());
        this.skipSpace();
        if (this.text[this.pos] === ',') {
          this.pos++;
          this.skipSpace();
        }
      }
      this.pos++;
      return items;
    }
    if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(this.text.slice(this.pos))!;
      this.pos += m[0].length;
      return Number(m[0]);
    }
    const m = /^[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\])*/.exec(this.text.slice(this.pos));
    if (!m) {
      throw new Error(`unexpected ${this.text.slice(this.pos, this.pos + 40)}`);
    }
    this.pos += m[0].length;
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const args: HclValue[] = [];
      this.skipSpace();
      while (this.text[this.pos] !== ')') {
        args.push(this.expression());
        this.skipSpace();
        if (this.text[this.pos] === ',') {
          this.pos++;
          this.skipSpace();
        }
      }
      this.pos++;
      const fn = FUNCTIONS[m[0]];
      if (!fn) {
        throw new Error(`function ${m[0]} is not known to the evaluator`);
      }
      return fn(args);
    }
    if (m[0] === 'true' || m[0] === 'false') {
      return m[0] === 'true';
    }
    if (m[0] === 'null') {
      return null;
    }
    return this.resolve(m[0]);
  }

  private stringLiteral(): string {
    this.expect('"');
    let out = '';
    while (this.text[this.pos] !== '"') {
      const c = this.text[this.pos];
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (!(e in map)) {
          throw new Error(`unknown escape \\${e}`);
        }
        out += map[e];
        this.pos += 2;
      } else if (this.text.startsWith('$${', this.pos)) {
        out += '${';
        this.pos += 3;
      } else if (this.text.startsWith('%%{', this.pos)) {
        out += '%{';
        this.pos += 3;
      } else if (this.text.startsWith('${', this.pos)) {
        this.pos += 2;
        out += str(this.expression());
        this.skipSpace();
        this.expect('}');
      } else if (this.text.startsWith('%{', this.pos)) {
        throw new Error('template directive in a string literal');
      } else {
        out += c;
        this.pos++;
      }
    }
    this.pos++;
    return out;
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) {
      this.pos++;
    }
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) {
      throw new Error(`expected ${c} at ${this.text.slice(this.pos, this.pos + 40)}`);
    }
    this.pos++;
  }
}

/** Evaluates a synthesised attribute (a string that may hold `${...}`). */
export function evaluateAttribute(text: string, resolve: (reference: string) => HclValue): string {
  return new Parser(text, resolve).template();
}

/**
 * Evaluates a synthesised attribute as Terraform gives it to the provider: one `${...}` alone keeps
 * its type (a number, a bool, a list, null); anything else is a string template.
 */
export function evaluateAttributeValue(text: string, resolve: (reference: string) => HclValue): HclValue {
  return new Parser(text, resolve).value();
}

/** Evaluates one expression (no surrounding `${ }`). */
export function evaluateExpression(text: string, resolve: (reference: string) => HclValue): HclValue {
  return new Parser(text, resolve).expression();
}

/** Every reference (`type.name.attribute`, `data.type.name.attribute`) in an attribute, without evaluating it. */
export function referencesIn(text: string): string[] {
  const found = new Set<string>();
  evaluateAttribute(text, (reference) => {
    found.add(reference);
    return 'x';
  });
  return [...found].sort();
}
