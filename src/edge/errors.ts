// Every manifest and template problem is reported the same way: where (a JSON path into the
// manifest, or the input that was wrong), what was expected, and how to fix it. Checks collect all
// problems before throwing, so one run shows everything that needs changing.

export interface ManifestProblem {
  /** A JSON path such as `$.modulesContent.$edgeAgent['properties.desired'].modules.model.settings.image`. */
  path: string;
  /** What was expected, and what was found. */
  message: string;
  /** How to fix it. */
  fix: string;
}

export type PathSegment = string | number;

const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats path segments as a JSON path: dots for plain names, brackets for everything else. */
export function jsonPath(segments: readonly PathSegment[], root = '$'): string {
  let path = root;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (PLAIN_NAME.test(segment)) path += `.${segment}`;
    else path += `['${segment.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
  }
  return path;
}

export function problem(segments: readonly PathSegment[], message: string, fix: string): ManifestProblem {
  return { path: jsonPath(segments), message, fix };
}

export class ManifestError extends Error {
  readonly problems: readonly ManifestProblem[];

  constructor(problems: readonly ManifestProblem[], summary = 'The deployment manifest is not valid') {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `- ${p.path}: ${p.message}. Fix: ${p.fix}`);
    super([`${summary} (${count}):`, ...lines].join('\n'));
    this.name = 'ManifestError';
    this.problems = problems;
  }
}

/** Throws a ManifestError for one problem. */
export function fail(found: ManifestProblem, summary?: string): never {
  throw new ManifestError([found], summary);
}

/** Throws a ManifestError when there is anything to report. */
export function throwIfProblems(problems: readonly ManifestProblem[], summary?: string): void {
  if (problems.length > 0) throw new ManifestError(problems, summary);
}
