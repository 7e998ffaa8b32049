// `npm test`: makes (once) a test certificate authority, then runs jest with every client process
// trusting it through NODE_EXTRA_CA_CERTS — the same way a user trusts a sandbox hub — and with ESM
// support switched on. Arguments go through to jest (e.g. `npm test -- test/unit`).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closingLine } from './test-counts.js';
import { ensureTestCa, testCaEnvironment } from './test-ca.js';
import { clearJournals, scanJournal, scanReport } from './secret-scan.js';

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
// The secret scan counts as one more test in the closing line. A run of chosen test files that
// printed nothing has nothing to scan: said, not counted (the whole suite must always journal).
const subset = process.argv.length > 2;
const scanned = scanJournal(journalDir, undefined, root);
const nothingToScan = subset && scanned.lines === 0 && scanned.findings.length === 0;
const scan = nothingToScan
  ? { passed: true, lines: ['secret scan: these test files printed nothing to scan (not counted)'] }
  : scanReport(scanned);
console.log(`\n${scan.lines.join('\n')}`);
const closing = closingLine(countsFile, 'tests', nothingToScan ? [] : [scan.passed]);
if (closing) console.log(`\n${closing}`);
rmSync(countsFile, { force: true });
process.exit(scan.passed ? (result.status ?? 1) : 1);
