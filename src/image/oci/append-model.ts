// A model-only release over image stores: read the environment image (index, platform manifests,
// configs), plan the new documents (append.ts), then write in as few dependent rounds as the
// registry rules allow: every blob (the model layer once, configs, the environment's layers when the
// target is another store), then the platform manifests, then the index under each tag.
import type { Logger } from '../../logger.js';
import {
  configDescriptor,
  indexEntries,
  isIndex,
  modelLayerCreatedBy,
  planAppend,
  type AppendPlan,
  type Descriptor,
  type PlatformImage,
} from './append.js';
import type { BlobSource, ImageStore, StoredManifest } from './image-store.js';
import type { LayerIdentity } from './model-layer.js';

export interface AppendModelOptions {
  /** Where the environment image is. */
  source: ImageStore;
  /** The environment image: a tag or a digest. */
  sourceReference: string;
  /** Where the release image goes (may be the same store). */
  target: ImageStore;
  tags: string[];
  /** The layer; without `content` it must have been sent to the target already (`layerSent`). */
  layer: LayerIdentity & { content?: BlobSource };
  /**
   * Blobs the caller has written to the target already, and how (the layer sent while it was made,
   * configs written as soon as its diff_id was known): not written again.
   */
  sent?: ReadonlyMap<string, 'present' | 'mounted' | 'uploaded'>;
  /** The environment image when the caller has read it already (readEnvironmentImage). */
  environment?: EnvironmentImage;
  /** The model's path in the image, for the history entry. */
  destination: string;
  /** Model name, version, hash and any other labels (see modelLabels). */
  labels: Record<string, string>;
  logger: Logger;
}

export interface AppendModelResult {
  /** The release image: the new index, or the new manifest for a single-platform environment. */
  digest: string;
  mediaType: string;
  /** `os/architecture[/variant]`, e.g. linux/arm/v7. */
  platforms: string[];
  manifests: { platform: string; digest: string }[];
  layerDigest: string;
  /** Blob bytes uploaded plus the bytes of every manifest written. */
  bytesUploaded: number;
  blobsMounted: number;
  attestationsDropped: number;
}

/** The environment image as read: its top manifest and each platform's manifest and config. */
export interface EnvironmentImage {
  top: StoredManifest;
  images: Map<string, PlatformImage>;
}

export class AppendModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppendModelError';
  }
}

// Layers a registry does not serve (Windows foreign layers): nothing to copy.
const NOT_COPIED = /foreign|nondistributable/;

