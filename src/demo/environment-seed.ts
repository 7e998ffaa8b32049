// The demo's environment image, made without Docker: the image a release's model is appended to by
// the model-layer fast path. An OCI index for linux/amd64, linux/arm64 and linux/arm/v7, each
// platform an image of one layer holding the scoring code (src/demo/project/app, below /app): what
// the demo project's Dockerfile builds, minus the base OS layer, which simulated devices never run.
// Everything is reproducible (fixed archive metadata, no timestamps), so seeding again writes
// nothing and the index digest is the same on every machine.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Digest } from '../image/oci/digest.js';
import type { BlobSource, ImageStore, StoredManifest } from '../image/oci/image-store.js';
import { buildModelLayer, removeModelLayer, type ModelLayer } from '../image/oci/model-layer.js';
import { MEDIA_TYPES } from '../image/registry-client.js';

export const ENVIRONMENT_TAG = 'env-demo';
/** Where the scoring code lives in the image; the release's model goes to `${APP_DIR}/model`. */
export const APP_DIR = '/app';
export const MODEL_IMAGE_PATH = `${APP_DIR}/model`;

/** The demo project (Dockerfile, scoring code in app/); the demo adds the model in model/. */
export const DEMO_PROJECT = join(dirname(fileURLToPath(import.meta.url)), 'project');
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface DemoPlatform {
  /** As image platforms are written (the `platforms` input). */
  name: string;
  architecture: string;
  variant?: string;
}

export const DEMO_PLATFORMS: readonly DemoPlatform[] = [
  { name: 'linux/amd64', architecture: 'amd64' },
  { name: 'linux/arm64', architecture: 'arm64' },
  { name: 'linux/arm/v7', architecture: 'arm', variant: 'v7' },
];

export interface SeededEnvironment {
  tag: string;
  /** Digest of the index the tag names. */
  digest: string;
  platforms: string[];
  /** Blobs and manifests written; 0 when the layout held the image already. */
  written: number;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** Canonical JSON bytes of a manifest or config, with their descriptor. */
function jsonBlob(mediaType: string, value: unknown): { bytes: Buffer; descriptor: Descriptor } {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length } };
}

function imageConfig(platform: DemoPlatform, layer: ModelLayer): unknown {
  return {
    architecture: platform.architecture,
    os: 'linux',
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PORT=8080'],
      Entrypoint: ['/bin/sh'],
      Cmd: [`${APP_DIR}/score.sh`],
      WorkingDir: APP_DIR,
      ExposedPorts: { '8080/tcp': {} },
      Labels: { 'org.opencontainers.image.title': 'ml-to-iot-edge demo environment' },
    },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created_by: `COPY app/ ${APP_DIR}/ # seeded by the ml-to-iot-edge demo` }],
  };
}

/**
 * Makes sure `store` holds the demo environment image under `tag`. Blobs already present are left
 * alone; the manifests are written only when the tag does not already name the same index.
 */
export async function seedEnvironmentImage(
  store: ImageStore,
  tag: string = ENVIRONMENT_TAG,
  source: string = join(DEMO_PROJECT, 'app'),
): Promise<SeededEnvironment> {
  // The scoring code is archived exactly like a model: the same reproducible tar writer.
  const layer = await buildModelLayer({ source, destination: APP_DIR });
  try {
    let written = 0;
    const put = async (digest: string, size: number, blob: BlobSource) => {
      if ((await store.putBlob(digest, size, async () => blob)) !== 'present') written++;
    };
    await put(layer.digest, layer.size, layer.content);
    const layerDescriptor: Descriptor = { mediaType: LAYER_TYPE, digest: layer.digest, size: layer.size };

    const manifests: StoredManifest[] = [];
    const entries: unknown[] = [];
    for (const platform of DEMO_PLATFORMS) {
      const config = jsonBlob(CONFIG_TYPE, imageConfig(platform, layer));
      await put(config.descriptor.digest, config.descriptor.size, { kind: 'bytes', bytes: config.bytes });
      const manifest = jsonBlob(MEDIA_TYPES.ociManifest, {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: config.descriptor,
        layers: [layerDescriptor],
      });
      manifests.push({ ...manifest.descriptor, bytes: manifest.bytes });
      entries.push({
        ...manifest.descriptor,
        platform: {
          architecture: platform.architecture,
          os: 'linux',
          ...(platform.variant ? { variant: platform.variant } : {}),
        },
      });
    }
    const index = jsonBlob(MEDIA_TYPES.ociIndex, {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: entries,
    });

    const current = await store.getManifest(tag);
    if (current?.digest !== index.descriptor.digest) {
      for (const manifest of manifests) await store.putManifest(manifest);
      await store.putManifest({ ...index.descriptor, bytes: index.bytes }, tag);
      written += manifests.length + 1;
    }
    return {
      tag,
      digest: index.descriptor.digest,
      platforms: DEMO_PLATFORMS.map((platform) => platform.name),
      written,
    };
  } finally {
    await removeModelLayer(layer);
  }
}
