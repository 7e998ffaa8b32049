// The new image documents of a model-only release, as pure functions of the environment image's
// documents: each platform's config gains the layer's diff_id, a history entry and the model labels;
// each manifest gains the layer; the index (or manifest list) points at the new manifests. Documents
// are re-serialised compactly in their input key order, so the same inputs give the same bytes.
import { MODEL_NAME_LABEL, MODEL_VERSION_LABEL } from '../labels.js';
import { MEDIA_TYPES } from '../registry-client.js';
import { sha256Digest } from './digest.js';
import type { StoredManifest } from './image-store.js';

export const MODEL_HASH_LABEL = 'ml-to-iot-edge.model.hash';

export const MediaTypes = {
  ociIndex: MEDIA_TYPES.ociIndex,
  ociManifest: MEDIA_TYPES.ociManifest,
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifestList: MEDIA_TYPES.dockerList,
  dockerManifest: MEDIA_TYPES.dockerManifest,
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const INDEX_TYPES: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerManifestList];
const MANIFEST_TYPES: readonly string[] = [MediaTypes.ociManifest, MediaTypes.dockerManifest];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  [key: string]: unknown;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** The model layer as the documents see it (ModelLayer has these and more). */
export interface LayerInfo {
  digest: string;
  diffId: string;
  size: number;
}

export interface AppendChanges {
  layer: LayerInfo;
  /** The history entry's `created_by` (see modelLayerCreatedBy). */
  createdBy: string;
  /** Merged into the config's labels; a given key replaces the environment's value. */
  labels: Record<string, string>;
}

/** One platform of the environment image: its manifest and the config blob it names. */
export interface PlatformImage {
  manifest: StoredManifest;
  config: Buffer;
}

export interface AppendedImage {
  /** `os/architecture[/variant]`. */
  platform: string;
  /** Digest of the environment image's manifest this one replaces. */
  replaces: string;
  manifest: StoredManifest;
  config: { digest: string; bytes: Buffer };
  /** The environment's layers the manifest keeps referring to (blobs the target must have). */
  environmentLayers: Descriptor[];
}

export interface AppendPlan {
  /** What tags point at: the new index, or the new manifest when the input was a single manifest. */
  top: StoredManifest;
  images: AppendedImage[];
  /** Index entries left out (attestations), and why, for the log. */
  dropped: Descriptor[];
  warnings: string[];
}

export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFormatError';
  }
}

/** The labels that say which model a release image holds. */
export function modelLabels(model: {
  name?: string;
  version?: string;
  hash?: string;
}): Record<string, string> {
  const labels: Record<string, string> = {};
  if (model.name) labels[MODEL_NAME_LABEL] = model.name;
  if (model.version) labels[MODEL_VERSION_LABEL] = model.version;
  if (model.hash) labels[MODEL_HASH_LABEL] = model.hash;
  return labels;
}

/** The history line of the model layer, in the style of a Dockerfile step. */
export function modelLayerCreatedBy(destination: string): string {
  return `COPY model ${destination} # ml-to-iot-edge model layer`;
}

/**
 * Build provenance and SBOM entries of an index: they describe (and name as subject) the manifests
 * being replaced, so they cannot be carried over as they are.
 */
