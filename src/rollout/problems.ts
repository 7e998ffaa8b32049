// Validation problems of rollout inputs. Each names where it is (a path such as
// `rings[1].gate.min-success`), what is wrong and how to fix it, and every problem is collected so one
// run reports all of them before anything is written to the hub.
import { didYouMean } from '../did-you-mean.js';

export { didYouMean };

export interface Problem {
  /** Where the problem is, e.g. `rings[1].gate.min-success`; `(root)` for the document itself. */
  path: string;
  message: string;
  fix?: string;
}

export function formatProblem(problem: Problem): string {
  return `${problem.path}: ${problem.message}${problem.fix ? ` (fix: ${problem.fix})` : ''}`;
}

/** Thrown with every problem found in one input, so the user fixes them all in one go. */
export class RolloutInputError extends Error {
  constructor(
    readonly input: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      problems.length === 1
        ? `Input '${input}' is not valid: ${formatProblem(problems[0]!)}`
        : `Input '${input}' has ${problems.length} problems:\n${problems.map((p) => `- ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'RolloutInputError';
  }
}

/** Joins a parent path and a key or index the way the messages print them. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** The fix text for an unknown key: a likely typo, else the list of allowed keys. */
export function unknownKeyFix(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return guess ? `did you mean '${guess}'?` : `allowed keys: ${known.join(', ')}`;
}
