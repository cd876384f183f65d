// Runs before every test file. cdktf records a full stack trace for every token it creates, and
// jest maps every frame of every trace through source maps, reading each dependency's inline map:
// that was most of the time a synthesising test took. The traces are shown only when a token fails
// to resolve, so they are formatted here without source maps; every other trace (a failing
// test's, for one) keeps jest's mapping. They also keep only the frames nearest the token's
// creation, cdktf's own and the library's line that made it: the rest of a full trace is the test
// and jest's runner, and collecting those took a synthesising test about a sixth of its time.

/** Enough for cdktf's frames and a few of the library's above them. */
const TOKEN_TRACE_FRAMES = 10;

/** cdktf's token captures are the ones that lift the frame limit to Number.MAX_SAFE_INTEGER. */
const capture = Error.captureStackTrace;

function plainStack(error: Error, frames: NodeJS.CallSite[]): string {
  return `${String(error)}\n${frames.map((frame) => `    at ${String(frame)}`).join('\n')}`;
}

Error.captureStackTrace = function captureTokenStackWithoutMaps(target: object, below?: Function): void {
  const hide = below ?? captureTokenStackWithoutMaps;
  if (Error.stackTraceLimit !== Number.MAX_SAFE_INTEGER) {
    capture.call(Error, target, hide);
    return;
  }
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = plainStack;
  Error.stackTraceLimit = TOKEN_TRACE_FRAMES;
  try {
    capture.call(Error, target, hide);
    void (target as { stack?: string }).stack;
  } finally {
    Error.prepareStackTrace = prepare;
    // cdktf sets its own limit back after the capture.
    Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
  }
};
