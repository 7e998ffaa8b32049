// Validation problems of rollout inputs. Each names where it is (a path such as
// `rings[1].gate.min-success`), what is wrong and how to fix it, and every problem is collected so one
// run reports all of them before anything is written to the hub.

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

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known word closest to a mistyped one, when it is close enough to be a likely typo. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  const given = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(given, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  // Short words tolerate fewer edits, so `tag` does not suggest `gate`.
  const tolerance = Math.max(1, Math.floor(best.candidate.length / 3));
  return best.distance <= tolerance ? best.candidate : undefined;
}

/** The fix text for an unknown key: a likely typo, else the list of allowed keys. */
export function unknownKeyFix(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return guess ? `did you mean '${guess}'?` : `allowed keys: ${known.join(', ')}`;
}
