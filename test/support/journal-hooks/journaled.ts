// Wrapping helpers for the journaling modules in this folder (see ../journal-resolver.cjs).
import { journalText } from '../journal.js';

/** Journals what a user would read of a stage's result: its outputs and its job summary. */
function journalResult(source: string, result: unknown): void {
  if (!result || typeof result !== 'object') return;
  const { outputs, summary } = result as { outputs?: unknown; summary?: unknown };
  if (outputs && typeof outputs === 'object') {
    for (const [name, value] of Object.entries(outputs))
      journalText(`${source} output`, `${name}=${String(value)}`);
  }
  if (typeof summary === 'string') journalText(`${source} summary`, summary);
}

/** Journals an error as the step would show it: message, listed problems, causes, a failed stage's result. */
function journalError(source: string, error: unknown, depth = 0): void {
  if (depth > 5) return;
  if (!(error instanceof Error)) {
    journalText(`${source} error`, String(error));
    return;
  }
  journalText(`${source} error`, error.message);
  const { problems, result, cause } = error as Error & { problems?: unknown; result?: unknown };
  if (Array.isArray(problems)) {
    for (const problem of problems) journalText(`${source} error`, JSON.stringify(problem));
  }
  journalResult(source, result);
  if (cause !== undefined) journalError(source, cause, depth + 1);
}

/** `run` with its results and errors journaled under `source`. */
export function journaled<A extends unknown[], R>(
  source: string,
  run: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      const result = await run(...args);
      journalResult(source, result);
      return result;
    } catch (error) {
      journalError(source, error);
      throw error;
    }
  };
}

/** A line writer that journals each line under `source` before writing it. */
export function journaledWriter(source: string, write: (line: string) => void): (line: string) => void {
  return (line) => {
    journalText(source, line);
    write(line);
  };
}
