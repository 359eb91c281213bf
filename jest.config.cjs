// @swc/jest with decorator metadata: ts-jest cannot load the ESM-only NestJS 12 and
// noble/scure packages in CommonJS mode (see STACK.md).
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];

// With DATABASE_URL set (CI's PostgreSQL pass), only the suites that exercise the coordinator's
// storage run: its own tests, the API, chain-watcher and REST fuzzing suites (every route, every
// table, both dialects' migrations), and the end-to-end runs whose coordinator work is heaviest
// on the database: a multisig withdrawal, FROST withdrawals with kill -9 restarts, the
// audit-log tampering run. (Fee bumps are covered on PostgreSQL by test/api/fee-bump-api and
// test/chain-watch/fee-bump-mined; their end-to-end run stays in the SQLite pass, to keep CI
// well under 30 minutes.) The other end-to-end suites (setup by BIP129, FROST key
// generation, approvals, governance, offline signing, a lost keystore) test what signers do;
// their coordinator steps are covered on PostgreSQL by the API suites. Everything else never
// opens a database and already ran in the SQLite pass.
const ALL_SUITES = ['<rootDir>/{protocol,server,signer-cli,test}/**/*.test.ts'];
const DATABASE_SUITES = [
  '<rootDir>/server/**/*.test.ts',
  '<rootDir>/test/{api,chain-watch}/**/*.test.ts',
  '<rootDir>/test/e2e/{multisig-withdrawal,frost-withdrawal,audit-tamper}.test.ts',
  '<rootDir>/test/fuzz/rest-bodies.fuzz.test.ts',
];

// Two workers at least: the end-to-end and API suites spend most of their time waiting on real
// processes, sockets and the database, so two of them overlap well even on a two-core machine
// (jest's default there is one). Measured: the e2e suites, 960 s one after another, took 493 s.
const WORKERS = Math.max(2, require('node:os').availableParallelism() - 1);

module.exports = {
  testEnvironment: 'node',
  maxWorkers: WORKERS,
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@noble|@scure|micro-packed|canonicalize)/)'],
  testMatch: process.env.DATABASE_URL ? DATABASE_SUITES : ALL_SUITES,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/browser/'],
  testTimeout: 60000,
};
