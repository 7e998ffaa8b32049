// Jest setup (setupFilesAfterEnv), journaling for each test file:
// - console calls and process.stdout/stderr writes (@actions/core's commands, annotations and log
//   lines go there);
// - the runner files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, …) the environment names, after each test;
// - child processes started with spawn/spawnSync (an action run with INPUT_* and a fake GITHUB_*
//   context): what they print, and the runner files their environment names once they exit.
// Loggers, stage results and errors, and sandbox secrets are journaled by the modules that
// test/support/journal-resolver.cjs puts in place. See test/support/journal.ts.
import { afterAll, afterEach, expect } from '@jest/globals';
import type * as ChildProcesses from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { format } from 'node:util';
import {
  journalChildRun,
  journalRunnerFiles,
  journalTestFile,
  journalText,
  streamJournal,
} from './journal.js';

journalTestFile(expect.getState().testPath ?? 'unknown test file');

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
for (const method of CONSOLE_METHODS) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    journalText(`console.${method}`, format(...args));
    original(...args);
  };
}

type Write = typeof process.stdout.write;
const restores: Array<() => void> = [];
for (const [name, stream] of [
  ['stdout', process.stdout],
  ['stderr', process.stderr],
] as const) {
  const original = stream.write;
  const journal = streamJournal(name);
  stream.write = function (this: typeof stream, chunk: unknown, ...rest: unknown[]) {
    journal.write(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '');
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Write;
  // The streams belong to the worker, not to this test file: put them back when the file is done.
  restores.push(() => {
    stream.write = original;
    journal.flush();
  });
}

// Child processes. The module is taken through require, not import: jest gives each test file an ES
// module view of a core module made when it is first imported, so patching the shared CommonJS
// object here, before the test file's imports run, is what that view will hold.
const childProcesses = createRequire(import.meta.url)('node:child_process') as typeof ChildProcesses;
type Env = Readonly<Record<string, string | undefined>>;

/** The environment a spawn call gives its child: `options.env`, else this process's. */
function childEnv(args: unknown[]): Env {
  const options = args.find((arg) => arg && typeof arg === 'object' && !Array.isArray(arg)) as
    { env?: Env } | undefined;
  return options?.env ?? process.env;
}

/** Journals a stream's data as its consumer reads it, without changing how or when it is read. */
function tap(stream: Readable | null, source: string): void {
  if (!stream) return;
  const journal = streamJournal(source);
  const emit = stream.emit;
  stream.emit = function (this: Readable, event: string | symbol, ...args: unknown[]) {
    if (event === 'data')
      journal.write(Buffer.isBuffer(args[0]) ? args[0].toString('utf8') : String(args[0]));
    if (event === 'end' || event === 'close') journal.flush();
    return emit.call(this, event, ...args);
  } as typeof stream.emit;
}

const { spawn, spawnSync } = childProcesses;
childProcesses.spawn = function (...args: unknown[]) {
  const child = (spawn as (...a: unknown[]) => ChildProcesses.ChildProcess)(...args);
  tap(child.stdout, 'child stdout');
  tap(child.stderr, 'child stderr');
  const env = childEnv(args);
  child.once('close', () => journalRunnerFiles(env));
  return child;
} as typeof spawn;
childProcesses.spawnSync = function (...args: unknown[]) {
  const result = (spawnSync as (...a: unknown[]) => ChildProcesses.SpawnSyncReturns<Buffer | string>)(
    ...args,
  );
  journalChildRun(result, childEnv(args));
  return result;
} as typeof spawnSync;
restores.push(() => {
  childProcesses.spawn = spawn;
  childProcesses.spawnSync = spawnSync;
});

afterEach(() => journalRunnerFiles(process.env));
afterAll(() => {
  journalRunnerFiles(process.env);
  for (const restore of restores) restore();
});
