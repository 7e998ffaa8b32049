// `npm test`: makes (once) a test certificate authority, then runs jest with every client process
// trusting it through NODE_EXTRA_CA_CERTS — the same way a user trusts a sandbox hub — and with ESM
// support switched on. Arguments go through to jest (e.g. `npm test -- test/unit`).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closingLine } from './test-counts.js';
import { ensureTestCa, testCaEnvironment } from './test-ca.js';
import { clearJournals, scanAfterRun } from './secret-scan.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ca = await ensureTestCa(root);

const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
// Per run, so that runs in the same checkout at the same time keep to their own counts and journal.
const countsFile = join(root, 'tmp', `test-counts-${process.pid}.json`);
rmSync(countsFile, { force: true });
const journalDir = clearJournals(join(root, 'tmp', 'journal'));
const result = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings', jest, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: root,
    env: {
      ...process.env,
      ...testCaEnvironment(ca),
      TEST_COUNTS_FILE: countsFile,
      TEST_JOURNAL_DIR: journalDir,
    },
  },
);
// The secret scan counts as one more test in the closing line.
const scan = scanAfterRun(journalDir, root, process.argv.length > 2);
console.log(`\n${scan.lines.join('\n')}`);
const closing = closingLine(countsFile, 'tests', scan.checks);
if (closing) console.log(`\n${closing}`);
rmSync(countsFile, { force: true });
process.exit(scan.passed ? (result.status ?? 1) : 1);
