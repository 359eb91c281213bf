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

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@noble|@scure|micro-packed|canonicalize)/)'],
  testMatch: ['<rootDir>/{protocol,server,signer-cli,test}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/browser/'],
  testTimeout: 60000,
};
