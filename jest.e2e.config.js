// The end-to-end tier (`npm run test:e2e`, through scripts/e2e/run-tests.ts): a real Docker engine
// with buildx and QEMU and a real registry with TLS and basic auth. One test file at a time, in band:
// they share the engine, and a multi-platform build under QEMU takes minutes, not milliseconds.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 10 * 60 * 1000,
};
