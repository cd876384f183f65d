// Copies the files the compiled library opens at run time (they are not TypeScript, so the compiler
// leaves them behind) from lib/ into <outDir>/lib/. Used by the build, the benchmark and the tests.
const { copyFileSync, mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');

/** Paths under lib/ that the compiled code reads beside itself. */
const ASSETS = ['rehearsal/probe.cjs', 'bootstrap/node-files/aws-cli.py', 'addons/cleanup/cleanup.py', 'network/routed/pod_routes.py'];

function copyAssets(outDir) {
  for (const asset of ASSETS) {
    const target = join(outDir, 'lib', asset);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(__dirname, 'lib', asset), target);
  }
}

module.exports = { ASSETS, copyAssets };

if (require.main === module) {
  copyAssets(process.argv[2] ?? 'dist');
}
