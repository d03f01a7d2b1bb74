/** One jest run for the whole workspace: TypeScript goes through swc (tsc 7 has no JS API for ts-jest). */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['<rootDir>/libs/*/test/**/*.test.ts', '<rootDir>/services/*/test/**/*.test.ts', '<rootDir>/scripts/**/*.test.ts', '<rootDir>/examples/*/test/**/*.test.ts'],
  globalSetup: '<rootDir>/libs/testkit/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/libs/testkit/src/jest-global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
