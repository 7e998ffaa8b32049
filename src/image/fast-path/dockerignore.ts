// The build context's `.dockerignore`, read only when it is simple: `*`, `?`, `**` and `!`
// exceptions, matched as Docker does (a pattern excludes the path and everything below it; the last
// matching pattern wins). Anything fancier (`[...]` classes, escapes) is not honoured at all: the
// environment hash then covers every file, which at worst rebuilds an environment for nothing.
import { posix } from 'node:path';

export interface IgnoreMatcher {
  excludes(relativePath: string): boolean;
  /** Some pattern re-includes paths: an excluded folder may still hold included files. */
  hasExceptions: boolean;
}

export const NOTHING_IGNORED: IgnoreMatcher = { excludes: () => false, hasExceptions: false };

interface Pattern {
  regexp: RegExp;
  exception: boolean;
}

function segmentSource(segment: string): string {
  let source = '';
  for (const c of segment) {
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return source;
}

function toRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') source += last ? '.*' : '(?:[^/]+/)*';
    else source += segmentSource(segment) + (last ? '' : '/');
  });
  // A match on a folder excludes what is below it.
  return new RegExp(`^${source}(?:/.*)?$`);
}

/** The matcher of a `.dockerignore` text, or undefined when it uses what this reader does not. */
export function parseDockerignore(text: string): IgnoreMatcher | undefined {
  const patterns: Pattern[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    if (/[[\]\\]/.test(line)) return undefined;
    const cleaned = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (!cleaned || cleaned === '.') continue;
    patterns.push({ regexp: toRegExp(cleaned), exception });
  }
  return {
    hasExceptions: patterns.some((p) => p.exception),
    excludes(relativePath) {
      let excluded = false;
      for (const pattern of patterns) if (pattern.regexp.test(relativePath)) excluded = !pattern.exception;
      return excluded;
    },
  };
}
