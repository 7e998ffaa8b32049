import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../../../src/logger.js';
import {
  appendedConfig,
  MediaTypes,
  modelLabels,
  modelLayerCreatedBy,
  type Descriptor,
} from '../../../../src/image/oci/append.js';
import {
  AppendModelError,
  appendModelLayer,
  readEnvironmentImage,
  type AppendModelResult,
} from '../../../../src/image/oci/append-model.js';
import { sha256Digest } from '../../../../src/image/oci/digest.js';
import type { ImageStore, StoredManifest } from '../../../../src/image/oci/image-store.js';
import { layoutStore } from '../../../../src/image/oci/layout-store.js';
import {
  buildModelLayer,
  IN_MEMORY_LIMIT,
  removeModelLayer,
  type ModelLayer,
} from '../../../../src/image/oci/model-layer.js';
import { writeEnvironment, type EnvironmentFormat } from './environment.js';
import { parseJson } from './fixtures.js';
import { readTarGz } from './tar-reader.js';

let work: string;
let layer: ModelLayer;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'append-model-test-'));
  mkdirSync(join(work, 'model', 'sub'), { recursive: true });
  writeFileSync(join(work, 'model', 'model.onnx'), 'weights v7');
  writeFileSync(join(work, 'model', 'sub', 'labels.txt'), 'cat\n');
  layer = await buildModelLayer({ source: join(work, 'model'), destination: '/app/model' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
const freshStore = () => layoutStore(join(work, `layout-${++counter}`));
const LABELS = modelLabels({ name: 'vision', version: '7', hash: 'abc123' });

interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}

/** Reads the image back from `store` and checks every blob it references is there with its digest. */
async function readBack(store: ImageStore, reference: string) {
  const top = (await store.getManifest(reference)) as StoredManifest;
  expect(top).toBeDefined();
  const json = parseJson<{ manifests?: Descriptor[] }>(top.bytes);
  const entries = json.manifests ?? [
    { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length },
  ];
  const images = await Promise.all(
    entries.map(async (entry) => {
      const manifest = (await store.getManifest(entry.digest)) as StoredManifest;
      expect(manifest.bytes.length).toBe(entry.size);
      const parsed = parseJson<Manifest>(manifest.bytes);
      for (const blob of [parsed.config, ...parsed.layers]) {
        // getBlob checks the content against the digest.
        expect((await store.getBlob(blob.digest)).length).toBe(blob.size);
      }
      const config = parseJson<{
        rootfs: { diff_ids: string[] };
        config: { Labels: Record<string, string> };
      }>(await store.getBlob(parsed.config.digest));
      return { entry, manifest: parsed, config };
    }),
  );
  return { top, images };
}

async function append(format: EnvironmentFormat, tags = ['1.0.0', 'latest']) {
  const source = freshStore();
  const environment = await writeEnvironment(source, join(work, `env-${++counter}`), format);
  const target = freshStore();
  const logger = memoryLogger();
  const result = await appendModelLayer({
    source,
    sourceReference: 'env',
    target,
    tags,
    layer,
    destination: '/app/model',
    labels: LABELS,
    logger,
  });
  return { source, target, environment, result, logger };
}

describe('appendModelLayer: OCI index with attestations, layout to layout', () => {
  let run: Awaited<ReturnType<typeof append>>;
  beforeAll(async () => {
    run = await append('oci');
  });

  test('the result names the new index, its platforms and what moved', () => {
    const { result } = run;
    expect(result).toMatchObject({
      mediaType: MediaTypes.ociIndex,
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
      layerDigest: layer.digest,
      attestationsDropped: 3,
      // the shared base layer and the three code layers, copied from the other layout
      blobsMounted: 4,
    });
    expect(result.manifests.map((manifest) => manifest.platform)).toEqual(result.platforms);
    expect(new Set(result.manifests.map((manifest) => manifest.digest)).size).toBe(3);
  });

  test('every tag points at the new index; every blob it references is in the target with its digest', async () => {
    const { target, result, environment } = run;
    for (const tag of ['1.0.0', 'latest'])
      expect((await target.getManifest(tag))?.digest).toBe(result.digest);
    const { images } = await readBack(target, '1.0.0');
    expect(images.map(({ entry }) => entry.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
    for (const { entry, manifest, config } of images) {
      expect(result.manifests.find((m) => m.digest === entry.digest)).toBeDefined();
      // one new layer per platform, the same blob for all
      expect(manifest.layers).toHaveLength(3);
      expect(manifest.layers[2]).toEqual({
        mediaType: MediaTypes.ociLayerGzip,
        digest: layer.digest,
        size: layer.size,
      });
      expect(environment.environmentLayers).toEqual(
        expect.arrayContaining(manifest.layers.slice(0, 2).map((l) => l.digest)),
      );
      expect(config.rootfs.diff_ids.at(-1)).toBe(layer.diffId);
      expect(config.config.Labels).toEqual({ 'org.opencontainers.image.title': 'env', ...LABELS });
    }
  });

  test('the model files are in the layer the target holds', async () => {
    const records = readTarGz(await run.target.getBlob(layer.digest));
    expect(records.map((record) => record.path)).toEqual([
      'app/',
      'app/model/',
      'app/model/model.onnx',
      'app/model/sub/',
      'app/model/sub/labels.txt',
    ]);
  });

  test('the dropped attestations are a warning; nothing of them reaches the target', async () => {
    expect(run.logger.lines.filter((line) => line.startsWith('warning:'))).toEqual([
      expect.stringMatching(/dropped 3 attestation manifest/),
    ]);
    const index = (await run.target.getManifest('latest')) as StoredManifest;
    expect(index.bytes.toString()).not.toContain('attestation');
  });

  test('bytes uploaded: the model layer, the configs and the documents; the environment was copied, not uploaded', async () => {
    const { target, result } = run;
    const { top, images } = await readBack(target, 'latest');
    const configs = images.reduce((total, image) => total + image.manifest.config.size, 0);
    const manifests = images.reduce((total, image) => total + (image.entry.size as number), 0);
    expect(result.bytesUploaded).toBe(layer.size + configs + manifests + 2 * top.bytes.length);
  });

  test('the same model on the same environment gives the same image, byte for byte', async () => {
    const again = await appendModelLayer({
      source: run.source,
      sourceReference: 'env',
      target: freshStore(),
      tags: ['x'],
      layer,
      destination: '/app/model',
      labels: LABELS,
      logger: memoryLogger(),
    });
    expect(again.digest).toBe(run.result.digest);
    expect(again.manifests).toEqual(run.result.manifests);
  });

  test('a second run into the same target finds every blob present and writes only the documents', async () => {
    const again = await appendModelLayer({
      source: run.source,
      sourceReference: 'env',
      target: run.target,
      tags: ['1.0.0'],
      layer,
      destination: '/app/model',
      labels: LABELS,
      logger: memoryLogger(),
    });
    const { top, images } = await readBack(run.target, '1.0.0');
    expect(again.digest).toBe(run.result.digest);
    expect(again.blobsMounted).toBe(0);
    expect(again.bytesUploaded).toBe(
      images.reduce((total, image) => total + (image.entry.size as number), 0) + top.bytes.length,
    );
  });
});

describe('appendModelLayer: other environments', () => {
  test('a Docker manifest list stays one, with Docker layer media types', async () => {
    const { target, result } = await append('docker', ['v1']);
    expect(result.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(result.attestationsDropped).toBe(0);
    const { top, images } = await readBack(target, 'v1');
    expect(top.mediaType).toBe(MediaTypes.dockerManifestList);
    for (const { manifest } of images)
      expect(manifest.layers.at(-1)?.mediaType).toBe(MediaTypes.dockerLayerGzip);
  });

  test('a single-platform manifest gives a single manifest', async () => {
    const { target, result, environment } = await append('single', ['v1']);
    expect(result).toMatchObject({ mediaType: MediaTypes.ociManifest, platforms: ['linux/arm64'] });
    expect(result.manifests).toEqual([{ platform: 'linux/arm64', digest: result.digest }]);
    const { images } = await readBack(target, 'v1');
    expect(images[0]?.manifest.layers.map((l) => l.digest)).toEqual([
      ...environment.environmentLayers,
      layer.digest,
    ]);
  });

  test('without tags the image is stored by digest only', async () => {
    const { target, result } = await append('oci', []);
    expect((await target.getManifest(result.digest))?.digest).toBe(result.digest);
    expect(await target.getManifest('latest')).toBeUndefined();
  });

  test('a large layer streams from its temporary file', async () => {
    const folder = join(work, 'big-model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'weights.bin'), Buffer.alloc(IN_MEMORY_LIMIT + 1, 1));
    const big = await buildModelLayer({ source: folder, destination: '/app/model' });
    expect(big.content.kind).toBe('file');
    const source = freshStore();
    await writeEnvironment(source, join(work, 'env-big'), 'docker');
    const target = freshStore();
    const result = await appendModelLayer({
      ...{ source, sourceReference: 'env', target, tags: ['big'], destination: '/app/model', labels: {} },
      layer: big,
      logger: memoryLogger(),
    });
    expect((await target.getBlob(big.digest)).length).toBe(big.size);
    expect(result.layerDigest).toBe(big.digest);
    await removeModelLayer(big);
  });
});

/** Counts each store call, to hold the fast path to its round trips. */
function counting(store: ImageStore) {
  const calls: Record<string, string[]> = {
    getManifest: [],
    getBlob: [],
    hasBlob: [],
    putBlob: [],
    putManifest: [],
  };
  const counted: ImageStore = {
    name: store.name,
    getManifest: (reference) => (calls.getManifest?.push(reference), store.getManifest(reference)),
    getBlob: (digest) => (calls.getBlob?.push(digest), store.getBlob(digest)),
    hasBlob: (digest) => (calls.hasBlob?.push(digest), store.hasBlob(digest)),
    putBlob: (digest, size, read, from) => (
      calls.putBlob?.push(digest),
      store.putBlob(digest, size, read, from)
    ),
    putManifest: (manifest, tag) => (
      calls.putManifest?.push(tag ?? manifest.digest),
      store.putManifest(manifest, tag)
    ),
  };
  return { store: counted, calls };
}

describe('appendModelLayer: round trips', () => {
  test('in the same store: one read per document, no existence checks, no environment blob written', async () => {
    const layout = freshStore();
    const environment = await writeEnvironment(layout, join(work, 'env-same'), 'oci');
    const { store, calls } = counting(layout);
    const result: AppendModelResult = await appendModelLayer({
      source: store,
      sourceReference: 'env',
      target: store,
      tags: ['1.0.0', 'latest'],
      layer,
      destination: '/app/model',
      labels: LABELS,
      logger: memoryLogger(),
    });
    expect(calls.getManifest).toHaveLength(1 + 3);
    expect(calls.getBlob).toHaveLength(3); // the configs
    expect(calls.hasBlob).toEqual([]);
    expect(calls.putBlob).toHaveLength(1 + 3); // the model layer and the new configs
    expect(calls.putBlob?.[0]).toBe(layer.digest);
    expect(calls.putBlob).not.toEqual(expect.arrayContaining(environment.environmentLayers.slice(0, 1)));
    expect(calls.putManifest).toEqual([...result.manifests.map((m) => m.digest), '1.0.0', 'latest']);
    // the environment's tag is untouched
    expect((await layout.getManifest('env'))?.digest).toBe(environment.top.digest);
    expect(result.blobsMounted).toBe(0);
  });

  test('what the caller read and sent already is neither read nor written again', async () => {
    const layout = freshStore();
    await writeEnvironment(layout, join(work, 'env-given'), 'oci');
    const { store, calls } = counting(layout);
    // As the release does: the top manifest from the environment lookup, the layer sent while made,
    // and the configs written once the diff_id was known (they need nothing else).
    const top = await layout.getManifest('env');
    const environment = await readEnvironmentImage(store, 'env', top);
    expect(calls.getManifest).toHaveLength(3); // the platform manifests only
    const changes = { layer, createdBy: modelLayerCreatedBy('/app/model'), labels: LABELS };
    const sent = new Map<string, 'present' | 'mounted' | 'uploaded'>([[layer.digest, 'uploaded']]);
    for (const image of environment.images.values()) {
      const config = appendedConfig(image, changes);
      await layout.putBlob(sha256Digest(config), config.length, async () => ({
        kind: 'bytes',
        bytes: config,
      }));
      sent.set(sha256Digest(config), 'uploaded');
    }
    await layout.putBlob(layer.digest, layer.size, async () => layer.content);
    const before = { manifests: calls.getManifest?.length, blobs: calls.getBlob?.length };
    const result = await appendModelLayer({
      source: store,
      sourceReference: 'env',
      target: store,
      tags: ['1.0.0'],
      layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size },
      sent,
      environment,
      destination: '/app/model',
      labels: LABELS,
      logger: memoryLogger(),
    });
    expect(calls.getManifest).toHaveLength(before.manifests!);
    expect(calls.getBlob).toHaveLength(before.blobs!);
    expect(calls.putBlob).toEqual([]); // the configs it planned are the ones sent: same digests
    expect(calls.putManifest).toEqual([...result.manifests.map((m) => m.digest), '1.0.0']);
    expect(result.bytesUploaded).toBeGreaterThan(layer.size);
    // The same release as one made without the shortcuts.
    const plain = await appendModelLayer({
      source: layout,
      sourceReference: 'env',
      target: freshStore(),
      tags: [],
      layer,
      destination: '/app/model',
      labels: LABELS,
      logger: memoryLogger(),
    });
    expect(plain.digest).toBe(result.digest);
  });

  test('a layer without content that was not sent is refused before any write', async () => {
    const layout = freshStore();
    await writeEnvironment(layout, join(work, 'env-unsent'), 'oci');
    const { store, calls } = counting(layout);
    await expect(
      appendModelLayer({
        source: store,
        sourceReference: 'env',
        target: store,
        tags: ['1.0.0'],
        layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size },
        destination: '/app/model',
        labels: LABELS,
        logger: memoryLogger(),
      }),
    ).rejects.toThrow(/has no content and was not sent/);
    expect(calls.putManifest).toEqual([]);
  });

  test('into another store: each environment blob once, even when platforms share it', async () => {
    const layout = freshStore();
    const environment = await writeEnvironment(layout, join(work, 'env-other'), 'oci');
    const target = counting(freshStore());
    await appendModelLayer({
      source: layout,
      sourceReference: 'env',
      target: target.store,
      tags: ['1.0.0'],
      layer,
      destination: '/app/model',
      labels: LABELS,
      logger: memoryLogger(),
    });
    const environmentPuts = target.calls.putBlob?.filter((digest) =>
      environment.environmentLayers.includes(digest),
    );
    expect(environmentPuts?.sort()).toEqual([...environment.environmentLayers].sort());
    expect(target.calls.hasBlob).toEqual([]);
  });

  test('a failed upload fails the append once every other write has stopped, before any manifest', async () => {
    const source = freshStore();
    await writeEnvironment(source, join(work, 'env-failing'), 'oci');
    const target = counting(freshStore());
    let inFlight = 0;
    const failing: ImageStore = {
      ...target.store,
      putBlob: async (digest, size, read, from) => {
        inFlight++;
        try {
          if (digest !== layer.digest && target.calls.putBlob?.length === 2)
            throw new Error('quota exceeded');
          return await target.store.putBlob(digest, size, read, from);
        } finally {
          inFlight--;
        }
      },
    };
    await expect(
      appendModelLayer({
        source,
        sourceReference: 'env',
        target: failing,
        tags: ['1.0.0'],
        layer,
        destination: '/app/model',
        labels: LABELS,
        logger: memoryLogger(),
      }),
    ).rejects.toThrow('quota exceeded');
    expect(inFlight).toBe(0);
    expect(target.calls.putManifest).toEqual([]);
  });

  test('an environment image that is not there is named; nothing is tagged, nothing left running', async () => {
    const source = freshStore();
    const target = freshStore();
    await expect(
      appendModelLayer({
        source,
        sourceReference: 'missing',
        target,
        tags: ['1.0.0'],
        layer,
        destination: '/app/model',
        labels: LABELS,
        logger: memoryLogger(),
      }),
    ).rejects.toThrow(new AppendModelError(`environment image 'missing' is not in ${source.name}`));
    expect(await target.getManifest('1.0.0')).toBeUndefined();
    // The layer upload that overlapped the read had finished before the error came back.
    expect(await target.hasBlob(layer.digest)).toBe(true);
  });
});
