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
});
