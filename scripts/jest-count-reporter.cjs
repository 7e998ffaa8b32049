// Writes the run's totals where scripts/test.ts can print them as the very last line
// ("tests: N passed, N failed", the secret scan counted in by scripts/test-counts.ts), a closing line
// CI reads whatever the runner. With TEST_JOURNAL_DIR set it also journals the failure messages jest
// prints (errors of failed runs, received values) for scripts/secret-scan.ts; not the test titles,
// which are the tests' own words (see test/support/journal.ts).
const { appendFileSync, mkdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

class CountReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onTestResult(_test, testResult) {
    const dir = process.env.TEST_JOURNAL_DIR;
    if (!dir) return;
    const test = relative(this.rootDir, testResult.testFilePath);
    const entries = [];
    const add = (source, text) => {
      for (const line of (text ?? '').split(/\r?\n/)) {
        if (line) entries.push(JSON.stringify({ kind: 'line', source, test, text: line }));
      }
    };
    add('jest failure', testResult.failureMessage);
    if (entries.length === 0) return;
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, `reporter-${process.pid}.jsonl`), entries.join('\n') + '\n');
  }

  onRunComplete(_contexts, results) {
    const file = process.env.TEST_COUNTS_FILE;
    if (!file) return;
    const counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    writeFileSync(file, JSON.stringify(counts));
  }
}
module.exports = CountReporter;
