// An OCI image layout folder as an ImageStore: `oci-layout`, `index.json` (tags are entries with an
// `org.opencontainers.image.ref.name` annotation) and `blobs/sha256/<hex>`. Every write is checked
// against its digest and lands by rename, so a reader never sees half a blob or half an index.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MediaTypes } from './append.js';
import { isSha256Digest, sha256Digest, sha256Hex } from './digest.js';
import type { BlobSource, ImageStore } from './image-store.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }>;
  [key: string]: unknown;
}

/** The folders of layout stores, so one layout can copy a blob straight from another. */
const layoutFolders = new WeakMap<ImageStore, string>();

export class LayoutStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutStoreError';
  }
}

export function layoutStore(dir: string): ImageStore {
  const root = resolve(dir);
  const blobPath = (digest: string) => join(root, 'blobs', 'sha256', sha256Hex(digest));
  // index.json updates are read-modify-write: one at a time within this process.
  let indexQueue: Promise<unknown> = Promise.resolve();
  let initialised: Promise<void> | undefined;

  const initialise = () =>
    (initialised ??= (async () => {
      await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
      if (!(await exists(join(root, 'oci-layout')))) {
        await writeAtomically(
          join(root, 'oci-layout'),
          Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })),
        );
      }
    })());

  const readIndex = async (): Promise<LayoutIndex> => {
    const bytes = await readIfExists(join(root, 'index.json'));
    if (!bytes) return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [] };
    const index = JSON.parse(bytes.toString('utf8')) as LayoutIndex;
    if (!Array.isArray(index.manifests))
      throw new LayoutStoreError(`${root}/index.json has no manifests list`);
    return index;
  };

  const readVerified = async (digest: string): Promise<Buffer | undefined> => {
    const bytes = await readIfExists(blobPath(digest));
    if (bytes && sha256Digest(bytes) !== digest) {
      throw new LayoutStoreError(`blob ${digest} in ${root} is corrupt: its content has another digest`);
    }
    return bytes;
  };

  const store: ImageStore = {
    name: `oci-layout:${root}`,

    async getManifest(reference) {
      const index = await readIndex();
      const entry = isSha256Digest(reference)
        ? index.manifests.find((candidate) => candidate.digest === reference)
        : index.manifests.findLast((candidate) => candidate.annotations?.[REF_NAME_ANNOTATION] === reference);
      const digest = isSha256Digest(reference) ? reference : entry?.digest;
      if (!digest) return undefined;
      const bytes = await readVerified(digest);
      if (!bytes) return undefined;
      const ownType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
      const mediaType = entry?.mediaType ?? (typeof ownType === 'string' ? ownType : undefined);
      if (!mediaType) throw new LayoutStoreError(`${digest} in ${root} does not say its media type`);
      return { mediaType, digest, bytes };
    },

    async getBlob(digest) {
      const bytes = await readVerified(digest);
      if (!bytes) throw new LayoutStoreError(`blob ${digest} is not in ${root}`);
      return bytes;
    },

    async hasBlob(digest) {
      return exists(blobPath(digest));
    },

    async putBlob(digest, size, source, from) {
      const path = blobPath(digest);
      const present = await stat(path).catch(() => undefined);
      if (present?.size === size) return 'present';
      await initialise();
      const fromFolder = from ? layoutFolders.get(from) : undefined;
      if (fromFolder && fromFolder !== root) {
        // Another layout: a file copy, no bytes through `source`.
        await writeVerified(path, digest, size, {
          kind: 'file',
          path: join(fromFolder, 'blobs', 'sha256', sha256Hex(digest)),
        });
        return 'mounted';
      }
      await writeVerified(path, digest, size, await source());
      return 'uploaded';
    },

    async putManifest(manifest, tag) {
      if (sha256Digest(manifest.bytes) !== manifest.digest) {
        throw new LayoutStoreError(`manifest bytes do not match their digest ${manifest.digest}`);
      }
      const path = blobPath(manifest.digest);
      const written = initialise().then(async () => {
        if (!(await exists(path))) await writeAtomically(path, manifest.bytes);
      });
      if (tag === undefined) return written;
      // Queued now, not once the blob is written: tags land in index.json in the order they were given.
      const update = indexQueue.then(async () => {
        await written;
        const index = await readIndex();
        index.manifests = index.manifests.filter((entry) => entry.annotations?.[REF_NAME_ANNOTATION] !== tag);
        index.manifests.push({
          mediaType: manifest.mediaType,
          digest: manifest.digest,
          size: manifest.bytes.length,
          annotations: { [REF_NAME_ANNOTATION]: tag },
        });
        await writeAtomically(join(root, 'index.json'), Buffer.from(JSON.stringify(index)));
      });
      indexQueue = update.catch(() => undefined);
      return update;
    },
  };
  layoutFolders.set(store, root);
  return store;
}

/** Streams a blob into place through its digest check; nothing is left behind when it fails. */
async function writeVerified(path: string, digest: string, size: number, source: BlobSource): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const hash = createHash('sha256');
  let written = 0;
  try {
    if (source.kind === 'bytes') {
      hash.update(source.bytes);
      written = source.bytes.length;
      await writeFile(temporary, source.bytes, { flag: 'wx' });
    } else {
      const count = async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          written += chunk.length;
          yield chunk;
        }
      };
      await pipeline(createReadStream(source.path), count, createWriteStream(temporary, { flags: 'wx' }));
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest || written !== size) {
      throw new LayoutStoreError(
        `blob content is ${actual} (${written} bytes), expected ${digest} (${size} bytes)`,
      );
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, bytes, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
