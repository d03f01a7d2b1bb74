/**
 * The container suite (engine/*.test.ts): the whole system built into images and run by docker-compose on
 * the private engine. Run by engine/run.sh, which starts the engine first; not part of the main jest run.
 */
const { resolve } = require('node:path');

module.exports = {
  rootDir: resolve(__dirname, '../..'),
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['<rootDir>/tests/deploy-checks/engine/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/.cache/'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/.cache/'],
  testTimeout: 60000,
  maxWorkers: 1,
};
