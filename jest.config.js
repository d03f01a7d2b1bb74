/** One jest run for the whole workspace: TypeScript goes through swc (tsc 7 has no JS API for ts-jest). */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: [
    '<rootDir>/libs/*/test/**/*.test.ts',
    '<rootDir>/services/*/test/**/*.test.ts',
    '<rootDir>/tests/*/test/**/*.test.ts',
    '<rootDir>/examples/*/test/**/*.test.ts',
    '<rootDir>/scripts/**/*.test.ts',
  ],
  // .cache holds the container engine's data root and downloaded Node builds: nothing jest should crawl.
  modulePathIgnorePatterns: ['<rootDir>/.cache/'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/.cache/'],
  globalSetup: '<rootDir>/libs/testkit/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testkit/src/jest-global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
