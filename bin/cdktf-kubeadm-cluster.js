#!/usr/bin/env node
// A checkout of the sources runs the TypeScript through tsx's loader; the published package,
// which ships only the compiled code, runs that.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, 'cli.ts'))) {
  require('tsx/cjs');
  require('./cli.ts');
} else {
  require(join(__dirname, '..', 'dist', 'bin', 'cli.js'));
}
