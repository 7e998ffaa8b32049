import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  buildModelLayer,
  IN_MEMORY_LIMIT,
  ModelLayerError,
  removeModelLayer,
  sendModelLayer,
  type LayerIdentity,
  type ModelLayer,
} from '../../../../src/image/oci/model-layer.js';
import { sha256 } from './fixtures.js';
import { readTarGz } from './tar-reader.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'model-layer-test-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A fresh folder holding `files` (path → content), created in the given order. */
function modelFolder(files: Array<[string, string | Buffer]>): string {
  const root = join(work, `model-${++counter}`);
  mkdirSync(root);
  for (const [path, content] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function layerBytes(layer: ModelLayer): Buffer {
  return layer.content.kind === 'bytes' ? layer.content.bytes : readFileSync(layer.content.path);
}

const FILES: Array<[string, string]> = [
  ['model.onnx', 'weights'],
  ['sub/labels.txt', 'cat\ndog\n'],
  ['config.json', '{"threshold":0.5}'],
];

describe('buildModelLayer: archive', () => {
  test('a folder: sorted entries with parents, fixed owner, time and modes, its files below the destination', async () => {
    const layer = await buildModelLayer({ source: modelFolder(FILES), destination: '/app/model' });
    const records = readTarGz(layerBytes(layer));
    expect(records.map((record) => [record.path, record.type, record.mode.toString(8)])).toEqual([
      ['app/', '5', '755'],
      ['app/model/', '5', '755'],
      ['app/model/config.json', '0', '644'],
      ['app/model/model.onnx', '0', '644'],
      ['app/model/sub/', '5', '755'],
      ['app/model/sub/labels.txt', '0', '644'],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({
        uid: 0,
        gid: 0,
        mtime: 0,
        uname: '',
        gname: '',
        magic: 'ustar\u000000',
      });
    }
    expect(records.find((record) => record.path === 'app/model/sub/labels.txt')?.content.toString()).toBe(
      'cat\ndog\n',
    );
    expect(layer.fileCount).toBe(3);
  });

  test('digests and sizes describe the bytes: digest of the gzip, diffId of the tar', async () => {
    const layer = await buildModelLayer({ source: modelFolder(FILES), destination: '/app/model' });
    const gzip = layerBytes(layer);
    const tar = gunzipSync(gzip);
    expect(layer).toMatchObject({
      digest: sha256(gzip),
      diffId: sha256(tar),
      size: gzip.length,
      uncompressedSize: tar.length,
    });
    expect(layer.content.kind).toBe('bytes');
    expect(tar.length % 512).toBe(0);
    // No file name and no time in the gzip header.
    expect([...gzip.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  });

  test('a file source becomes the destination file; a deep destination gets every parent', async () => {
    const root = modelFolder([['weights.bin', 'abc']]);
    const layer = await buildModelLayer({
      source: join(root, 'weights.bin'),
      destination: '/opt/ml/model.bin',
    });
    const records = readTarGz(layerBytes(layer));
    expect(records.map((record) => record.path)).toEqual(['opt/', 'opt/ml/', 'opt/ml/model.bin']);
    expect(records[2]?.content.toString()).toBe('abc');
    expect(layer.fileCount).toBe(1);
  });

  test('an empty folder: the destination folder and its parents only', async () => {
    const layer = await buildModelLayer({ source: modelFolder([]), destination: '/app/model/' });
    expect(readTarGz(layerBytes(layer)).map((record) => record.path)).toEqual(['app/', 'app/model/']);
    expect(layer.fileCount).toBe(0);
  });

  test('the executable bit survives; other permission bits do not', async () => {
    const root = modelFolder([
      ['run.sh', '#!/bin/sh\n'],
      ['private.bin', 'x'],
      ['shared.bin', 'y'],
    ]);
    chmodSync(join(root, 'run.sh'), 0o700);
    chmodSync(join(root, 'private.bin'), 0o600);
    chmodSync(join(root, 'shared.bin'), 0o666);
    const records = readTarGz(layerBytes(await buildModelLayer({ source: root, destination: '/m' })));
    const modes = Object.fromEntries(records.map((record) => [record.path, record.mode.toString(8)]));
    expect(modes).toEqual({ 'm/': '755', 'm/private.bin': '644', 'm/run.sh': '755', 'm/shared.bin': '644' });
  });

  test('long and non-ASCII paths go into PAX headers that GNU tar reads back', async () => {
    const long = `${'deep-folder-name/'.repeat(5)}${'w'.repeat(120)}.bin`;
    const root = modelFolder([
      [long, 'long'],
      ['modèle-ünïcode.txt', 'accents'],
    ]);
    const layer = await buildModelLayer({ source: root, destination: '/app/model' });
    const records = readTarGz(layerBytes(layer));
    const longRecord = records.find((record) => record.path === `app/model/${long}`);
    expect(longRecord?.pax.path).toBe(`app/model/${long}`);
    expect(longRecord?.content.toString()).toBe('long');
    expect(records.find((record) => record.path === 'app/model/modèle-ünïcode.txt')?.content.toString()).toBe(
      'accents',
    );
    // Entries that fit ustar need no extended header.
    expect(records.find((record) => record.path === 'app/')?.pax).toEqual({});

    const archive = join(work, 'long.tar.gz');
    writeFileSync(archive, layerBytes(layer));
    const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing).toEqual(records.map((record) => record.path));
    const verbose = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', archive], {
      encoding: 'utf8',
    });
    expect(verbose).toContain(`-rw-r--r-- 0/0               4 1970-01-01 00:00:00 app/model/${long}`);
  });

  test('symbolic links are followed, as registration uploads their targets', async () => {
    const root = modelFolder([['real.bin', 'real']]);
    symlinkSync(join(root, 'real.bin'), join(root, 'link.bin'));
    const records = readTarGz(layerBytes(await buildModelLayer({ source: root, destination: '/m' })));
    expect(records.find((record) => record.path === 'm/link.bin')).toMatchObject({
      type: '0',
      content: Buffer.from('real'),
    });
  });
});

describe('buildModelLayer: reproducible', () => {
  test('the same files give the same layer, whatever their times, order of creation, permissions or owner', async () => {
    const first = modelFolder(FILES);
    const second = modelFolder([...FILES].reverse());
    utimesSync(
      join(second, 'model.onnx'),
      new Date('2001-02-03T04:05:06Z'),
      new Date('2001-02-03T04:05:06Z'),
    );
    utimesSync(join(second, 'sub'), new Date('2011-02-03T04:05:06Z'), new Date('2011-02-03T04:05:06Z'));
    chmodSync(join(second, 'config.json'), 0o664);
    if (process.getuid?.() === 0) chownSync(join(second, 'sub', 'labels.txt'), 1234, 5678);

    const a = await buildModelLayer({ source: first, destination: '/app/model' });
    const again = await buildModelLayer({ source: first, destination: '/app/model' });
    const b = await buildModelLayer({ source: second, destination: '/app/model' });
    expect(again.digest).toBe(a.digest);
    expect(b.digest).toBe(a.digest);
    expect(b.diffId).toBe(a.diffId);
    expect(layerBytes(b).equals(layerBytes(a))).toBe(true);
  });

  test('a different content, name or destination gives a different layer', async () => {
    const base = await buildModelLayer({ source: modelFolder(FILES), destination: '/app/model' });
    const content = await buildModelLayer({
      source: modelFolder([...FILES, ['model.onnx', 'weights2']]),
      destination: '/app/model',
    });
    const destination = await buildModelLayer({ source: modelFolder(FILES), destination: '/app/models' });
    expect(new Set([base.digest, content.digest, destination.digest]).size).toBe(3);
  });
});

describe('buildModelLayer: large models', () => {
  test('a layer above the in-memory limit streams to a temporary file that removeModelLayer deletes', async () => {
    const root = modelFolder([
      ['big.bin', randomBytes(IN_MEMORY_LIMIT + 100_000)],
      ['small.txt', 'x'],
    ]);
    const layer = await buildModelLayer({ source: root, destination: '/app/model', tempDir: work });
    if (layer.content.kind !== 'file') throw new Error('expected a file');
    const gzip = readFileSync(layer.content.path);
    expect(layer.digest).toBe(sha256(gzip));
    expect(layer.diffId).toBe(sha256(gunzipSync(gzip)));
    expect(layer.size).toBe(gzip.length);
    expect(readTarGz(gzip).find((record) => record.path === 'app/model/big.bin')?.size).toBe(
      IN_MEMORY_LIMIT + 100_000,
    );
    const again = await buildModelLayer({ source: root, destination: '/app/model', tempDir: work });
    expect(again.digest).toBe(layer.digest);
    expect(again.content).not.toEqual(layer.content);
    await removeModelLayer(layer);
    await removeModelLayer(again);
    expect(existsSync(layer.content.path)).toBe(false);
  });
});

describe('sendModelLayer: a large layer goes to the sink as it is compressed', () => {
  test('the same bytes and digests as buildModelLayer; the diff_id is told before the end', async () => {
    const root = modelFolder([
      ['big.bin', randomBytes(IN_MEMORY_LIMIT + 200_000)],
      ['meta.json', '{"version":"2"}'],
    ]);
    const built = await buildModelLayer({ source: root, destination: '/app/model', tempDir: work });
    const events: string[] = [];
    const chunks: Buffer[] = [];
    let identity: LayerIdentity | undefined;
    const sent = await sendModelLayer(
      { source: root, destination: '/app/model' },
      async (source, identityOf) => {
        // Asked too early, the identity is refused rather than wrong.
        expect(() => identityOf()).toThrow(ModelLayerError);
        for await (const chunk of source) {
          if (chunks.length === 0) events.push('first chunk');
          chunks.push(chunk);
        }
        events.push('end');
        identity = identityOf();
      },
      (diffId) => events.push(`diffId ${diffId}`),
    );
    const bytes = Buffer.concat(chunks);
    if (built.content.kind !== 'file') throw new Error('expected a file');
    expect(bytes.equals(readFileSync(built.content.path))).toBe(true);
    expect(sent).toMatchObject({
      digest: built.digest,
      diffId: built.diffId,
      size: built.size,
      fileCount: 2,
      uncompressedSize: built.uncompressedSize,
    });
    expect(sent.content).toBeUndefined();
    expect(identity).toEqual({ digest: built.digest, diffId: built.diffId, size: built.size });
    expect(events).toEqual(['first chunk', `diffId ${built.diffId}`, 'end']);
    await removeModelLayer(built);
  });

  test('a small layer is built in memory instead (its digest known before any upload); the sink is not used', async () => {
    const root = modelFolder(FILES);
    const diffIds: string[] = [];
    const layer = await sendModelLayer(
      { source: root, destination: '/app/model' },
      async () => {
        throw new Error('not for a small layer');
      },
      (diffId) => diffIds.push(diffId),
    );
    const built = await buildModelLayer({ source: root, destination: '/app/model' });
    expect(layer.content).toEqual(built.content);
    expect(layer.digest).toBe(built.digest);
    expect(diffIds).toEqual([built.diffId]);
  });

  test('a sink that fails fails the layer', async () => {
    const root = modelFolder([['big.bin', randomBytes(IN_MEMORY_LIMIT + 1)]]);
    await expect(
      sendModelLayer({ source: root, destination: '/m' }, async (source) => {
        for await (const chunk of source) if (chunk.length) throw new Error('registry went away');
      }),
    ).rejects.toThrow('registry went away');
  });
});

describe('buildModelLayer: refusals', () => {
  test.each([['app/model'], ['/'], ['/app/../etc'], ['']])(
    'destination %p is refused',
    async (destination) => {
      await expect(buildModelLayer({ source: modelFolder(FILES), destination })).rejects.toThrow(
        ModelLayerError,
      );
    },
  );

  test('a missing source is named', async () => {
    await expect(buildModelLayer({ source: join(work, 'nope'), destination: '/m' })).rejects.toThrow(
      /nope' does not exist/,
    );
  });

  test('a link cycle is refused instead of walked forever', async () => {
    const root = modelFolder([['a/file', 'x']]);
    symlinkSync(root, join(root, 'a', 'loop'));
    await expect(buildModelLayer({ source: root, destination: '/m' })).rejects.toThrow(/links back/);
  });
});
