// The test journal: every line the suite's code writes (loggers, console, stdout/stderr, outputs,
// summaries, stage errors) goes to tmp/journal/<worker>.jsonl, and the secrets the tests use go there
// too, so that scripts/secret-scan.ts can prove after jest that no secret ever reached any of them.
// Entries are JSON lines: {"kind":"line","source":…,"test":…,"text":…} or {"kind":"secret","secret":…}.
// Nothing is journaled unless TEST_JOURNAL_DIR is set (scripts/test.ts sets it).
import { existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './paths.js';

export type JournalEntry =
  | { kind: 'line'; source: string; test?: string; text: string }
  | { kind: 'secret'; secret: string }
  | { kind: 'file'; test: string };

let fd: number | undefined;
let currentTest: string | undefined;
const recordedSecrets = new Set<string>();
/** Bytes of each runner file already journaled, so a file read after every test is journaled once. */
const fileOffsets = new Map<string, number>();

function journalFd(): number | undefined {
  const dir = process.env.TEST_JOURNAL_DIR;
  if (!dir) return undefined;
  if (fd === undefined) {
    mkdirSync(dir, { recursive: true });
    // One file per worker process: appends from one process never interleave with another's.
    fd = openSync(join(dir, `worker-${process.pid}.jsonl`), 'a');
  }
  return fd;
}

function append(entry: JournalEntry): void {
  const target = journalFd();
  if (target !== undefined) writeSync(target, JSON.stringify(entry) + '\n');
}

/** Names the test file whose lines follow (the setup file calls it before each file's tests). */
export function journalTestFile(testPath: string): void {
  currentTest = relative(REPO_ROOT, testPath);
  append({ kind: 'file', test: currentTest });
}

/** Journals text someone could read (a log line, an output, a summary, an error), line by line. */
export function journalText(source: string, text: string): void {
  if (!text) return;
  for (const line of text.split(/\r?\n/)) {
    if (line) append({ kind: 'line', source, ...(currentTest ? { test: currentTest } : {}), text: line });
  }
}

/**
 * A journal for a stream of chunks (stdout, a child's output): a chunk may end mid-line, and a secret
 * split over two journal lines would be missed, so lines are journaled only once complete.
 */
export function streamJournal(source: string): { write(chunk: string): void; flush(): void } {
  let pending = '';
  return {
    write(chunk) {
      const text = pending + chunk;
      const end = text.lastIndexOf('\n');
      pending = end < 0 ? text : text.slice(end + 1);
      if (end >= 0) journalText(source, text.slice(0, end));
    },
    flush() {
      journalText(source, pending);
      pending = '';
    },
  };
}

/** Adds a secret (a generated key, password or client secret) to those the scan looks for. */
export function recordTestSecret(secret: string | undefined): void {
  if (!secret || recordedSecrets.has(secret)) return;
  recordedSecrets.add(secret);
  append({ kind: 'secret', secret });
}

/** Journals what was added to a file since it was last journaled (an output or summary file). */
export function journalFile(path: string | undefined, source: string): void {
  if (!path || !existsSync(path)) return;
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch {
    return; // a folder or an unreadable path: nothing a runner wrote
  }
  const from = fileOffsets.get(path) ?? 0;
  fileOffsets.set(path, content.length);
  journalText(source, content.subarray(content.length < from ? 0 : from).toString('utf8'));
}

/** The files an Actions runner would show or keep: outputs, the job summary, state and env. */
export const RUNNER_FILES = ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV'] as const;

/** Journals the runner files that `env` names (call it after running an action in a child process). */
export function journalRunnerFiles(env: Readonly<Record<string, string | undefined>>): void {
  for (const name of RUNNER_FILES) journalFile(env[name], name);
}

/**
 * Journals a child process run: its stdout and stderr and the runner files its environment named.
 * Tests that spawn an action or the CLI call it with the spawn result and the child's environment.
 */
export function journalChildRun(
  result: { stdout?: string | Buffer | null; stderr?: string | Buffer | null },
  env: Readonly<Record<string, string | undefined>> = {},
): void {
  journalText('child stdout', result.stdout?.toString() ?? '');
  journalText('child stderr', result.stderr?.toString() ?? '');
  journalRunnerFiles(env);
}
