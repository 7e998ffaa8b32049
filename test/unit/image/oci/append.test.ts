import { describe, expect, test } from '@jest/globals';
import {
  appendToConfig,
  ImageFormatError,
  indexEntries,
  isAttestation,
  MediaTypes,
  mediaTypeOf,
  MODEL_HASH_LABEL,
  modelLabels,
  modelLayerCreatedBy,
  planAppend,
  type AppendChanges,
  type AppendPlan,
  type Descriptor,
  type PlatformImage,
} from '../../../../src/image/oci/append.js';
import { MODEL_NAME_LABEL, MODEL_VERSION_LABEL } from '../../../../src/image/labels.js';
import { fixture, parseJson, platformImages, sha256, storedFixture } from './fixtures.js';

const CHANGES: AppendChanges = {
  layer: {
    digest: sha256(Buffer.from('model layer')),
    diffId: sha256(Buffer.from('model tar')),
    size: 123_456,
  },
  createdBy: modelLayerCreatedBy('/app/model'),
  labels: { ...modelLabels({ name: 'vision', version: '7', hash: 'abc123' }), 'org.example.extra': 'yes' },
};

interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}
interface Config {
  architecture: string;
  created: string;
  rootfs: { diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
  config: { Labels: Record<string, string> | null; Cmd: string[] };
}

/** Every new document's digest and size hold for its bytes, and each manifest points at its config. */
function expectConsistent(plan: AppendPlan): void {
  expect(plan.top.digest).toBe(sha256(plan.top.bytes));
  for (const image of plan.images) {
    expect(image.manifest.digest).toBe(sha256(image.manifest.bytes));
    expect(image.config.digest).toBe(sha256(image.config.bytes));
    const manifest = parseJson<Manifest>(image.manifest.bytes);
    expect(manifest.config.digest).toBe(image.config.digest);
    expect(manifest.config.size).toBe(image.config.bytes.length);
    expect(parseJson<Config>(image.config.bytes).rootfs.diff_ids).toHaveLength(manifest.layers.length);
  }
}

describe('planAppend: OCI index with attestations', () => {
  const index = storedFixture('oci-index.json');
  const images = platformImages('oci');
  const plan = planAppend(index, images, CHANGES);
  const newIndex = parseJson<{
    mediaType: string;
    manifests: Descriptor[];
    annotations: Record<string, string>;
  }>(plan.top.bytes);
  const oldIndex = parseJson<{ manifests: Descriptor[] }>(index.bytes);

  test('the new index keeps its media type, annotations and each platform entry, and drops the attestations', () => {
    expect(plan.top.mediaType).toBe(MediaTypes.ociIndex);
    expect(newIndex.mediaType).toBe(MediaTypes.ociIndex);
    expect(newIndex.annotations).toEqual({ 'org.opencontainers.image.description': 'scoring environment' });
    const kept = oldIndex.manifests.slice(0, 3);
    expect(newIndex.manifests).toHaveLength(3);
    newIndex.manifests.forEach((entry, at) => {
      expect(entry.platform).toEqual(kept[at]?.platform);
      expect(entry.annotations).toEqual(kept[at]?.annotations);
      expect(entry.mediaType).toBe(MediaTypes.ociManifest);
      expect(entry.digest).toBe(plan.images[at]?.manifest.digest);
      expect(entry.size).toBe(plan.images[at]?.manifest.bytes.length);
      expect(entry.digest).not.toBe(kept[at]?.digest);
    });
    expect(plan.images.map((image) => image.platform)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'linux/arm/v7',
    ]);
  });

  test('the attestations are reported, never carried over pointing at old manifests', () => {
    expect(plan.dropped.map((entry) => entry.digest)).toEqual(
      oldIndex.manifests.slice(3).map((entry) => entry.digest),
    );
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatch(/dropped 3 attestation manifest/);
    expect(plan.top.bytes.toString()).not.toContain('attestation-manifest');
    expect(plan.top.bytes.toString()).not.toContain('unknown');
  });

  test('each manifest gains the model layer, an OCI gzip layer, after the environment layers', () => {
    for (const image of plan.images) {
      const old = parseJson<Manifest>((images.get(image.replaces) as PlatformImage).manifest.bytes);
      const manifest = parseJson<Manifest>(image.manifest.bytes);
      expect(manifest.mediaType).toBe(MediaTypes.ociManifest);
      expect(manifest.layers.slice(0, 2)).toEqual(old.layers);
      expect(manifest.layers[2]).toEqual({
        mediaType: MediaTypes.ociLayerGzip,
        digest: CHANGES.layer.digest,
        size: CHANGES.layer.size,
      });
      expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
      expect(manifest.annotations).toEqual(old.annotations);
      expect(image.environmentLayers).toEqual(old.layers);
    }
    expectConsistent(plan);
  });

  test('each config gains the diff_id, a history entry and the labels; the rest stays', () => {
    for (const image of plan.images) {
      const oldManifest = parseJson<Manifest>((images.get(image.replaces) as PlatformImage).manifest.bytes);
      const old = parseJson<Config>(fixture(`config-${image.platform.split('/').slice(1).join('')}.json`));
      expect(sha256(fixture(`config-${image.platform.split('/').slice(1).join('')}.json`))).toBe(
        oldManifest.config.digest,
      );
      const config = parseJson<Config>(image.config.bytes);
      expect(config.rootfs.diff_ids).toEqual([...old.rootfs.diff_ids, CHANGES.layer.diffId]);
      expect(config.history).toEqual([
        ...(old.history ?? []),
        { created_by: 'COPY model /app/model # ml-to-iot-edge model layer' },
      ]);
      expect(config.config.Labels).toEqual({
        'org.opencontainers.image.title': 'scoring-env',
        [MODEL_NAME_LABEL]: 'vision',
        [MODEL_VERSION_LABEL]: '7',
        [MODEL_HASH_LABEL]: 'abc123',
        'org.example.extra': 'yes',
      });
      expect({
        ...config,
        rootfs: undefined,
        history: undefined,
        config: { ...config.config, Labels: undefined },
      }).toEqual({
        ...old,
        rootfs: undefined,
        history: undefined,
        config: { ...old.config, Labels: undefined },
      });
    }
  });

  test('the same inputs give byte-identical documents', () => {
    const again = planAppend(storedFixture('oci-index.json'), platformImages('oci'), CHANGES);
    expect(again.top.bytes.equals(plan.top.bytes)).toBe(true);
    again.images.forEach((image, at) => {
      expect(image.manifest.bytes.equals(plan.images[at]?.manifest.bytes as Buffer)).toBe(true);
      expect(image.config.bytes.equals(plan.images[at]?.config.bytes as Buffer)).toBe(true);
    });
    expect(plan.top.bytes.toString()).not.toMatch(/\s$/);
  });

  test('another model gives other documents', () => {
    const other = planAppend(index, images, {
      ...CHANGES,
      layer: { ...CHANGES.layer, digest: sha256(Buffer.from('2')) },
    });
    expect(other.top.digest).not.toBe(plan.top.digest);
  });
});

