import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { TAR_END, tarHeader, tarPadding, type TarEntry } from '../../../../src/image/oci/tar.js';
import { readTar } from './tar-reader.js';

/** A whole archive of entries whose bodies are `size` bytes of 'x'. */
function archive(entries: TarEntry[]): Buffer {
  return Buffer.concat([
    ...entries.flatMap((entry) => [tarHeader(entry), Buffer.alloc(entry.size, 'x'), tarPadding(entry.size)]),
    TAR_END,
  ]);
}

const file = (path: string, size = 1): TarEntry => ({ path, type: 'file', mode: 0o644, size });

describe('tarHeader', () => {
  test.each([
    ['100 bytes: fits ustar', 'a'.repeat(100), false],
    ['101 bytes: PAX', 'a'.repeat(101), true],
    ['non-ASCII: PAX', 'é.txt', true],
    ['control character: PAX', 'a\tb', true],
  ])('%s', (_name, path, pax) => {
    const [record] = readTar(archive([file(path)]));
    expect(record?.path).toBe(path);
    expect(record?.pax.path !== undefined).toBe(pax);
  });

  // A PAX record states its own length, digits included: check where the digit count changes.
  test.each([101, 988, 989, 990, 991, 992])(
    'a PAX record for a %i-byte path states its length right',
    (length) => {
      const path = 'p'.repeat(length);
      const [record] = readTar(archive([file(path)]));
      expect(record?.path).toBe(path);
    },
  );

  test('sizes beyond the 11 octal digits go into PAX', () => {
    const size = 2 ** 33 + 5;
    const header = tarHeader(file('huge.bin', size));
    const [record] = readTar(Buffer.concat([header, TAR_END]));
    expect(record?.pax.size).toBe(String(size));
    expect(record?.size).toBe(size);
  });

  test('GNU tar reads the archive back, with fixed owner and time', () => {
    const tar = archive([
      { path: 'app/', type: 'directory', mode: 0o755, size: 0 },
      file('app/run.sh', 3),
      file(`app/${'n'.repeat(150)}`, 600),
    ]);
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', '-'], {
      input: tar,
      encoding: 'utf8',
    });
    expect(listing.split('\n').filter(Boolean)).toEqual([
      'drwxr-xr-x 0/0               0 1970-01-01 00:00:00 app/',
      '-rw-r--r-- 0/0               3 1970-01-01 00:00:00 app/run.sh',
      `-rw-r--r-- 0/0             600 1970-01-01 00:00:00 app/${'n'.repeat(150)}`,
    ]);
  });

  test('padding fills the last block only', () => {
    expect([0, 1, 511, 512, 513].map((size) => tarPadding(size).length)).toEqual([0, 511, 1, 0, 511]);
  });
});
