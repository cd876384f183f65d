const { availableParallelism } = require('node:os');
const { REAL_TIER, pattern } = require('./test/tiers.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fast tier (`npm test`). The real-software tier runs on its own (`npm run test:real`,
  // test/tiers.js), and so does the installed-package test (`npm run test:package`).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package-install/', ...REAL_TIER.map(pattern)],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  setupFiles: ['<rootDir>/test/support/token-stack-traces.ts'],
  // jest's default is one worker less than the cores: one worker on 2 cores. The suite spends much
  // of its time in validators' child processes, so at least two keep both cores busy.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testTimeout: 60000,
};
