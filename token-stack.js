// cdktf records a full stack trace for every token it creates, as text, and shows it only when
// the token later fails to resolve. This keeps the trace as V8's call sites instead and writes
// the text the first time anything reads it: a synth that succeeds never pays for the formatting.
// Used by the `own-source-maps` preload and by the test setup, in place of cdktf's own function.
'use strict';

const capture = Error.captureStackTrace;

/**
 * cdktf's `captureStackTrace(below)`, keeping at most `frames` frames below `below`, each as Node
 * writes it after `at ` with source maps off. The frames are kept as call sites and become text
 * on first read. cdktf keeps every frame; a caller whose stacks are deep (a test runner's) may keep
 * only the nearest, those that say where the token was made.
 */
function tokenStackCapture(frames) {
  return function captureTokenStack(below) {
    const holder = {};
    const limit = Error.stackTraceLimit;
    const prepare = Error.prepareStackTrace;
    let callSites;
    try {
      Error.stackTraceLimit = frames;
      Error.prepareStackTrace = (_error, sites) => sites;
      capture.call(Error, holder, below || captureTokenStack);
      callSites = holder.stack;
    } finally {
      Error.stackTraceLimit = limit;
      Error.prepareStackTrace = prepare;
    }
    return Array.isArray(callSites) ? linesOnRead(callSites) : [];
  };
}

/** An array that holds each call site's text, filled the first time anything looks at it. */
function linesOnRead(callSites) {
  let filled = false;
  const fill = (lines) => {
    if (!filled) {
      filled = true;
      for (const site of callSites) {
        lines.push(String(site));
      }
    }
    return lines;
  };
  return new Proxy([], {
    get: (lines, key) => Reflect.get(fill(lines), key),
    set: (lines, key, value) => Reflect.set(fill(lines), key, value),
    has: (lines, key) => Reflect.has(fill(lines), key),
    ownKeys: (lines) => Reflect.ownKeys(fill(lines)),
    getOwnPropertyDescriptor: (lines, key) => Reflect.getOwnPropertyDescriptor(fill(lines), key),
    defineProperty: (lines, key, descriptor) => Reflect.defineProperty(fill(lines), key, descriptor),
    deleteProperty: (lines, key) => Reflect.deleteProperty(fill(lines), key),
  });
}

module.exports = { captureTokenStack: tokenStackCapture(Infinity), tokenStackCapture };