describe('planAppend: Docker manifest list', () => {
  const list = storedFixture('docker-manifest-list.json');
  const plan = planAppend(list, platformImages('docker'), CHANGES);

  test('stays a Docker manifest list of Docker manifests with Docker gzip layers', () => {
    expect(plan.top.mediaType).toBe(MediaTypes.dockerManifestList);
    const json = parseJson<{ mediaType: string; manifests: Descriptor[] }>(plan.top.bytes);
    expect(json.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(json.manifests.map((entry) => entry.platform)).toEqual(
      parseJson<{ manifests: Descriptor[] }>(list.bytes).manifests.map((entry) => entry.platform),
    );
    expect(json.manifests.every((entry) => entry.annotations === undefined)).toBe(true);
    for (const image of plan.images) {
      const manifest = parseJson<Manifest>(image.manifest.bytes);
      expect(image.manifest.mediaType).toBe(MediaTypes.dockerManifest);
      expect(manifest.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
      expect(manifest.layers.map((layer) => layer.mediaType)).toEqual([
        MediaTypes.dockerLayerGzip,
        MediaTypes.dockerLayerGzip,
        MediaTypes.dockerLayerGzip,
      ]);
    }
    expect(plan.warnings).toEqual([]);
    expect(plan.dropped).toEqual([]);
    expectConsistent(plan);
  });

  test('the same configs as the OCI index give the same new configs', () => {
    const oci = planAppend(storedFixture('oci-index.json'), platformImages('oci'), CHANGES);
    expect(plan.images.map((image) => image.config.digest)).toEqual(
      oci.images.map((image) => image.config.digest),
    );
  });
});

describe('planAppend: a single manifest', () => {
  const manifest = storedFixture('single-manifest.json');
  const images = new Map([[manifest.digest, { manifest, config: fixture('config-single.json') }]]);
  const plan = planAppend(manifest, images, CHANGES);

  test('gives a single manifest, its platform from the config', () => {
    expect(plan.top).toBe(plan.images[0]?.manifest);
    expect(plan.top.mediaType).toBe(MediaTypes.dockerManifest);
    expect(plan.images.map((image) => image.platform)).toEqual(['linux/arm64']);
    expect(parseJson<Manifest>(plan.top.bytes).layers.at(-1)?.mediaType).toBe(MediaTypes.dockerLayerGzip);
    expectConsistent(plan);
  });

  test('a config without history gets none (it would not match the layers); null labels become the labels', () => {
    const config = parseJson<Config>(plan.images[0]?.config.bytes as Buffer);
    expect(config.history).toBeUndefined();
    expect(config.config.Labels).toEqual(CHANGES.labels);
    expect(config.config.Cmd).toEqual(['/app/serve']);
  });
});

describe('planAppend: refusals', () => {
  const index = storedFixture('oci-index.json');

  test('a platform image not provided', () => {
    const images = platformImages('oci');
    images.delete([...images.keys()][1] as string);
    expect(() => planAppend(index, images, CHANGES)).toThrow(/was not provided/);
  });

  test('a config that is not the one the manifest names', () => {
    const images = platformImages('oci');
    const [digest, image] = [...images.entries()][0] as [string, PlatformImage];
    images.set(digest, { ...image, config: fixture('config-arm64.json') });
    expect(() => planAppend(index, images, CHANGES)).toThrow(/is not sha256:/);
  });

  test('a config whose layers do not match the manifest', () => {
    expect(() => appendToConfig(fixture('config-amd64.json'), CHANGES, 3)).toThrow(
      /lists 2 layers but its manifest 3/,
    );
  });

  test('an index inside the index', () => {
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          {
            mediaType: MediaTypes.ociIndex,
            digest: index.digest,
            size: index.bytes.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const stored = { mediaType: MediaTypes.ociIndex, digest: sha256(nested), bytes: nested };
    expect(() => planAppend(stored, new Map(), CHANGES)).toThrow(ImageFormatError);
  });

  test('an index of attestations only', () => {
    const json = parseJson<{ manifests: Descriptor[] }>(index.bytes);
    const bytes = Buffer.from(JSON.stringify({ ...json, manifests: json.manifests.slice(3) }));
    expect(() => indexEntries({ mediaType: MediaTypes.ociIndex, digest: sha256(bytes), bytes })).toThrow(
      /no platform image/,
    );
  });

  test('a document that is not JSON', () => {
    const bytes = Buffer.from('<html>');
    expect(() =>
      planAppend({ mediaType: MediaTypes.ociIndex, digest: sha256(bytes), bytes }, new Map(), CHANGES),
    ).toThrow(/is not JSON/);
  });
});

describe('isAttestation', () => {
  const entry = (extra: Partial<Descriptor>): Descriptor => ({
    mediaType: MediaTypes.ociManifest,
    digest: sha256(Buffer.from('x')),
    size: 1,
    ...extra,
  });
  test.each<[string, boolean, Descriptor]>([
    [
      'buildx attestation',
      true,
      entry({
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        platform: { os: 'unknown', architecture: 'unknown' },
      }),
    ],
    [
      'annotation only',
      true,
      entry({ annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }),
    ],
    ['unknown/unknown platform only', true, entry({ platform: { os: 'unknown', architecture: 'unknown' } })],
    ['linux/arm/v7 image', false, entry({ platform: { os: 'linux', architecture: 'arm', variant: 'v7' } })],
    ['unknown os, known architecture', false, entry({ platform: { os: 'unknown', architecture: 'amd64' } })],
    ['other annotation', false, entry({ annotations: { 'vnd.docker.reference.type': 'something-else' } })],
  ])('%s → %p', (_name, expected, descriptor) => {
    expect(isAttestation(descriptor)).toBe(expected);
  });
});

describe('mediaTypeOf', () => {
  const stored = (json: object, mediaType = '') => {
    const bytes = Buffer.from(JSON.stringify(json));
    return { mediaType, digest: sha256(bytes), bytes };
  };
  test.each<[string, ReturnType<typeof stored>, string]>([
    [
      'own field wins',
      stored({ mediaType: MediaTypes.dockerManifest }, MediaTypes.ociManifest),
      MediaTypes.dockerManifest,
    ],
    [
      'else the store’s',
      stored({ schemaVersion: 2 }, MediaTypes.dockerManifestList),
      MediaTypes.dockerManifestList,
    ],
    ['else an index by shape', stored({ manifests: [] }), MediaTypes.ociIndex],
    ['else a manifest', stored({ layers: [] }), MediaTypes.ociManifest],
  ])('%s', (_name, document, expected) => {
    expect(mediaTypeOf(document)).toBe(expected);
  });
});

test('modelLabels leaves out what is not known', () => {
  expect(modelLabels({ name: 'vision', hash: '' })).toEqual({ [MODEL_NAME_LABEL]: 'vision' });
});
