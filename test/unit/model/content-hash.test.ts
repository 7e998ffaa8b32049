// The content hash against vectors computed here, independently, from the Azure ML SDK's documented
// algorithm (reference §1.2 step 5): MD5 seeded with "Initialize for october 2021 AML CLI version";
// a file feeds its bytes only; a folder feeds, for each entry sorted by str(path).lower() and not
// excluded by the root ignore file, the entry's name and then its bytes or its own entries. The
// excluded paths of each ignore-file vector are worked out by hand from the gitwildmatch rules.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CONTENT_HASH_SEED, hashModel } from '../../../src/model/content-hash.js';
import { scanModel } from '../../../src/model/model-scan.js';
import { REPO_ROOT } from '../../support/paths.js';

const SEED = 'Initialize for october 2021 AML CLI version';

/** The documented algorithm, written out plainly; `excluded` holds relative paths the ignore file skips. */
function referenceHash(path: string, excluded: ReadonlySet<string> = new Set()): string {
  const md5 = createHash('md5').update(Buffer.from(SEED, 'utf8'));
  if (statSync(path).isFile()) return md5.update(readFileSync(path)).digest('hex');
  const walk = (folder: string, relative: string) => {
    const entries = readdirSync(folder)
      .map((name) => ({ name, key: join(folder, name).toLowerCase() }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { name } of entries) {
      const rel = relative ? `${relative}/${name}` : name;
      if (excluded.has(rel)) continue;
      md5.update(Buffer.from(name, 'utf8'));
      const full = join(folder, name);
      if (statSync(full).isFile()) md5.update(readFileSync(full));
      else walk(full, rel);
    }
  };
  walk(path, '');
  return md5.digest('hex');
}

let root: string;

/** Writes `files` (relative path → content) under a fresh folder named `name`. */
function tree(name: string, files: Record<string, string | Buffer>): string {
  const folder = join(root, name);
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, relative)), { recursive: true });
    writeFileSync(join(folder, relative), content);
  }
  mkdirSync(folder, { recursive: true });
  return folder;
}

async function hashOf(path: string): Promise<string> {
  return (await hashModel(scanModel(path))).hash;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'content-hash-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('content hash: the seed and single files', () => {
  test('the seed is the documented string', () => {
    expect(CONTENT_HASH_SEED).toBe(SEED);
  });

  test('a file hashes its bytes after the seed (literal vector computed with Python hashlib)', async () => {
    const file = join(tree('literal', { 'model.onnx': 'hello\n' }), 'model.onnx');
    expect(await hashOf(file)).toBe('71837600ad97da81bfd1dc421aab4b13');
    expect(await hashOf(file)).toBe(referenceHash(file));
  });

  test("a file's name is not hashed: two names, one content, one hash", async () => {
    const folder = tree('names', { 'a.onnx': 'same bytes', 'b.bin': 'same bytes' });
    expect(await hashOf(join(folder, 'a.onnx'))).toBe(await hashOf(join(folder, 'b.bin')));
  });

  test('an empty file hashes the seed only', async () => {
    const file = join(tree('empty-file', { 'empty.bin': '' }), 'empty.bin');
    expect(await hashOf(file)).toBe('bf6fb7b1e88207436d2a346c6bcf7ded');
  });

  test('a large file is hashed in chunks to the same result', async () => {
    const bytes = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const file = join(tree('large', { 'weights.bin': bytes }), 'weights.bin');
    expect(await hashOf(file)).toBe(referenceHash(file));
  });
});

describe('content hash: folders', () => {
  test('names then bytes, entries sorted case-insensitively (literal vector computed with Python hashlib)', async () => {
    const folder = tree('literal-folder', { 'B/c.txt': 'C', 'a.txt': 'A' });
    expect(await hashOf(folder)).toBe('e85b2a25a9a7be337b1a7c3c4f02e63d');
  });

  test('a nested folder with mixed-case names', async () => {
    const folder = tree('nested', {
      'Zeta.txt': 'z',
      'alpha.bin': Buffer.from([0, 1, 2, 3]),
      'Beta/weights.bin': 'w1',
      'Beta/Sub/deep.txt': 'deep',
      'beta2/a.txt': 'a',
      'gamma/empty.txt': '',
      '_under.txt': 'u',
      '1first.txt': '1',
    });
    expect(await hashOf(folder)).toBe(referenceHash(folder));
  });

  test('the folder name itself is not hashed: two names, one content, one hash', async () => {
    const one = tree('one', { 'x/y.txt': 'y' });
    const two = tree('two', { 'x/y.txt': 'y' });
    expect(await hashOf(one)).toBe(await hashOf(two));
  });

  test('moving bytes from one file to another changes the hash', async () => {
    const one = tree('move-1', { 'a.txt': 'ab', 'b.txt': '' });
    const two = tree('move-2', { 'a.txt': 'a', 'b.txt': 'b' });
    expect(await hashOf(one)).not.toBe(await hashOf(two));
  });

  test('an empty sub-folder counts by its name', async () => {
    const folder = tree('empty-sub', { 'a.txt': 'a' });
    mkdirSync(join(folder, 'empty'));
    expect(await hashOf(folder)).toBe(referenceHash(folder));
    expect(await hashOf(folder)).not.toBe(await hashOf(tree('no-empty-sub', { 'a.txt': 'a' })));
  });

  test('a symbolic link is hashed as what it points to', async () => {
    const folder = tree('links', { 'real/weights.bin': 'weights', 'labels.txt': 'cat' });
    symlinkSync(join(folder, 'labels.txt'), join(folder, 'labels-link.txt'));
    symlinkSync(join(folder, 'real'), join(folder, 'linked-dir'));
    expect(await hashOf(folder)).toBe(referenceHash(folder));
  });
});

