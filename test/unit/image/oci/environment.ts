// Real (tiny) environment images written into a store, for the end-to-end tests of the append: each
// layer is an actual gzip tar, each document's digest holds, and the OCI form carries buildx-style
// attestation manifests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaTypes, type Descriptor } from '../../../../src/image/oci/append.js';
import type { ImageStore, StoredManifest } from '../../../../src/image/oci/image-store.js';
import { buildModelLayer, type ModelLayer } from '../../../../src/image/oci/model-layer.js';
import { sha256 } from './fixtures.js';

export type EnvironmentFormat = 'oci' | 'docker' | 'single';

export const PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
  { os: 'linux', architecture: 'arm', variant: 'v7' },
];

/** A layer of one small file, built by the same writer as model layers. */
async function fileLayer(
  folder: string,
  name: string,
  content: string,
  destination: string,
): Promise<ModelLayer> {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), content);
  return buildModelLayer({ source: join(folder, name), destination });
}

async function putBytes(store: ImageStore, bytes: Buffer): Promise<Descriptor & { bytes: Buffer }> {
  const digest = sha256(bytes);
  await store.putBlob(digest, bytes.length, async () => ({ kind: 'bytes', bytes }));
  return { mediaType: '', digest, size: bytes.length, bytes };
}

async function putLayer(store: ImageStore, layer: ModelLayer): Promise<void> {
  await store.putBlob(layer.digest, layer.size, async () => layer.content);
}

function stored(json: object, mediaType: string): StoredManifest {
  const bytes = Buffer.from(JSON.stringify(json, null, 2));
  return { mediaType, digest: sha256(bytes), bytes };
}

/** Writes the environment image under `tag`; returns what tests compare against. */
export async function writeEnvironment(
  store: ImageStore,
  work: string,
  format: EnvironmentFormat,
  tag = 'env',
): Promise<{ top: StoredManifest; manifests: StoredManifest[]; environmentLayers: string[] }> {
  const docker = format === 'docker';
  const manifestType = docker ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  const layerType = docker ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip;
  const configType = docker
    ? 'application/vnd.docker.container.image.v1+json'
    : 'application/vnd.oci.image.config.v1+json';
  const base = await fileLayer(join(work, 'base'), 'os-release', 'ID=tiny\n', '/etc/os-release');
  await putLayer(store, base);
  const platforms = format === 'single' ? PLATFORMS.slice(1, 2) : PLATFORMS;
  const manifests: StoredManifest[] = [];
  const environmentLayers = new Set([base.digest]);
  for (const platform of platforms) {
    const name = [platform.architecture, platform.variant].filter(Boolean).join('');
    const code = await fileLayer(
      join(work, `code-${name}`),
      'score.py',
      `print("${name}")\n`,
      '/app/score.py',
    );
    await putLayer(store, code);
    environmentLayers.add(code.digest);
    const config = await putBytes(
      store,
      Buffer.from(
        JSON.stringify({
          ...platform,
          created: '2026-11-01T10:00:00Z',
          config: { Cmd: ['python', '/app/score.py'], Labels: { 'org.opencontainers.image.title': 'env' } },
          rootfs: { type: 'layers', diff_ids: [base.diffId, code.diffId] },
          history: [{ created_by: 'ADD os-release' }, { created_by: 'COPY score.py /app/' }],
        }),
      ),
    );
    const manifest = stored(
      {
        schemaVersion: 2,
        mediaType: manifestType,
        config: { mediaType: configType, digest: config.digest, size: config.size },
        layers: [base, code].map((layer) => ({
          mediaType: layerType,
          digest: layer.digest,
          size: layer.size,
        })),
      },
      manifestType,
    );
    await store.putManifest(manifest);
    manifests.push(manifest);
  }
  if (format === 'single') {
    await store.putManifest(manifests[0] as StoredManifest, tag);
    return { top: manifests[0] as StoredManifest, manifests, environmentLayers: [...environmentLayers] };
  }
  const entries: Descriptor[] = manifests.map((manifest, at) => ({
    mediaType: manifestType,
    digest: manifest.digest,
    size: manifest.bytes.length,
    platform: PLATFORMS[at] as Descriptor['platform'],
  }));
  if (format === 'oci')
    entries.push(...(await Promise.all(manifests.map((manifest) => attestation(store, manifest)))));
  const indexType = docker ? MediaTypes.dockerManifestList : MediaTypes.ociIndex;
  const top = stored({ schemaVersion: 2, mediaType: indexType, manifests: entries }, indexType);
  await store.putManifest(top, tag);
  return { top, manifests, environmentLayers: [...environmentLayers] };
}

/** A provenance attestation manifest about `subject`, listed as buildx lists it. */
async function attestation(store: ImageStore, subject: StoredManifest): Promise<Descriptor> {
  const config = await putBytes(store, Buffer.from('{}'));
  const statement = await putBytes(
    store,
    Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', subject: subject.digest })),
  );
  const manifest = stored(
    {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: config.size,
      },
      layers: [{ mediaType: 'application/vnd.in-toto+json', digest: statement.digest, size: statement.size }],
    },
    MediaTypes.ociManifest,
  );
  await store.putManifest(manifest);
  return {
    mediaType: MediaTypes.ociManifest,
    digest: manifest.digest,
    size: manifest.bytes.length,
    annotations: {
      'vnd.docker.reference.digest': subject.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    },
    platform: { os: 'unknown', architecture: 'unknown' },
  };
}
