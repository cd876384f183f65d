#!/usr/bin/env node
// The package ships its TypeScript sources; tsx's loader runs the command line from them.
require('tsx/cjs');
require('./cli.ts');
