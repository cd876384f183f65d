import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const runner = ['--require', join(root, 'own-source-maps.js'), '--import', 'tsx'];

// The app command's preload: dependencies and cdktf's token traces go without source maps, the
// app's own TypeScript keeps them.
describe('own-source-maps preload', () => {
  const dir = mkdtempSync(join(root, 'test', '.source-maps-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("an error in the app's TypeScript points at its TypeScript line", () => {
    const file = join(dir, 'fails.ts');
    // The throw sits on line 7 of the TypeScript; type-only lines before it vanish from the JavaScript.
    writeFileSync(file, [
      'interface Shape {',
      '  readonly n: number;',
      '}',
      'type Alias = Shape;',
      '',
      'function fail(shape: Alias): never {',
      '  throw new Error(`bad shape ${shape.n}`);',
      '}',
      'fail({ n: 1 });',
      '',
    ].join('\n'));
    const result = spawnSync(process.execPath, [...runner, file], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`at fail (${file}:7:9)`);
  });

  test("cdktf's source maps are not read, and a token still resolves", () => {
    const file = join(dir, 'maps.ts');
    writeFileSync(file, [
      "import { findSourceMap } from 'node:module';",
      "import { Lazy, Token } from 'cdktf';",
      "const token = Lazy.stringValue({ produce: () => 'resolved' });",
      "const resolved = Token.asString(token) !== '' && Token.isUnresolved(token);",
      "console.log(JSON.stringify({ resolved, cdktfMap: findSourceMap(require.resolve('cdktf')) !== undefined, ownMap: findSourceMap(__filename) !== undefined }));",
      '',
    ].join('\n'));
    const withRunner = JSON.parse(execFileSync(process.execPath, [...runner, file], { cwd: root, encoding: 'utf8' }));
    expect(withRunner).toEqual({ resolved: true, cdktfMap: false, ownMap: true });
    // The control: tsx alone reads cdktf's map, so the check above can tell the difference.
    const plain = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' }));
    expect(plain.cdktfMap).toBe(true);
  });

  test("a token's creation stack, written when read, is the one cdktf writes, and a failed token shows it", () => {
    const file = join(dir, 'creation.ts');
    writeFileSync(file, [
      "import { App, Lazy, TerraformOutput, TerraformStack } from 'cdktf';",
      // cdktf's own capture, as it records every token's stack when source maps are off.
      'function asCdktfWrites(below: Function): string[] {',
      "  const object = { stack: '' };",
      '  const limit = Error.stackTraceLimit;',
      '  Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;',
      '  process.setSourceMapsEnabled(false);',
      '  Error.captureStackTrace(object, below);',
      '  void object.stack;',
      '  process.setSourceMapsEnabled(true);',
      '  Error.stackTraceLimit = limit;',
      "  return object.stack.split('\\n').slice(1).map((s) => s.replace(/^\\s*at\\s+/, ''));",
      '}',
      "const capture = require('cdktf/lib/tokens/private/stack-trace').captureStackTrace as (below: Function) => string[];",
      'function nested(depth: number): [string[], string[]] {',
      '  return depth > 0 ? nested(depth - 1) : [asCdktfWrites(nested), capture(nested)];',
      '}',
      'async function later(): Promise<[string[], string[]]> {',
      '  await null;',
      '  return [asCdktfWrites(later), capture(later)];',
      '}',
      'void later().then((afterAwait) => {',
      '  const stack = new TerraformStack(new App(), \'s\');',
      "  new TerraformOutput(stack, 'o', { value: Lazy.stringValue({ produce: () => { throw new Error('no value'); } }) });",
      '  let message = \'\';',
      '  try { stack.toTerraform(); } catch (error) { message = String(error); }',
      "  const kept = capture(nested);",
      "  const unread = require('node:util').types.isProxy(kept);",
      '  console.log(JSON.stringify({ nested: nested(3), afterAwait, isArray: Array.isArray(kept), unread, message }));',
      '});',
      '',
    ].join('\n'));
    const out = JSON.parse(execFileSync(process.execPath, [...runner, file], { cwd: root, encoding: 'utf8' })) as { nested: string[][]; afterAwait: string[][]; isArray: boolean; unread: boolean; message: string };
    expect(out.nested[1]).toEqual(out.nested[0]);
    expect(out.nested[0].filter((frame) => frame.startsWith('nested ('))).toHaveLength(3);
    expect(out.afterAwait[1]).toEqual(out.afterAwait[0]);
    expect(out.isArray).toBe(true);
    expect(out.unread).toBe(true);
    expect(out.message).toContain('no value');
    expect(out.message).toMatch(new RegExp(`Object creation stack:\\n  at new LazyBase [^\\n]*\\n(  at [^\\n]*\\n)*  at [^\\n]*${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});
