import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredManifest } from '../../../../src/image/oci/image-store.js';
import { layoutStore, REF_NAME_ANNOTATION } from '../../../../src/image/oci/layout-store.js';
import { parseJson, sha256, storedFixture } from './fixtures.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layout-store-test-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
const freshDir = () => join(work, `layout-${++counter}`);
const bytesOf = (text: string) => Buffer.from(text);
const source = (bytes: Buffer) => async () => ({ kind: 'bytes' as const, bytes });
const notCalled = async (): Promise<never> => {
  throw new Error('source read although it should not be');
};
const blobFiles = (dir: string) => readdirSync(join(dir, 'blobs', 'sha256')).sort();

interface LayoutIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }>;
}

describe('layoutStore: blobs', () => {
  test('a blob written is read back, known, and present the second time', async () => {
    const dir = freshDir();
    const store = layoutStore(dir);
    const blob = bytesOf('layer bytes');
    const digest = sha256(blob);
    expect(store.name).toBe(`oci-layout:${dir}`);
    expect(await store.hasBlob(digest)).toBe(false);
    expect(await store.putBlob(digest, blob.length, source(blob))).toBe('uploaded');
    expect(await store.putBlob(digest, blob.length, notCalled)).toBe('present');
    expect(await store.hasBlob(digest)).toBe(true);
    expect((await store.getBlob(digest)).equals(blob)).toBe(true);
    expect(readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7))).equals(blob)).toBe(true);
    expect(parseJson(readFileSync(join(dir, 'oci-layout')))).toEqual({ imageLayoutVersion: '1.0.0' });
  });

  test('a blob from a file is streamed in and checked', async () => {
    const dir = freshDir();
    const file = join(work, 'blob-file');
    const blob = Buffer.alloc(300_000, 7);
    writeFileSync(file, blob);
    const store = layoutStore(dir);
    expect(await store.putBlob(sha256(blob), blob.length, async () => ({ kind: 'file', path: file }))).toBe(
      'uploaded',
    );
    expect((await store.getBlob(sha256(blob))).equals(blob)).toBe(true);
  });

  test.each([
    ['another digest', sha256(bytesOf('other')), 5, /content is sha256:.*expected sha256:/],
    ['another size', sha256(bytesOf('right')), 6, /\(5 bytes\), expected .* \(6 bytes\)/],
  ])('content with %s is refused and leaves nothing behind', async (_name, digest, size, message) => {
    const dir = freshDir();
    const store = layoutStore(dir);
    await expect(store.putBlob(digest, size, source(bytesOf('right')))).rejects.toThrow(message);
    expect(blobFiles(dir)).toEqual([]);
    expect(await store.hasBlob(digest)).toBe(false);
  });

  test('a blob of another layout is copied from its folder, without reading the source', async () => {
    const from = layoutStore(freshDir());
    const to = layoutStore(freshDir());
    const blob = bytesOf('shared base layer');
    await from.putBlob(sha256(blob), blob.length, source(blob));
    expect(await to.putBlob(sha256(blob), blob.length, notCalled, from)).toBe('mounted');
    expect((await to.getBlob(sha256(blob))).equals(blob)).toBe(true);
  });

  test('a corrupt blob on disk is reported, not returned', async () => {
    const dir = freshDir();
    const store = layoutStore(dir);
    const blob = bytesOf('good');
    await store.putBlob(sha256(blob), blob.length, source(blob));
    writeFileSync(join(dir, 'blobs', 'sha256', sha256(blob).slice(7)), 'evil');
    await expect(store.getBlob(sha256(blob))).rejects.toThrow(/corrupt/);
  });

  test('digests that are not sha256 (or would escape the folder) are refused', async () => {
    const store = layoutStore(freshDir());
    await expect(store.getBlob('sha256:../../etc/passwd')).rejects.toThrow(/not a sha256 digest/);
    await expect(store.hasBlob('sha512:abc')).rejects.toThrow(/not a sha256 digest/);
    await expect(store.getBlob(sha256(bytesOf('absent')))).rejects.toThrow(/is not in/);
  });
});

describe('layoutStore: manifests and tags', () => {
  const index = storedFixture('oci-index.json');
  const manifest = storedFixture('oci-manifest-amd64.json');

  test('a tagged index is in index.json and read back by tag and by digest', async () => {
    const dir = freshDir();
    const store = layoutStore(dir);
    await store.putManifest(manifest);
    await store.putManifest(index, 'env');
    const layoutIndex = parseJson<LayoutIndex>(readFileSync(join(dir, 'index.json')));
    expect(layoutIndex).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: index.mediaType,
          digest: index.digest,
          size: index.bytes.length,
          annotations: { [REF_NAME_ANNOTATION]: 'env' },
        },
      ],
    });
    const byTag = (await store.getManifest('env')) as StoredManifest;
    expect(byTag).toEqual(index);
    expect(await store.getManifest(index.digest)).toEqual(index);
    // Untagged manifests are blobs, with their media type from their own JSON.
    expect(await store.getManifest(manifest.digest)).toEqual(manifest);
  });

  test('moving a tag replaces its entry; other tags stay; parallel tagging loses none', async () => {
    const dir = freshDir();
    const store = layoutStore(dir);
    await store.putManifest(manifest, 'latest');
    await Promise.all(['latest', '1.0.0', '1.0', '1'].map((tag) => store.putManifest(index, tag)));
    await store.putManifest(manifest, 'amd64');
    const entries = parseJson<LayoutIndex>(readFileSync(join(dir, 'index.json'))).manifests;
    expect(entries.map((entry) => [entry.annotations?.[REF_NAME_ANNOTATION], entry.digest])).toEqual([
      ['latest', index.digest],
      ['1.0.0', index.digest],
      ['1.0', index.digest],
      ['1', index.digest],
      ['amd64', manifest.digest],
    ]);
    expect((await store.getManifest('latest'))?.digest).toBe(index.digest);
    expect(readdirSync(dir).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  });

  test('nothing there: undefined, not an error', async () => {
    const store = layoutStore(freshDir());
    expect(await store.getManifest('latest')).toBeUndefined();
    expect(await store.getManifest(index.digest)).toBeUndefined();
  });

  test('manifest bytes that do not match their digest are refused', async () => {
    const store = layoutStore(freshDir());
    await expect(
      store.putManifest({ ...index, bytes: Buffer.concat([index.bytes, bytesOf(' ')]) }, 'x'),
    ).rejects.toThrow(/do not match/);
    expect(await store.getManifest('x')).toBeUndefined();
  });

  test('a layout written by another tool is read through its index.json', async () => {
    const dir = freshDir();
    const writer = layoutStore(dir);
    await writer.putManifest(index);
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: index.mediaType,
            digest: index.digest,
            size: index.bytes.length,
            annotations: { [REF_NAME_ANNOTATION]: 'v1' },
          },
        ],
      }),
    );
    expect((await layoutStore(dir).getManifest('v1'))?.digest).toBe(index.digest);
  });
});
