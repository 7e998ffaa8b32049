// `npm run test:e2e`: starts the end-to-end infrastructure (scripts/e2e/infra.sh start: binfmt,
// registries, dockerd, base images) unless it already runs, runs jest over test/e2e with the engine,
// buildx and the registry's CA in the environment, then stops what it started (E2E_KEEP=1 keeps it).
// Node trusts the registry's CA and the test CA (the sandbox hub and Azure ML of the pipeline test).
// The machine must have been set up once with `scripts/e2e/infra.sh install` (root, Debian 12).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_HOME, engineEnvironment, REPO, startInfra, stopInfra } from './infra-control.js';
import { closingLine } from '../test-counts.js';
import { clearJournals, scanAfterRun } from '../secret-scan.js';
import { ensureTestCa, testCaEnvironment, writeCaBundle } from '../test-ca.js';

let infra: ReturnType<typeof startInfra>;
try {
  infra = startInfra();
} catch (error) {
  console.error(
    `${(error as Error).message}\nSet the machine up once with: sudo bash scripts/e2e/infra.sh install`,
  );
  process.exit(1);
}
const testCa = await ensureTestCa(REPO);
const caBundle = writeCaBundle(join(E2E_HOME, 'node-ca-bundle.pem'), [
  infra.settings.caFile,
  testCa.certFile,
]);
const countsFile = join(REPO, 'tmp', 'e2e-test-counts.json');
rmSync(countsFile, { force: true });
const journalDir = clearJournals(join(REPO, 'tmp', 'journal'));
const started = Date.now();
const jest = join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
const result = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings',
    jest,
    '--config',
    'jest.e2e.config.js',
    '--runInBand',
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    cwd: REPO,
    env: {
      ...process.env,
      ...engineEnvironment(infra.settings, caBundle),
      ...testCaEnvironment(testCa, caBundle),
      TEST_COUNTS_FILE: countsFile,
      TEST_JOURNAL_DIR: journalDir,
    },
  },
);
stopInfra(infra.startedHere);
// The last line is the plain closing line CI reads: "<word>: N passed, N failed".
console.log(`\nend-to-end tier finished in ${Math.round((Date.now() - started) / 1000)} s`);
// The e2e tier's lines are scanned for secrets as the other tiers' are (one more check).
const scan = scanAfterRun(journalDir, REPO, process.argv.length > 2);
console.log(scan.lines.join('\n'));
const closing = closingLine(countsFile, 'e2e', scan.checks);
if (closing) console.log(closing);
process.exit(scan.passed ? (result.status ?? 1) : 1);
