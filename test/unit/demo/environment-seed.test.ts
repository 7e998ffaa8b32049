// The demo's environment image, seeded into an OCI layout without Docker: an index of three
// platforms, each one layer of scoring code with a config that runs it; seeding again writes nothing.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEMO_PROJECT, seedEnvironmentImage } from '../../../src/demo/environment-seed.js';
import { sha256Digest } from '../../../src/image/oci/digest.js';
import type { ImageStore } from '../../../src/image/oci/image-store.js';
import { layoutStore } from '../../../src/image/oci/layout-store.js';
import { buildModelLayer } from '../../../src/image/oci/model-layer.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
}

let dir: string;
let store: ImageStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'demo-seed-'));
  store = layoutStore(dir);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function json<T>(digest: string): Promise<T> {
  return JSON.parse((await store.getBlob(digest)).toString('utf8')) as T;
}

describe('seedEnvironmentImage', () => {
  test('writes env-demo: an OCI index of amd64, arm64 and arm/v7 images of the scoring code', async () => {
    const seeded = await seedEnvironmentImage(store);
    expect(seeded).toMatchObject({
      tag: 'env-demo',
      platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
    });

    const tagged = await store.getManifest('env-demo');
    expect(tagged).toMatchObject({
      digest: seeded.digest,
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });
    const index = JSON.parse(tagged!.bytes.toString('utf8')) as { manifests: Descriptor[] };
    expect(index.manifests.map((entry) => entry.platform)).toEqual([
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
      { architecture: 'arm', os: 'linux', variant: 'v7' },
    ]);

    // The layer is the scoring code archived by the model-layer writer, below /app.
    const expected = await buildModelLayer({ source: join(DEMO_PROJECT, 'app'), destination: '/app' });
    for (const entry of index.manifests) {
      const manifest = await json<{ config: Descriptor; layers: Descriptor[] }>(entry.digest);
      expect(manifest.layers).toEqual([
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: expected.digest,
          size: expected.size,
        },
      ]);
      const config = await json<{
        architecture: string;
        os: string;
        variant?: string;
        config: { Entrypoint: string[]; Cmd: string[]; WorkingDir: string };
        rootfs: { diff_ids: string[] };
      }>(manifest.config.digest);
      expect(config).toMatchObject({
        architecture: entry.platform!.architecture,
        os: 'linux',
        config: { Entrypoint: ['/bin/sh'], Cmd: ['/app/score.sh'], WorkingDir: '/app' },
        rootfs: { diff_ids: [expected.diffId] },
      });
      expect(config.variant).toBe(entry.platform!.variant);
    }
    const archive = gunzipSync(await store.getBlob(expected.digest)).toString('latin1');
    expect(archive).toContain('app/score.sh');
  });

  test('is idempotent: seeding again writes nothing and gives the same digest', async () => {
    const first = await seedEnvironmentImage(store);
    const index = readFileSync(join(dir, 'index.json'), 'utf8');
    const again = await seedEnvironmentImage(layoutStore(dir));
    expect(first.written).toBeGreaterThan(0);
    expect(again).toEqual({ ...first, written: 0 });
    expect(readFileSync(join(dir, 'index.json'), 'utf8')).toBe(index);
  });

  test('puts the tag back on the seeded index when it names another image', async () => {
    const seeded = await seedEnvironmentImage(store);
    const other = (await store.getManifest('env-demo'))!;
    const index = JSON.parse(other.bytes.toString('utf8')) as { manifests: Descriptor[] };
    const single = Buffer.from(JSON.stringify({ ...index, manifests: index.manifests.slice(0, 1) }));
    await store.putManifest(
      { mediaType: other.mediaType, digest: sha256Digest(single), bytes: single },
      'env-demo',
    );

    const again = await seedEnvironmentImage(store);
    expect(again.written).toBe(4);
    expect((await store.getManifest('env-demo'))!.digest).toBe(seeded.digest);
  });
});
