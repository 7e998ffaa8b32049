// The ignore file of a model folder, found as the Azure ML SDK finds it: `.amlignore` if the folder
// has one, else `.gitignore`, and only in the folder itself (not in sub-folders, not above it).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isExcluded, parseWildmatch, WildmatchPatternError, type WildmatchPattern } from './gitwildmatch.js';

export const IGNORE_FILE_NAMES = ['.amlignore', '.gitignore'] as const;

export interface IgnoreRules {
  /** The ignore file in use, e.g. `.amlignore`; undefined when there is none. */
  file?: string;
  patterns: readonly WildmatchPattern[];
  excludes(relativePath: string): boolean;
}

export const NO_IGNORE_RULES: IgnoreRules = { patterns: [], excludes: () => false };

export class IgnoreFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IgnoreFileError';
  }
}

/** Patterns of an ignore file's text, lines right-trimmed as the SDK reads them. */
export function parseIgnoreText(text: string, fileName: string): WildmatchPattern[] {
  const patterns: WildmatchPattern[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    try {
      const pattern = parseWildmatch(line.trimEnd());
      if (pattern) patterns.push(pattern);
    } catch (error) {
      if (!(error instanceof WildmatchPatternError)) throw error;
      throw new IgnoreFileError(`${fileName} line ${index + 1}: ${error.message}`);
    }
  });
  return patterns;
}

/** The rules for the model folder `folder`. */
export function loadIgnoreRules(folder: string): IgnoreRules {
  for (const name of IGNORE_FILE_NAMES) {
    const path = join(folder, name);
    if (!existsSync(path) || !statSync(path).isFile()) continue;
    const patterns = parseIgnoreText(readFileSync(path, 'utf8'), name);
    return { file: name, patterns, excludes: (relativePath) => isExcluded(patterns, relativePath) };
  }
  return NO_IGNORE_RULES;
}
