// After jest, `npm test` scans the journal (test/support/journal.ts: every log line, console and
// stdout/stderr write, output, summary and stage error of the run) for every secret the tests used —
// the fixed ones in test/support/secrets.ts and those the sandboxes made — in each form it could be
// written in. Any hit fails the run; so does an empty journal, since a scan of nothing proves nothing.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MIN_SECRET_LENGTH, TEST_SECRETS, secretForms } from '../test/support/secrets.js';
import type { JournalEntry } from '../test/support/journal.js';

/**
 * The journal folder for this run, `<parent>/run-<pid>`, empty; the journals of earlier runs are
 * removed unless their run is still going (another `npm test` in the same checkout).
 */
export function clearJournals(parent: string, pid = process.pid): string {
  mkdirSync(parent, { recursive: true });
  for (const name of readdirSync(parent)) {
    const runPid = /^run-(\d+)$/.exec(name)?.[1];
    if (runPid && Number(runPid) !== pid && isRunning(Number(runPid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
  const dir = join(parent, `run-${pid}`);
  mkdirSync(dir);
  return dir;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Finding {
  /** Journal file and 1-based line. */
  file: string;
  line: number;
  source: string;
  test?: string;
  /** The line around the hit, the secret replaced by [SECRET]. */
  excerpt: string;
}

export interface ScanResult {
  /** Journaled lines scanned. */
  lines: number;
  /** Distinct secrets looked for. */
  secrets: number;
  /** Test files whose setup opened the journal. */
  testFiles: number;
  findings: Finding[];
  /** Why the scan proves nothing (an empty journal), if it does not. */
  problem?: string;
}

/**
 * `::add-mask::<secret>` is the runner's masking command: the runner swallows it, never shows it, and
 * @actions/core's setSecret must write the secret there. It is the one line a secret may be in.
 */
const MASK_COMMAND = '::add-mask::';

function parseEntries(text: string): JournalEntry[] {
  return text
    .split('\n')
    .map((line) => (line ? (JSON.parse(line) as JournalEntry) : undefined))
    .filter((entry) => entry !== undefined);
}

function redact(text: string, at: number, length: number): string {
  const from = Math.max(0, at - 60);
  const to = Math.min(text.length, at + length + 60);
  return `${from > 0 ? '…' : ''}${text.slice(from, at)}[SECRET]${text.slice(at + length, to)}${to < text.length ? '…' : ''}`;
}

/**
 * The first of `needles` (each at least MIN_SECRET_LENGTH long) in a text. Indexed by their first
 * characters, so a line costs one look-up per character however many secrets there are: a run mints
 * thousands of tokens, and a loop of indexOf calls over every line would take minutes.
 */
function secretFinder(
  needles: readonly string[],
): (text: string) => { at: number; length: number } | undefined {
  const byPrefix = new Map<string, string[]>();
  for (const needle of needles) {
    const prefix = needle.slice(0, MIN_SECRET_LENGTH);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), needle]);
  }
  return (text) => {
    for (let at = 0; at + MIN_SECRET_LENGTH <= text.length; at++) {
      const candidates = byPrefix.get(text.slice(at, at + MIN_SECRET_LENGTH));
      const needle = candidates?.find((candidate) => text.startsWith(candidate, at));
      if (needle) return { at, length: needle.length };
    }
    return undefined;
  };
}

/** Scans the journal files in `dir` for `extraSecrets` and the secrets recorded in the journal itself. */
export function scanJournal(
  dir: string,
  extraSecrets: readonly string[] = TEST_SECRETS,
  root = process.cwd(),
): ScanResult {
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.jsonl'))
        .sort()
    : [];
  const journals = files.map((name) => ({
    name,
    entries: parseEntries(readFileSync(join(dir, name), 'utf8')),
  }));

  const secrets = new Set(extraSecrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH));
  for (const { entries } of journals) {
    for (const entry of entries) {
      if (entry.kind === 'secret' && entry.secret.length >= MIN_SECRET_LENGTH) secrets.add(entry.secret);
    }
  }
  const findSecret = secretFinder([...secrets].flatMap((secret) => secretForms(secret)));

  let lines = 0;
  let testFiles = 0;
  const findings: Finding[] = [];
  for (const { name, entries } of journals) {
    entries.forEach((entry, index) => {
      if (entry.kind === 'file') testFiles++;
      if (entry.kind !== 'line') return;
      lines++;
      if (entry.text.startsWith(MASK_COMMAND)) return;
      const hit = findSecret(entry.text);
      if (!hit) return;
      findings.push({
        file: relative(root, join(dir, name)),
        line: index + 1,
        source: entry.source,
        ...(entry.test ? { test: entry.test } : {}),
        excerpt: redact(entry.text, hit.at, hit.length),
      });
    });
  }

  let problem: string | undefined;
  if (testFiles === 0) {
    problem =
      `the journal in ${relative(root, dir) || dir} has no test files: the journal hooks did not run ` +
      '(jest.config.js must name test/support/journal-setup.ts in setupFilesAfterEnv, and jest must run ' +
      'with TEST_JOURNAL_DIR set, as scripts/test.ts does)';
  } else if (lines === 0) {
    problem = `the journal holds no lines from ${testFiles} test files: nothing was scanned`;
  }
  return { lines, secrets: secrets.size, testFiles, findings, ...(problem ? { problem } : {}) };
}

/** The scan's report: a summary line first, then one line per finding or the problem. */
export function scanReport(result: ScanResult): { passed: boolean; lines: string[] } {
  const summary = `secret scan: ${result.lines} journal lines, ${result.secrets} secrets, ${result.findings.length} found`;
  const lines = [summary];
  for (const finding of result.findings) {
    const where = `${finding.file}:${finding.line}`;
    lines.push(
      `  ${where} (${finding.test ?? 'outside a test file'}, ${finding.source}): ${finding.excerpt}`,
    );
  }
  if (result.problem) lines.push(`  secret scan failed: ${result.problem}`);
  return { passed: result.findings.length === 0 && !result.problem, lines };
}

/**
 * The scan at the end of a test run, as the runners print and count it. A run of chosen test files
 * (`subset`) that journaled nothing has nothing to scan: said, and not counted as a check; the whole
 * suite must always journal.
 */
export function scanAfterRun(
  journalDir: string,
  root: string,
  subset: boolean,
): { lines: string[]; checks: boolean[]; passed: boolean } {
  const scanned = scanJournal(journalDir, undefined, root);
  if (subset && scanned.lines === 0 && scanned.findings.length === 0)
    return {
      lines: ['secret scan: these test files printed nothing to scan (not counted)'],
      checks: [],
      passed: true,
    };
  const report = scanReport(scanned);
  return { lines: report.lines, checks: [report.passed], passed: report.passed };
}
