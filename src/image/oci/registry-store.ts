// The image store of a registry repository, through the OCI distribution API (registry-client.ts).
// Round trips are what a model-only release costs, so the store avoids the ones it can: a blob it
// has seen referenced by a manifest of the repository, or has put there, is known to be present (a
// registry refuses a manifest whose blobs it lacks and keeps blobs a manifest references), and a
// blob in another repository of the same registry is mounted rather than uploaded. A small blob with
// nowhere to mount it from (a new config) is sent without asking first, and a streamed blob (the
// model layer as it is compressed) needs no question at all.
import { RegistryError, type RegistryClient } from '../registry-client.js';
import { sha256Digest } from './digest.js';
import type { BlobSource, ImageStore, StoredManifest } from './image-store.js';

export interface RegistryLocation {
  client: RegistryClient;
  registry: string;
  repository: string;
}

/** Blobs up to this size are uploaded without asking the registry whether it has them. */
export const ASK_FIRST_ABOVE = 64 * 1024;

const locations = new WeakMap<ImageStore, RegistryLocation>();
/** Blobs known present, per client and repository, shared by every store made for them. */
const knownBlobs = new WeakMap<RegistryClient, Map<string, Set<string>>>();

/** Where a store keeps its images when it is a registry store; undefined for other stores. */
export function registryLocation(store: ImageStore | undefined): RegistryLocation | undefined {
  return store ? locations.get(store) : undefined;
}

function knownIn(client: RegistryClient, repository: string): Set<string> {
  let byRepository = knownBlobs.get(client);
  if (!byRepository) knownBlobs.set(client, (byRepository = new Map()));
  let known = byRepository.get(repository);
  if (!known) byRepository.set(repository, (known = new Set()));
  return known;
}

/** Registry host names compare without case; a port is part of the registry. */
const sameRegistry = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

interface BlobDescriptor {
  digest?: unknown;
  mediaType?: unknown;
  urls?: unknown;
}

/** Digests of the blobs an image manifest references that its registry holds. */
function referencedBlobs(bytes: Buffer): string[] {
  let json: { config?: BlobDescriptor; layers?: unknown };
  try {
    json = JSON.parse(bytes.toString('utf8')) as typeof json;
  } catch {
    return [];
  }
  const descriptors = [json.config, ...(Array.isArray(json.layers) ? (json.layers as BlobDescriptor[]) : [])];
  const digests: string[] = [];
  for (const d of descriptors) {
    if (typeof d?.digest !== 'string') continue;
    // Foreign (non-distributable) layers live at their URLs, not in the registry.
    const foreign =
      Array.isArray(d.urls) ||
      (typeof d.mediaType === 'string' && /foreign|nondistributable/.test(d.mediaType));
    if (!foreign) digests.push(d.digest);
  }
  return digests;
}

export function registryStore(client: RegistryClient, repository: string): ImageStore {
  const known = knownIn(client, repository);
  /** A putBlob in flight per digest, so concurrent callers share one upload. */
  const pending = new Map<string, Promise<'present' | 'mounted' | 'uploaded'>>();

  async function put(
    digest: string,
    size: number,
    source: () => Promise<BlobSource>,
    from: ImageStore | undefined,
  ): Promise<'present' | 'mounted' | 'uploaded'> {
    if (known.has(digest)) return 'present';
    const origin = registryLocation(from);
    const sameHost = origin !== undefined && sameRegistry(origin.registry, client.registry);
    let present: boolean;
    if (!from && size <= ASK_FIRST_ABOVE) {
      // A small blob with nowhere to mount it from (a new config): sending it costs about what asking
      // would, and asking first costs a round trip more when it is new, as it nearly always is.
      present = false;
    } else if (sameHost && origin.repository === repository) {
      // `from` is this repository: known there (to another client's store), or one HEAD.
      present = knownIn(origin.client, repository).has(digest) || (await client.hasBlob(repository, digest));
    } else {
      if (sameHost && (await client.mountBlob(repository, digest, origin.repository))) {
        known.add(digest);
        return 'mounted';
      }
      present = await client.hasBlob(repository, digest);
    }
    if (!present) await client.uploadBlob(repository, digest, size, await source());
    known.add(digest);
    return present ? 'present' : 'uploaded';
  }

  const store: ImageStore = {
    name: `${client.registry}/${repository}`,

    async getManifest(reference): Promise<StoredManifest | undefined> {
      const manifest = await client.getManifestBytes(repository, reference);
      if (manifest) for (const digest of referencedBlobs(manifest.bytes)) known.add(digest);
      return manifest;
    },

    getBlob: (digest) => client.getBlob(repository, digest),

    async hasBlob(digest) {
      if (known.has(digest)) return true;
      const present = await client.hasBlob(repository, digest);
      if (present) known.add(digest);
      return present;
    },

    async putBlob(digest, size, source, from) {
      // A second caller while the first is still at it: one transfer, counted once.
      const running = pending.get(digest);
      if (running) return running.then(() => 'present' as const);
      const result = put(digest, size, source, from).finally(() => pending.delete(digest));
      pending.set(digest, result);
      return result;
    },

    putBlobStream: client.uploadBlobStream
      ? async (chunks, digest, beforeLanding) => {
          const sent = await client.uploadBlobStream!(repository, chunks, digest, beforeLanding);
          known.add(digest());
          return sent;
        }
      : undefined,

    async putManifest(manifest, tag) {
      if (manifest.digest.startsWith('sha256:') && sha256Digest(manifest.bytes) !== manifest.digest)
        throw new RegistryError(
          `pushing to ${store.name}: the manifest's bytes do not hash to ${manifest.digest}`,
          undefined,
          'DIGEST_INVALID',
        );
      // One PUT: a manifest stored under a tag is stored under its digest as well.
      const digest = await client.putManifest(
        repository,
        tag ?? manifest.digest,
        manifest.mediaType,
        manifest.bytes,
      );
      if (digest !== manifest.digest)
        throw new RegistryError(`${store.name} stored the manifest ${manifest.digest} as ${digest}`);
      for (const blob of referencedBlobs(manifest.bytes)) known.add(blob);
    },
  };
  locations.set(store, { client, registry: client.registry, repository });
  return store;
}
