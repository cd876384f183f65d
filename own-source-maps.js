// Preload for running a cdktf app from TypeScript with tsx:
//
//   node --require cdktf-kubeadm-cluster/own-source-maps --import tsx main.ts
//
// tsx turns on Node's source maps so that stack traces point into the TypeScript. With them on,
// Node parses the inline source map of every dependency module as it loads, and maps every frame
// of every stack trace it formats. cdktf records a full stack trace for every token it creates
// (hundreds in a cluster), which it shows only if the token later fails to resolve: mapping them
// costs a cluster's synth a quarter or more of its time and 90 MB. This keeps source maps for the
// app's own code, whose errors stay in TypeScript, and skips them for modules under node_modules
// (whose maps point into sources that are not installed) and for cdktf's token traces. Those
// traces are kept as V8's call sites and written out only when read: formatting them at once was
// still 30 ms of a cluster's synth, for text that a synth which succeeds never shows.
'use strict';
const Module = require('node:module');
const { captureTokenStack } = require('./token-stack.js');

const DEPENDENCY = /[\\/]node_modules[\\/]/;

/** Runs `work` with Node's source maps off, if they are on. */
function withoutSourceMaps(work) {
  if (!process.sourceMapsEnabled) {
    return work();
  }
  process.setSourceMapsEnabled(false);
  try {
    return work();
  } finally {
    process.setSourceMapsEnabled(true);
  }
}

// The module whose `captureStackTrace` records each token's creation stack as lines of text.
const TOKEN_TRACE_MODULE = /[\\/]node_modules[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/;

const compile = Module.prototype._compile;
Module.prototype._compile = function compileWithoutDependencyMaps(content, filename, ...rest) {
  if (!DEPENDENCY.test(filename)) {
    return compile.call(this, content, filename, ...rest);
  }
  const result = withoutSourceMaps(() => compile.call(this, content, filename, ...rest));
  if (TOKEN_TRACE_MODULE.test(filename) && typeof this.exports.captureStackTrace === 'function') {
    this.exports.captureStackTrace = captureTokenStack;
  }
  return result;
};

// cdktf's token traces are the captures that lift the frame limit to Number.MAX_SAFE_INTEGER. The
// trace is formatted at once, while source maps are off; every other capture is left alone.
const captureStackTrace = Error.captureStackTrace;
Error.captureStackTrace = function captureWithoutMapsForTokens(target, below) {
  const hide = below ?? captureWithoutMapsForTokens;
  if (Error.stackTraceLimit !== Number.MAX_SAFE_INTEGER) {
    return captureStackTrace.call(Error, target, hide);
  }
  return withoutSourceMaps(() => {
    captureStackTrace.call(Error, target, hide);
    void target.stack;
  });
};