export function isAttestation(descriptor: Descriptor): boolean {
  if (descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}

export function platformString(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** The document's media type: its own `mediaType` field, else what the store said, else its shape. */
export function mediaTypeOf(document: StoredManifest): string {
  const json = parse(document.bytes, document.digest);
  if (typeof json.mediaType === 'string') return json.mediaType;
  if (document.mediaType) return document.mediaType;
  return Array.isArray(json.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
}

export function isIndex(document: StoredManifest): boolean {
  return INDEX_TYPES.includes(mediaTypeOf(document));
}

/** An index's platform images and its attestations; anything else it lists is refused. */
export function indexEntries(index: StoredManifest): { platforms: Descriptor[]; attestations: Descriptor[] } {
  const json = parse(index.bytes, index.digest);
  if (!Array.isArray(json.manifests))
    throw new ImageFormatError(`index ${index.digest} has no manifests list`);
  const platforms: Descriptor[] = [];
  const attestations: Descriptor[] = [];
  for (const entry of json.manifests as Descriptor[]) {
    if (isAttestation(entry)) attestations.push(entry);
    else if (MANIFEST_TYPES.includes(entry.mediaType) && entry.platform) platforms.push(entry);
    else {
      throw new ImageFormatError(
        `index ${index.digest} lists ${entry.digest} (${entry.mediaType}${entry.platform ? '' : ', no platform'}): ` +
          'only image manifests with a platform, and attestations, can take a model layer',
      );
    }
  }
  if (platforms.length === 0) throw new ImageFormatError(`index ${index.digest} lists no platform image`);
  return { platforms, attestations };
}

/**
 * All new documents of the release. `images` holds, by manifest digest, every platform image the
 * index lists (see indexEntries), or the one image when `top` is a single manifest.
 */
export function planAppend(
  top: StoredManifest,
  images: ReadonlyMap<string, PlatformImage>,
  changes: AppendChanges,
): AppendPlan {
  const imageOf = (digest: string): PlatformImage => {
    const image = images.get(digest);
    if (!image) throw new ImageFormatError(`platform manifest ${digest} was not provided`);
    return image;
  };
  if (!isIndex(top)) {
    const image = appendToImage(imageOf(top.digest), changes);
    return { top: image.manifest, images: [image], dropped: [], warnings: [] };
  }
  const { platforms, attestations } = indexEntries(top);
  const appended = platforms.map((entry) => {
    const image = appendToImage(imageOf(entry.digest), changes);
    return { ...image, platform: platformString(entry.platform as Platform) };
  });
  const replacements = new Map(appended.map((image) => [image.replaces, image.manifest]));
  const json = parse(top.bytes, top.digest);
  json.manifests = (json.manifests as Descriptor[])
    .filter((entry) => !isAttestation(entry))
    .map((entry) => {
      const manifest = replacements.get(entry.digest) as StoredManifest;
      return { ...entry, digest: manifest.digest, size: manifest.bytes.length };
    });
  const warnings =
    attestations.length === 0
      ? []
      : [
          `dropped ${attestations.length} attestation manifest(s) of the environment image ` +
            `(${attestations.map((entry) => entry.digest).join(', ')}): they attest the environment's ` +
            'manifests, not the release image with the model layer',
        ];
  return { top: serialise(json, mediaTypeOf(top)), images: appended, dropped: attestations, warnings };
}

/** The config descriptor of an image manifest: which blob to read before planAppend. */
export function configDescriptor(manifest: StoredManifest): Descriptor {
  const config = parse(manifest.bytes, manifest.digest).config as Descriptor | undefined;
  if (typeof config?.digest !== 'string')
    throw new ImageFormatError(`manifest ${manifest.digest} has no config`);
  return config;
}

/** The config and manifest of one platform with the model layer on top. */
function appendToImage(image: PlatformImage, changes: AppendChanges): AppendedImage {
  const manifestType = mediaTypeOf(image.manifest);
  if (!MANIFEST_TYPES.includes(manifestType)) {
    throw new ImageFormatError(`${image.manifest.digest} is a ${manifestType}, not an image manifest`);
  }
  const manifest = parse(image.manifest.bytes, image.manifest.digest);
  const layers = manifest.layers as Descriptor[] | undefined;
  const configDescriptor = manifest.config as Descriptor | undefined;
  if (!Array.isArray(layers) || !configDescriptor) {
    throw new ImageFormatError(`manifest ${image.manifest.digest} has no config or layers`);
  }
  if (sha256Digest(image.config) !== configDescriptor.digest) {
    throw new ImageFormatError(
      `the config given for ${image.manifest.digest} is not ${configDescriptor.digest}`,
    );
  }
  const config = appendToConfig(image.config, changes, layers.length);
  const configDigest = sha256Digest(config);
  const layerType =
    manifestType === MediaTypes.dockerManifest ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip;
  manifest.config = { ...configDescriptor, digest: configDigest, size: config.length };
  manifest.layers = [
    ...layers,
    { mediaType: layerType, digest: changes.layer.digest, size: changes.layer.size },
  ];
  return {
    platform: configPlatform(config),
    replaces: image.manifest.digest,
    manifest: serialise(manifest, manifestType),
    config: { digest: configDigest, bytes: config },
    environmentLayers: layers,
  };
}

/** What a config needs of the changes: the layer's diff_id, not its digest (known later when streamed). */
export type ConfigChanges = Omit<AppendChanges, 'layer'> & { layer: Pick<LayerInfo, 'diffId'> };

/**
 * The new config of one platform image, as appendToImage makes it: it needs only the diff_id, so a
 * streamed layer's configs can be written before its compressed digest is known.
 */
export function appendedConfig(image: PlatformImage, changes: ConfigChanges): Buffer {
  const layers = parse(image.manifest.bytes, image.manifest.digest).layers;
  if (!Array.isArray(layers))
    throw new ImageFormatError(`manifest ${image.manifest.digest} has no config or layers`);
  if (sha256Digest(image.config) !== configDescriptor(image.manifest).digest)
    throw new ImageFormatError(`the config given for ${image.manifest.digest} is not the one it names`);
  return appendToConfig(image.config, changes, layers.length);
}

/** The config with the layer's diff_id, a history entry (when the config keeps history) and labels. */
export function appendToConfig(configBytes: Buffer, changes: ConfigChanges, manifestLayers: number): Buffer {
  const config = parse(configBytes, 'the image config');
  const rootfs = config.rootfs as { type?: string; diff_ids?: unknown } | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids))
    throw new ImageFormatError('the image config has no rootfs.diff_ids');
  if (rootfs.diff_ids.length !== manifestLayers) {
    throw new ImageFormatError(
      `the image config lists ${rootfs.diff_ids.length} layers but its manifest ${manifestLayers}: they do not belong together`,
    );
  }
  rootfs.diff_ids = [...rootfs.diff_ids, changes.layer.diffId];
  // No `created` time in the entry: the same model must give the same config.
  if (Array.isArray(config.history)) config.history = [...config.history, { created_by: changes.createdBy }];
  const runtime = (config.config ?? {}) as Record<string, unknown>;
  runtime.Labels = { ...((runtime.Labels ?? {}) as Record<string, string>), ...changes.labels };
  config.config = runtime;
  return Buffer.from(JSON.stringify(config));
}

function configPlatform(config: Buffer): string {
  const json = parse(config, 'the image config') as Partial<Platform>;
  return platformString({
    os: json.os ?? 'unknown',
    architecture: json.architecture ?? 'unknown',
    variant: json.variant,
  });
}

function serialise(json: Record<string, unknown>, mediaType: string): StoredManifest {
  const bytes = Buffer.from(JSON.stringify(json));
  return { mediaType, digest: sha256Digest(bytes), bytes };
}

function parse(bytes: Buffer, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ImageFormatError(`${what} is not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ImageFormatError(`${what} is not a JSON object`);
  }
  return json as Record<string, unknown>;
}
