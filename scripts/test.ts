// `npm test`: makes (once) a test certificate authority, then runs jest with every client process
// trusting it through NODE_EXTRA_CA_CERTS — the same way a user trusts a sandbox hub — and with ESM
// support switched on. Arguments go through to jest (e.g. `npm test -- test/unit`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority } from '../src/sandbox/tls.js';
import { closingLine } from './test-counts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const caDir = join(root, 'tmp', 'test-ca');
const certFile = join(caDir, 'ca.pem');
const keyFile = join(caDir, 'ca-key.pem');
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

if (!existsSync(certFile) || Date.now() - statSync(certFile).mtimeMs > WEEK_MS) {
  mkdirSync(caDir, { recursive: true });
  const ca = await createCertificateAuthority('ml-to-iot-edge test CA');
  writeFileSync(keyFile, ca.key, { mode: 0o600 });
  writeFileSync(certFile, ca.cert);
}
readFileSync(certFile); // fail here, clearly, if it cannot be read

const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const countsFile = join(root, 'tmp', 'test-counts.json');
rmSync(countsFile, { force: true });
const result = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings', jest, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: root,
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: certFile,
      SANDBOX_CA_CERT: certFile,
      SANDBOX_CA_KEY: keyFile,
      TEST_COUNTS_FILE: countsFile,
    },
  },
);
const closing = closingLine(countsFile, 'tests');
if (closing) console.log(`\n${closing}`);
process.exit(result.status ?? 1);
