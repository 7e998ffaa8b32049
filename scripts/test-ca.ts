// The test certificate authority that sandbox hubs and workspaces in tests are signed by: made once
// (and again after a week) under tmp/test-ca, then trusted by every test process through
// NODE_EXTRA_CA_CERTS, with its files in SANDBOX_CA_CERT / SANDBOX_CA_KEY (test/support/sandbox.ts).
// `npm test` and the e2e runner both start from here.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { persistentCa } from '../src/sandbox/trust.js';

export interface TestCa {
  certFile: string;
  keyFile: string;
}

/** The test CA's files under `<root>/tmp/test-ca`, made when missing or older than a week. */
export async function ensureTestCa(root: string): Promise<TestCa> {
  const ca = await persistentCa(join(root, 'tmp', 'test-ca'), 'ml-to-iot-edge test CA');
  return { certFile: ca.file, keyFile: ca.keyFile };
}

/** The variables that make a test process trust the CA and hand its files to the sandboxes. */
export function testCaEnvironment(ca: TestCa, trustedFile = ca.certFile): Record<string, string> {
  return { NODE_EXTRA_CA_CERTS: trustedFile, SANDBOX_CA_CERT: ca.certFile, SANDBOX_CA_KEY: ca.keyFile };
}

/**
 * One PEM file with several CAs, for NODE_EXTRA_CA_CERTS (which takes a single file): e.g. the e2e
 * registry's CA and the test CA together.
 */
export function writeCaBundle(file: string, caFiles: readonly string[]): string {
  writeFileSync(file, caFiles.map((path) => readFileSync(path, 'utf8').trim() + '\n').join(''));
  return file;
}
