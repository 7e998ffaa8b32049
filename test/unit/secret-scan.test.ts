// The secret scan that `npm test` runs over the journal after jest (scripts/secret-scan.ts): it must
// find a planted secret in any of its forms, say where without repeating it, and refuse to pass on an
// empty journal. And the journal must really hold what a test file prints (test/support/journal*.ts).
import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearJournals, scanJournal, scanReport } from '../../scripts/secret-scan.js';
import { memoryLogger } from '../../src/logger.js';
import type { JournalEntry } from '../support/journal.js';

// Made here, never printed: it must not be in the real journal either.
const PLANTED = `planted-${Math.random().toString(36).slice(2)}-secret`;

function journalDir(files: Record<string, JournalEntry[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'secret-scan-'));
  for (const [name, entries] of Object.entries(files)) {
    writeFileSync(join(dir, name), entries.map((entry) => JSON.stringify(entry) + '\n').join(''));
  }
  return dir;
}

const line = (text: string, source = 'memoryLogger'): JournalEntry => ({
  kind: 'line',
  source,
  test: 'test/unit/example.test.ts',
  text,
});
const opened: JournalEntry = { kind: 'file', test: 'test/unit/example.test.ts' };

describe('scanJournal', () => {
  const odd = `${PLANTED} /&=??>>`; // characters that base64url and URL-encoding write differently
  test.each([
    ['as is', PLANTED, PLANTED],
    ['base64', PLANTED, Buffer.from(PLANTED).toString('base64')],
    ['base64url', odd, Buffer.from(odd).toString('base64url')],
    ['URL-encoded', odd, encodeURIComponent(odd)],
  ])(
    'finds a secret written %s, names the journal line, and does not repeat the secret',
    (_form, secret, written) => {
      const dir = journalDir({
        'worker-1.jsonl': [
          opened,
          line('starting'),
          line(`connected with key ${written} to the hub`, 'stdout'),
        ],
      });
      try {
        const result = scanJournal(dir, [secret], dir);
        expect(result.findings).toEqual([
          expect.objectContaining({
            file: 'worker-1.jsonl',
            line: 3,
            source: 'stdout',
            test: 'test/unit/example.test.ts',
          }),
        ]);
        const report = scanReport(result);
        expect(report.passed).toBe(false);
        expect(report.lines[0]).toBe('secret scan: 2 journal lines, 1 secrets, 1 found');
        expect(report.lines[1]).toContain('worker-1.jsonl:3');
        expect(report.lines[1]).toContain('[SECRET]');
        expect(report.lines.join('\n').includes(written)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('looks for the secrets recorded in the journal by the sandboxes, in every worker file', () => {
    const dir = journalDir({
      'worker-1.jsonl': [opened, { kind: 'secret', secret: PLANTED }, line('nothing here')],
      'worker-2.jsonl': [opened, line('still nothing'), line(`error: bad key ${PLANTED}`)],
      'reporter-3.jsonl': [line('Expected: 3', 'jest failure')],
    });
    try {
      const result = scanJournal(dir, [], dir);
      expect(result).toMatchObject({ lines: 4, secrets: 1, testFiles: 2 });
      expect(result.findings.map((f) => `${f.file}:${f.line}`)).toEqual(['worker-2.jsonl:3']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('passes a clean journal, and ignores the runner mask command, which must carry the secret', () => {
    const dir = journalDir({
      'worker-1.jsonl': [opened, line(`::add-mask::${PLANTED}`, 'stdout'), line('Registered model m:3')],
    });
    try {
      const report = scanReport(scanJournal(dir, [PLANTED], dir));
      expect(report).toEqual({ passed: true, lines: ['secret scan: 2 journal lines, 1 secrets, 0 found'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('leaves out secrets too short to tell from ordinary words', () => {
    const dir = journalDir({ 'worker-1.jsonl': [opened, line('password: pw-123')] });
    try {
      expect(scanJournal(dir, ['pw-123'], dir)).toMatchObject({ secrets: 0, findings: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['no journal at all', {}, /has no test files: the journal hooks did not run/],
    ['test files but not one line', { 'worker-1.jsonl': [opened] }, /no lines from 1 test files/],
  ])('fails loudly on %s', (_case, files: Record<string, JournalEntry[]>, problem) => {
    const dir = journalDir(files);
    try {
      const report = scanReport(scanJournal(dir, [PLANTED], dir));
      expect(report.passed).toBe(false);
      expect(report.lines[0]).toMatch(/^secret scan: 0 journal lines/);
      expect(report.lines[1]).toMatch(problem);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('each run starts an empty journal, leaving those of runs still going', () => {
  const parent = mkdtempSync(join(tmpdir(), 'journals-'));
  try {
    for (const name of ['run-999999999', `run-${process.ppid}`, 'worker-1.jsonl'])
      mkdirSync(join(parent, name));
    writeFileSync(join(parent, `run-${process.ppid}`, 'worker-2.jsonl'), '{}\n');
    const dir = clearJournals(parent, 4242);
    expect(dir).toBe(join(parent, 'run-4242'));
    expect(readdirSync(parent).sort()).toEqual([`run-${process.ppid}`, 'run-4242'].sort());
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(parent, `run-${process.ppid}`, 'worker-2.jsonl'))).toBe(true);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

// Only under `npm test`, which sets TEST_JOURNAL_DIR: the hooks are what makes the scan mean anything.
const journaling = process.env.TEST_JOURNAL_DIR ? describe : describe.skip;
journaling('the journal of this test file', () => {
  function journaledLines(): Array<{ source: string; text: string }> {
    const dir = process.env.TEST_JOURNAL_DIR!;
    const mine = readFileSync(join(dir, `worker-${process.pid}.jsonl`), 'utf8');
    expect(readdirSync(dir)).toContain(`worker-${process.pid}.jsonl`);
    return mine
      .split('\n')
      .filter(Boolean)
      .map((entry) => JSON.parse(entry) as JournalEntry)
      .filter((entry) => entry.kind === 'line' && entry.test === 'test/unit/secret-scan.test.ts')
      .map((entry) => ({
        source: (entry as { source: string }).source,
        text: (entry as { text: string }).text,
      }));
  }

  test('holds console, stdout, stderr and logger lines', () => {
    const marker = `journal-marker-${process.pid}`;
    console.log(`${marker} console`);
    process.stdout.write(`${marker} std`); // a line in two writes is one journal line
    process.stdout.write(`out\n`);
    process.stderr.write(`${marker} stderr\n`);
    memoryLogger().info(`${marker} memoryLogger`);
    expect(journaledLines().filter((entry) => entry.text.startsWith(marker))).toEqual([
      { source: 'console.log', text: `${marker} console` },
      { source: 'stdout', text: `${marker} stdout` },
      { source: 'stderr', text: `${marker} stderr` },
      { source: 'memoryLogger', text: `${marker} memoryLogger` },
    ]);
  });

  test('holds what child processes print and leave in their GITHUB_OUTPUT and GITHUB_STEP_SUMMARY', async () => {
    const marker = `child-marker-${process.pid}`;
    const runner = mkdtempSync(join(tmpdir(), 'journal-runner-'));
    try {
      const env = {
        ...process.env,
        GITHUB_OUTPUT: join(runner, 'output'),
        GITHUB_STEP_SUMMARY: join(runner, 'summary'),
      };
      const script =
        `require('fs').appendFileSync(process.env.GITHUB_OUTPUT, 'digest=${marker} output\\n');` +
        `require('fs').appendFileSync(process.env.GITHUB_STEP_SUMMARY, '| ${marker} summary |\\n');` +
        `console.log('${marker} ' + process.argv[1]); console.error('::error::${marker} failed');`;
      spawnSync(process.execPath, ['-e', script, 'sync'], { env, encoding: 'utf8' });
      const child = spawn(process.execPath, ['-e', script, 'async'], { env });
      let printed = '';
      child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await new Promise((resolve) => child.on('close', resolve));
      expect(printed).toBe(`${marker} async\n`);

      const lines = journaledLines().filter((entry) => entry.text.includes(marker));
      expect(lines).toEqual(
        expect.arrayContaining([
          { source: 'child stdout', text: `${marker} sync` },
          { source: 'child stderr', text: `::error::${marker} failed` },
          { source: 'child stdout', text: `${marker} async` },
          { source: 'GITHUB_OUTPUT', text: `digest=${marker} output` },
          { source: 'GITHUB_STEP_SUMMARY', text: `| ${marker} summary |` },
        ]),
      );
      // Each run's additions to the output file are journaled once, not again with the next run's.
      expect(lines.filter((entry) => entry.source === 'GITHUB_OUTPUT')).toHaveLength(2);
    } finally {
      rmSync(runner, { recursive: true, force: true });
    }
  });
});
