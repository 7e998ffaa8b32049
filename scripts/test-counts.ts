// The closing line of a test run, "<label>: N passed, N failed[, N skipped]", from the totals that
// scripts/jest-count-reporter.cjs writes plus checks run after jest (the secret scan), each counted
// as one test; CI reads it whatever the runner.
import { existsSync, readFileSync } from 'node:fs';

export function closingLine(
  countsFile: string,
  label: string,
  checksPassed: readonly boolean[] = [],
): string | undefined {
  if (!existsSync(countsFile)) return undefined;
  const counts = JSON.parse(readFileSync(countsFile, 'utf8')) as {
    passed: number;
    failed: number;
    skipped: number;
  };
  const passed = counts.passed + checksPassed.filter((ok) => ok).length;
  const failed = counts.failed + checksPassed.filter((ok) => !ok).length;
  const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
  return `${label}: ${passed} passed, ${failed} failed${skipped}`;
}
