const base = require('./jest.config.js');

/** `npm run test:package`: the packed package installed into an app of its own (slow: an install). */
module.exports = {
  ...base,
  testMatch: ['**/test/package-install/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
};
