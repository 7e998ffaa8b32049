// Ignore-file patterns with the gitwildmatch rules the Azure ML SDK applies (pathspec's), as tables of
// pattern, path, expected match.
import { describe, expect, test } from '@jest/globals';
import { isExcluded, parseWildmatch, WildmatchPatternError } from '../../../src/model/gitwildmatch.js';
import { IgnoreFileError, parseIgnoreText } from '../../../src/model/ignore-file.js';

function matches(pattern: string, path: string): boolean {
  const parsed = parseWildmatch(pattern);
  if (!parsed) throw new Error(`'${pattern}' does nothing`);
  return parsed.regex.test(path);
}

describe('gitwildmatch patterns', () => {
  test.each([
    // pattern, path, matches
    ['*.tmp', 'a.tmp', true],
    ['*.tmp', 'deep/er/a.tmp', true],
    ['*.tmp', 'a.tmp/inside.txt', true],
    ['*.tmp', 'a.tmpx', false],
    ['logs/', 'logs', false],
    ['logs/', 'logs/a.log', true],
    ['logs/', 'x/logs/a.log', true],
    ['logs', 'logs', true],
    ['logs', 'x/logs', true],
    ['logs', 'logs/a', true],
    ['logs', 'logsx', false],
    ['/build', 'build', true],
    ['/build', 'x/build', false],
    ['/build', 'build/a', true],
    ['doc/*.md', 'doc/a.md', true],
    ['doc/*.md', 'x/doc/a.md', false],
    ['doc/*.md', 'doc/x/a.md', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/**/b', 'a/x/b', true],
    ['**/cache', 'cache', true],
    ['**/cache', 'x/y/cache', true],
    ['a/**', 'a/x', true],
    ['a/**', 'a', false],
    ['**', 'anything/at/all', true],
    ['**/', 'root-file', false],
    ['**/', 'dir/file', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['*', 'x', true],
    ['*', 'x/y', true],
    ['x/*', 'x/y', true],
    ['x/*', 'x/y/z', true],
    ['x/*', 'x', false],
    ['file[0-9].txt', 'file7.txt', true],
    ['file[0-9].txt', 'filex.txt', false],
    ['file[!0-9].txt', 'filex.txt', true],
    ['file[!0-9].txt', 'file7.txt', false],
    ['[]a].txt', '].txt', true],
    ['[]a].txt', 'a.txt', true],
    ['[]a].txt', 'b.txt', false],
    ['[^a].txt', '^.txt', true],
    ['[^a].txt', 'b.txt', false],
    ['unclosed[', 'unclosed[', true],
    ['\\#hash', '#hash', true],
    ['\\!bang', '!bang', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['dots.in.name', 'dotsXinXname', false],
    ['(paren)+', '(paren)+', true],
    ['  spaced.txt  ', 'spaced.txt', true],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(matches(pattern, path)).toBe(expected);
  });

  test.each(['', '   ', '# a comment', '/'])('%j does nothing', (line) => {
    expect(parseWildmatch(line)).toBeUndefined();
  });

  test('a leading ! re-includes, and the last matching pattern decides', () => {
    const patterns = ['*.bin', '!keep.bin', 'keep.bin'].map((line) => parseWildmatch(line)!);
    expect(patterns[1]!.negated).toBe(true);
    expect(isExcluded(patterns.slice(0, 2), 'keep.bin')).toBe(false);
    expect(isExcluded(patterns.slice(0, 2), 'drop.bin')).toBe(true);
    expect(isExcluded(patterns, 'keep.bin')).toBe(true);
    expect(isExcluded([], 'any')).toBe(false);
  });

  test.each(['!', 'trailing\\'])('%j is not a valid pattern', (line) => {
    expect(() => parseWildmatch(line)).toThrow(WildmatchPatternError);
  });
});

describe('ignore file text', () => {
  test('lines are right-trimmed, comments and blanks skipped, CRLF accepted', () => {
    const patterns = parseIgnoreText('# models\r\n*.tmp   \r\n\r\n!keep.tmp\n', '.amlignore');
    expect(patterns.map((p) => p.source)).toEqual(['*.tmp', '!keep.tmp']);
  });

  test('an invalid line names the file and the line number', () => {
    expect(() => parseIgnoreText('ok\n!\n', '.amlignore')).toThrow(IgnoreFileError);
    expect(() => parseIgnoreText('ok\n!\n', '.amlignore')).toThrow(
      /\.amlignore line 2: '!' is not a valid ignore pattern/,
    );
  });
});
