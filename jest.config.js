// ESM jest: @actions/* 3.x are ESM-only, so tests run as ES modules under ts-jest.
// The journal (test/support/journal*.ts): the resolver swaps in journaling wrappers for loggers,
// stages and sandboxes, and the setup file journals console and stdout/stderr, so that
// scripts/secret-scan.ts can check every line the suite produced for the tests' secrets.
/** @type {import('jest').Config} */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  resolver: '<rootDir>/test/support/journal-resolver.cjs',
  setupFilesAfterEnv: ['<rootDir>/test/support/journal-setup.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  reporters: ['default', '<rootDir>/scripts/jest-count-reporter.cjs'],
  testTimeout: 60000,
};
