const base = require('./jest.config.js');
const { REAL_TIER } = require('./test/tiers.js');

/**
 * `npm run test:real`: the real-software tier (test/tiers.js): real tools, node programs in
 * sandboxes, network rehearsals. Slower than the fast tier; CI runs both.
 */
module.exports = {
  ...base,
  testMatch: REAL_TIER.map((file) => `<rootDir>/test/${file}`),
  testPathIgnorePatterns: ['/node_modules/'],
};
