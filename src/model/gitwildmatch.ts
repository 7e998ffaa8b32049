// Git wildmatch patterns, as the Azure ML SDK applies `.amlignore` / `.gitignore` lines when it hashes
// and uploads a model folder (it uses pathspec's "gitwildmatch" rules). Only exact agreement matters:
// a file the SDK skips but we hash (or the reverse) gives a different content hash, so an unchanged
// model would be uploaded again under a new path.
//
// The rules, applied to a path relative to the folder with the ignore file, with `/` separators:
// - blank lines, `#` comments and a lone `/` do nothing; a leading `!` re-includes;
// - a pattern without a slash (or with only a trailing one) matches at any depth (`**/` in front);
// - a leading `/` anchors to the root; a trailing `/` matches only what is below (`/**`);
// - a pattern that does not end in `/` also matches everything below what it names;
// - `*` and `?` never cross `/`; `**` spans segments; `[...]` is a character class (`[!...]` negated);
// - the last matching pattern decides.

export interface WildmatchPattern {
  /** The line as written. */
  source: string;
  /** True for `!` patterns: a match re-includes the path. */
  negated: boolean;
  regex: RegExp;
}

export class WildmatchPatternError extends Error {
  constructor(pattern: string, why: string) {
    super(`'${pattern}' is not a valid ignore pattern: ${why}`);
    this.name = 'WildmatchPatternError';
  }
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** A `[...]` class starting at `open` (the index after `[`): its regex and the index after `]`. */
function characterClass(segment: string, open: number): { regex: string; next: number } | undefined {
  let end = open;
  if (segment[end] === '!') end++;
  if (segment[end] === ']') end++; // a `]` right after `[` or `[!` is a member, not the end
  while (end < segment.length && segment[end] !== ']') end++;
  if (end >= segment.length) return undefined;
  let start = open;
  let regex = '[';
  if (segment[start] === '!') {
    regex += '^';
    start++;
  } else if (segment[start] === '^') {
    regex += '\\^';
    start++;
  }
  // Backslashes are literal members; a leading `]` must be escaped for JavaScript (Python's `[]a]`
  // is a class holding `]` and `a`, JavaScript's `[]` is an empty class).
  let members = segment.slice(start, end).replace(/\\/g, '\\\\');
  if (members.startsWith(']')) members = `\\${members}`;
  regex += `${members}]`;
  return { regex, next: end + 1 };
}

/** The regex of one path segment's glob: `*` and `?` stay within the segment. */
function segmentRegex(segment: string, pattern: string): string {
  let regex = '';
  for (let i = 0; i < segment.length;) {
    const char = segment[i]!;
    i++;
    if (char === '\\') {
      if (i >= segment.length) throw new WildmatchPatternError(pattern, 'it ends with a lone backslash');
      regex += escapeRegex(segment[i]!);
      i++;
    } else if (char === '*') {
      regex += '[^/]*';
    } else if (char === '?') {
      regex += '[^/]';
    } else if (char === '[') {
      const cls = characterClass(segment, i);
      if (cls) {
        regex += cls.regex;
        i = cls.next;
      } else {
        regex += '\\[';
      }
    } else {
      regex += escapeRegex(char);
    }
  }
  return regex;
}

// Repeated `**` segments (a/**/**/b) mean the same as one (a/**/b).
function collapsedSegments(body: string): string[] {
  const segments = body.split('/');
  for (let i = segments.length - 1; i > 0; i--) {
    if (segments[i] === '**' && segments[i - 1] === '**') segments.splice(i, 1);
  }
  return segments;
}

/** Segments normalised as described at the top: anchoring, implicit `**`, trailing `/`. */
function normalisedSegments(segments: string[], pattern: string): string[] {
  if (segments[0] === '') segments.shift();
  else if (segments.length === 1 || (segments.length === 2 && segments[1] === '')) {
    if (segments[0] !== '**') segments.unshift('**');
  }
  if (segments.length === 0) throw new WildmatchPatternError(pattern, 'nothing is left to match');
  if (segments.length > 1 && segments[segments.length - 1] === '') segments[segments.length - 1] = '**';
  return segments;
}

function buildRegex(segments: string[], pattern: string): string {
  let regex = '^';
  let needSlash = false;
  const last = segments.length - 1;
  segments.forEach((segment, i) => {
    if (segment === '**') {
      if (i === 0 && i === last) regex += '.+';
      else if (i === 0) regex += '(?:.+/)?';
      else if (i === last) regex += '/.*';
      else regex += '(?:/.+)?';
      needSlash = i !== 0;
      return;
    }
    if (needSlash) regex += '/';
    regex += segment === '*' ? '[^/]+' : segmentRegex(segment, pattern);
    // Not ending in `/`: the pattern names a file or a folder, and a folder takes what is below it.
    if (i === last) regex += '(?:/.*)?';
    needSlash = true;
  });
  return `${regex}$`;
}

/** Parses one ignore-file line; undefined for lines that do nothing (blank, comment, `/`). */
export function parseWildmatch(line: string): WildmatchPattern | undefined {
  const pattern = line.trim();
  if (pattern === '' || pattern === '/' || pattern.startsWith('#')) return undefined;
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  const segments = collapsedSegments(body);
  // `**/` alone matches everything except files directly in the root.
  if (segments.length === 2 && segments[0] === '**' && segments[1] === '') {
    return { source: line, negated, regex: /^.+\/.*$/ };
  }
  const regex = buildRegex(normalisedSegments(segments, pattern), pattern);
  return { source: line, negated, regex: new RegExp(regex) };
}

/** Whether `relativePath` (with `/` separators) is excluded: the last matching pattern decides. */
export function isExcluded(patterns: readonly WildmatchPattern[], relativePath: string): boolean {
  let excluded = false;
  for (const pattern of patterns) {
    if (pattern.regex.test(relativePath)) excluded = !pattern.negated;
  }
  return excluded;
}
