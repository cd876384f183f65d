// Runs before every test file. cdktf records a full stack trace, as text, for every token it
// creates, and shows it only when the token fails to resolve. Under jest every frame of those
// traces would be mapped through source maps, which was most of a synthesising test's time, and
// even plain formatting was still a few percent of the suite. So cdktf's capture is replaced here
// by the one the `own-source-maps` preload uses: the frames are kept as call sites and become
// text only when read. Every other trace (a failing test's, for one) keeps jest's mapping. Only
// the frames nearest the token's creation are kept, cdktf's and the library's line that made it:
// the rest of a full trace is the test and jest's runner, and collecting those took a synthesising
// test about a sixth of its time.

/** Enough for cdktf's frames and a few of the library's above them. */
export const TOKEN_TRACE_FRAMES = 10;

jest.mock(require.resolve('cdktf/lib/tokens/private/stack-trace'), () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tokenStackCapture } = require('../../token-stack.js') as { tokenStackCapture: (frames: number) => (below?: Function) => string[] };
  return { captureStackTrace: tokenStackCapture(TOKEN_TRACE_FRAMES) };
});
