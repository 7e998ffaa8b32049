// The closing line of a test run, "<label>: N passed, N failed[, N skipped]", from the totals that
// scripts/jest-count-reporter.cjs writes; CI reads it whatever the runner.
import { existsSync, readFileSync } from 'node:fs';

export function closingLine(countsFile: string, label: string): string | undefined {
  if (!existsSync(countsFile)) return undefined;
  const counts = JSON.parse(readFileSync(countsFile, 'utf8')) as {
    passed: number;
    failed: number;
    skipped: number;
  };
  const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
  return `${label}: ${counts.passed} passed, ${counts.failed} failed${skipped}`;
}
