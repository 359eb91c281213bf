// The browser tests (test/browser, `npm run test:browser`): a real coordinator and real signer
// processes driven through Debian's Chromium with playwright-core. Kept apart from `npm test`
// (jest.config.cjs ignores test/browser), since they need Chromium and the built web app.
const base = require('./jest.config.cjs');

module.exports = {
  testEnvironment: 'node',
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  maxWorkers: 1,
  testTimeout: 240_000,
};