describe('content hash: ignore files', () => {
  test('.amlignore: globs, a trailing-slash folder (its name stays, its content goes), anchors and negation', async () => {
    const folder = tree('amlignore', {
      '.amlignore': '# comment\n*.tmp\n!keep.tmp\nlogs/\n/build\n  \nsub/**/cache.bin\n',
      'model.onnx': 'model',
      'scratch.tmp': 'x',
      'keep.tmp': 'kept',
      'logs/run.log': 'log',
      'logs/deeper/more.log': 'log',
      'build/out.bin': 'out',
      'sub/build/x.txt': 'not anchored here',
      'sub/a/b/cache.bin': 'c',
      'sub/cache.bin': 'c0',
      'sub/nested.tmp': 'n',
    });
    // Worked out by hand: `logs/` matches logs/… but not the folder entry `logs`; `/build` only at the root;
    // `sub/**/cache.bin` matches sub/cache.bin and sub/a/b/cache.bin; `*.tmp` at any depth.
    const excluded = new Set([
      'scratch.tmp',
      'logs/run.log',
      'logs/deeper',
      'build',
      'sub/a/b/cache.bin',
      'sub/cache.bin',
      'sub/nested.tmp',
    ]);
    const scan = scanModel(folder);
    expect(scan.ignoreFile).toBe('.amlignore');
    expect(scan.files.map((f) => f.relativePath).sort()).toEqual(
      ['.amlignore', 'keep.tmp', 'model.onnx', 'sub/build/x.txt'].sort(),
    );
    expect((await hashModel(scan)).hash).toBe(referenceHash(folder, excluded));
  });

  test('.amlignore wins over .gitignore', async () => {
    const folder = tree('both', {
      '.amlignore': 'a.txt\n',
      '.gitignore': 'b.txt\n',
      'a.txt': 'a',
      'b.txt': 'b',
    });
    expect(await hashOf(folder)).toBe(referenceHash(folder, new Set(['a.txt'])));
  });

  test('.gitignore applies when there is no .amlignore; it can exclude itself', async () => {
    const folder = tree('git', {
      '.gitignore': '.gitignore\n*.pyc\n__pycache__\n',
      'm.py': 'py',
      'm.pyc': 'c',
      '__pycache__/m.pyc': 'c',
    });
    expect(await hashOf(folder)).toBe(referenceHash(folder, new Set(['.gitignore', 'm.pyc', '__pycache__'])));
  });

  test('only the root ignore file counts, not one in a sub-folder', async () => {
    const folder = tree('nested-ignore', { 'sub/.amlignore': '*.txt\n', 'sub/a.txt': 'a', 'b.txt': 'b' });
    expect(await hashOf(folder)).toBe(referenceHash(folder));
  });

  test('a parent folder excluded without a slash takes everything below it', async () => {
    const folder = tree('excluded-dir', {
      '.amlignore': 'data\n!data/keep.txt\n',
      'data/keep.txt': 'k',
      'm.bin': 'm',
    });
    expect(await hashOf(folder)).toBe(referenceHash(folder, new Set(['data'])));
  });
});

describe('content hash: the example model', () => {
  test('matches the reference and changes when a file changes', async () => {
    const example = join(REPO_ROOT, 'test', 'fixtures', 'model', 'example-model');
    expect(await hashOf(example)).toBe(referenceHash(example));
    const copy = tree('example-copy', {
      'model.onnx': readFileSync(join(example, 'model.onnx')),
      'labels.txt': readFileSync(join(example, 'labels.txt')),
      'config.json': readFileSync(join(example, 'config.json')),
    });
    expect(await hashOf(copy)).toBe(await hashOf(example));
    writeFileSync(join(copy, 'labels.txt'), 'background\ncat\ndog\nbird\nfish\n');
    expect(await hashOf(copy)).not.toBe(await hashOf(example));
  });
});
