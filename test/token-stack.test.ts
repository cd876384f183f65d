import { types } from 'node:util';
import { App, Lazy, TerraformOutput, TerraformStack } from 'cdktf';
import { captureStackTrace } from 'cdktf/lib/tokens/private/stack-trace';
import { TOKEN_TRACE_FRAMES } from './support/token-stack-traces';

// The test setup puts token-stack.js's capture in place of cdktf's: these check that it keeps what
// cdktf's would have written, and that a failing token still says where it was made.

/** cdktf's own capture, as it writes a token's stack with source maps off. */
function asCdktfWrites(below: Function): string[] {
  const object = { stack: '' };
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => `${String(error)}\n${sites.map((s) => `    at ${String(s)}`).join('\n')}`;
  try {
    Error.captureStackTrace(object, below);
    void object.stack;
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
  return object.stack.split('\n').slice(1).map((s) => s.replace(/^\s*at\s+/, ''));
}

function nested(depth: number): [string[], string[]] {
  return depth > 0 ? nested(depth - 1) : [asCdktfWrites(nested), captureStackTrace(nested)];
}

describe('token creation stacks in tests', () => {
  test('are kept as call sites until read, then read as cdktf writes their nearest frames', () => {
    const kept = captureStackTrace(nested);
    expect(types.isProxy(kept)).toBe(true);
    expect(Array.isArray(kept)).toBe(true);
    const [full, kept3] = nested(3);
    expect(kept3).toEqual(full.slice(0, TOKEN_TRACE_FRAMES));
    expect(kept3.filter((frame) => frame.startsWith('nested ('))).toHaveLength(3);
  });

  test("a token that fails to resolve names the test's line that made it", () => {
    const stack = new TerraformStack(new App({ skipValidation: true }), 's');
    new TerraformOutput(stack, 'o', { value: Lazy.stringValue({ produce: () => { throw new Error('no value'); } }) });
    expect(() => stack.toTerraform()).toThrow(/no value[\s\S]*Object creation stack:\n {2}at new LazyBase [^\n]*\n( {2}at [^\n]*\n)* {2}at [^\n]*token-stack\.test\.ts:\d+/);
  });
});