export async function appendModelLayer(options: AppendModelOptions): Promise<AppendModelResult> {
  const { source, target, layer, logger } = options;
  // The layer does not depend on the environment image, so its upload overlaps the reads.
  const content = layer.content;
  const sent = options.sent ?? new Map<string, 'present' | 'mounted' | 'uploaded'>();
  const layerSent = sent.get(layer.digest);
  const layerUpload = layerSent
    ? Promise.resolve(layerSent)
    : content
      ? target.putBlob(layer.digest, layer.size, async () => content)
      : Promise.reject(new AppendModelError(`model layer ${layer.digest} has no content and was not sent`));
  layerUpload.catch(() => undefined); // awaited below; a failure while the reads run is not unhandled
  let top: StoredManifest;
  let plan: AppendPlan;
  try {
    const environment = options.environment ?? (await readEnvironmentImage(source, options.sourceReference));
    top = environment.top;
    plan = planAppend(top, environment.images, {
      layer,
      createdBy: modelLayerCreatedBy(options.destination),
      labels: options.labels,
    });
  } catch (error) {
    // Nothing may go on writing once the caller has the error.
    await layerUpload.catch(() => undefined);
    throw error;
  }
  for (const warning of plan.warnings) logger.warning(warning);

  const uploads: Array<Promise<{ how: 'present' | 'mounted' | 'uploaded'; size: number }>> = [
    layerUpload.then((how) => ({ how, size: layer.size })),
  ];
  const put = (digest: string, size: number, read: () => Promise<Buffer>, from?: ImageStore) => {
    const how = sent.get(digest);
    uploads.push(
      how
        ? Promise.resolve({ how, size })
        : target
            .putBlob(digest, size, async () => ({ kind: 'bytes', bytes: await read() }), from)
            .then((how) => ({ how, size })),
    );
  };
  for (const config of unique(
    plan.images.map((image) => image.config),
    (config) => config.digest,
  )) {
    put(config.digest, config.bytes.length, async () => config.bytes);
  }
  // In the same store the environment's blobs are there already: no round trip to ask.
  if (source !== target && source.name !== target.name) {
    const layers = unique(
      plan.images.flatMap((image) => image.environmentLayers),
      (blob) => blob.digest,
    );
    for (const blob of layers.filter((candidate) => !NOT_COPIED.test(candidate.mediaType))) {
      put(blob.digest, blob.size, () => source.getBlob(blob.digest), source);
    }
  }
  const blobs = await settleAll(uploads);
  logger.info(`model layer ${layer.digest} (${layer.size} bytes): ${blobs[0]?.how}`);

  // A registry accepts a manifest only once its blobs, and an index only once its manifests, exist.
  // (A single-manifest environment has no platform manifests apart from the one tagged below.)
  const manifests = isIndex(top)
    ? unique(
        plan.images.map((image) => image.manifest),
        (m) => m.digest,
      )
    : [];
  await settleAll(manifests.map((manifest) => target.putManifest(manifest)));
  const tags = options.tags.length > 0 ? options.tags : [undefined];
  await settleAll(tags.map((tag) => target.putManifest(plan.top, tag)));
  logger.info(
    `release image ${plan.top.digest} (${plan.images.map((image) => image.platform).join(', ')}) in ${target.name}` +
      (options.tags.length > 0 ? ` as ${options.tags.join(', ')}` : ''),
  );

  const manifestBytes = (manifests: StoredManifest[]) =>
    manifests.reduce((total, m) => total + m.bytes.length, 0);
  return {
    digest: plan.top.digest,
    mediaType: plan.top.mediaType,
    platforms: plan.images.map((image) => image.platform),
    manifests: plan.images.map((image) => ({ platform: image.platform, digest: image.manifest.digest })),
    layerDigest: layer.digest,
    bytesUploaded:
      blobs.reduce((total, blob) => total + (blob.how === 'uploaded' ? blob.size : 0), 0) +
      manifestBytes(manifests) +
      plan.top.bytes.length * tags.length,
    blobsMounted: blobs.filter((blob) => blob.how === 'mounted').length,
    attestationsDropped: plan.dropped.length,
  };
}

/**
 * Reads the environment image: its top manifest (unless the caller has it: one round trip less),
 * then every platform's manifest and config.
 */
export async function readEnvironmentImage(
  source: ImageStore,
  reference: string,
  top?: StoredManifest,
): Promise<EnvironmentImage> {
  top ??= await source.getManifest(reference);
  if (!top) throw new AppendModelError(`environment image '${reference}' is not in ${source.name}`);
  return { top, images: await readPlatformImages(source, top) };
}

/** Each platform's manifest and config, read in parallel (two dependent reads per platform). */
async function readPlatformImages(
  source: ImageStore,
  top: StoredManifest,
): Promise<Map<string, PlatformImage>> {
  const digests = isIndex(top)
    ? indexEntries(top).platforms.map((entry: Descriptor) => entry.digest)
    : [top.digest];
  const read = async (digest: string): Promise<[string, PlatformImage]> => {
    const manifest = digest === top.digest ? top : await source.getManifest(digest);
    if (!manifest) throw new AppendModelError(`platform manifest ${digest} is not in ${source.name}`);
    return [digest, { manifest, config: await source.getBlob(configDescriptor(manifest).digest) }];
  };
  return new Map(await Promise.all([...new Set(digests)].map(read)));
}

/** Like Promise.all, but rejects only once every write has stopped: none runs on after an error. */
async function settleAll<T>(writes: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

function unique<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
