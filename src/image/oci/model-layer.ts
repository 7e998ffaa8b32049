// The model files as one reproducible image layer: a ustar archive (sorted paths, parent folders
// included, fixed times and ownership, 0644/0755 modes) gzip-compressed with fixed settings, so the
// same model always gives the same layer digest whatever the machine, checkout time or owner.
// Both digests are computed while the archive streams; large layers go to a temporary file so a big
// model never has to fit in memory, or, with sendModelLayer, straight to an upload as they are
// compressed (the registry needs the digest only when the upload closes).
import { createHash, randomUUID } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  readdirSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip, type ZlibOptions } from 'node:zlib';
import type { BlobSource } from './image-store.js';
import { TAR_END, tarEntrySize, tarHeader, tarPadding, type TarEntry } from './tar.js';

export interface ModelLayerOptions {
  /** A model file or folder on disk. */
  source: string;
  /** Absolute path in the image: a file source becomes this file, a folder's contents go below it. */
  destination: string;
  /** Where a large layer is written (default: the system's temporary folder). */
  tempDir?: string;
}

/** What identifies a layer: known once every byte has been compressed. */
export interface LayerIdentity {
  /** sha256 of the compressed layer: the blob digest in manifests. */
  digest: string;
  /** sha256 of the uncompressed archive: the diff_id in the image config. */
  diffId: string;
  /** Bytes of the compressed layer. */
  size: number;
}

export interface ModelLayerInfo extends LayerIdentity {
  /** Regular files in the layer. */
  fileCount: number;
  /** Bytes of the uncompressed archive. */
  uncompressedSize: number;
}

export interface ModelLayer extends ModelLayerInfo {
  /** The compressed layer: in memory when small, else a temporary file (see removeModelLayer). */
  content: BlobSource;
}

/**
 * Takes the compressed layer as it is made (an upload). `identity()` may be called once `chunks`
 * has been read to its end; a sink that stops early must throw, so the layer is not taken as sent.
 */
export type LayerSink = (chunks: AsyncIterable<Buffer>, identity: () => LayerIdentity) => Promise<void>;

/** Archives up to this size are built in memory with full compression; larger ones stream to a file. */
export const IN_MEMORY_LIMIT = 4 * 1024 * 1024;

// Fixed compression settings are part of the layer's identity. Large layers are mostly weights, where
// string matching finds next to nothing and only costs time: Huffman coding alone compresses them as
// well, several times faster.
const SMALL_GZIP: ZlibOptions = { level: 6, windowBits: 15, memLevel: 8 };
const LARGE_GZIP: ZlibOptions = { ...SMALL_GZIP, strategy: zlibConstants.Z_HUFFMAN_ONLY };
const READ_CHUNK = 1024 * 1024;
// Output chunk size changes no byte of the output, only how many chunks the hash and file see.
const GZIP_CHUNK = 256 * 1024;

export class ModelLayerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLayerError';
  }
}

/** One archive entry with its header already built (headers are small; bodies are read later). */
interface PlannedEntry {
  header: Buffer;
  entry: TarEntry;
  /** The file on disk whose bytes are the entry's body. */
  file?: string;
}

/** The archive plan of a model: entries with their headers, and what the layer will hold. */
function planLayer(options: ModelLayerOptions) {
  const entries = planEntries(resolve(options.source), layerPath(options.destination));
  const uncompressedSize =
    entries.reduce((total, planned) => total + tarEntrySize(planned.header, planned.entry.size), 0) +
    TAR_END.length;
  const fileCount = entries.filter((planned) => planned.file !== undefined).length;
  return { entries, uncompressedSize, fileCount, small: uncompressedSize <= IN_MEMORY_LIMIT };
}

/**
 * Archives, compresses and hashes the planned entries into `sink`. The settings depend only on the
 * archive's size, so a layer sent and one built from the same model are byte for byte the same.
 */
async function compress(
  layer: ReturnType<typeof planLayer>,
  sink: (chunks: AsyncIterable<Buffer>, identity: () => LayerIdentity) => Promise<void>,
  onDiffId?: (diffId: string) => void,
): Promise<LayerIdentity> {
  const tarHash = createHash('sha256');
  const gzipHash = createHash('sha256');
  let size = 0;
  let identity: LayerIdentity | undefined;
  let diffId: string | undefined;
  let finished = false;
  const hashTar = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      tarHash.update(chunk);
      yield chunk;
    }
    diffId = `sha256:${tarHash.digest('hex')}`;
    onDiffId?.(diffId);
  };
  const hashGzip = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      gzipHash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
    finished = true;
  };
  const identityOf = (): LayerIdentity => {
    if (!finished) throw new ModelLayerError('the model layer was asked for its digest before its end');
    return (identity ??= { digest: `sha256:${gzipHash.digest('hex')}`, diffId: diffId!, size });
  };
  const gzip = createGzip({ ...(layer.small ? SMALL_GZIP : LARGE_GZIP), chunkSize: GZIP_CHUNK });
  await pipeline(archive(layer.entries), hashTar, gzip, hashGzip, (chunks: AsyncIterable<Buffer>) =>
    sink(chunks, identityOf),
  );
  return identityOf();
}

export async function buildModelLayer(options: ModelLayerOptions): Promise<ModelLayer> {
  return buildPlanned(planLayer(options), options.tempDir);
}

async function buildPlanned(layer: ReturnType<typeof planLayer>, tempDir?: string): Promise<ModelLayer> {
  const { fileCount, uncompressedSize } = layer;
  if (layer.small) {
    const chunks: Buffer[] = [];
    const identity = await compress(layer, async (source) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    return {
      ...identity,
      content: { kind: 'bytes', bytes: Buffer.concat(chunks) },
      fileCount,
      uncompressedSize,
    };
  }
  const path = join(tempDir ?? tmpdir(), `ml-to-iot-edge-layer-${randomUUID()}.tar.gz`);
  try {
    const identity = await compress(layer, (source) =>
      pipeline(source, createWriteStream(path, { flags: 'wx' })),
    );
    return { ...identity, content: { kind: 'file', path }, fileCount, uncompressedSize };
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/**
 * A large layer goes to `send` as it is compressed: no temporary file, and the upload overlaps the
 * compression. A small one is built in memory (it returns with `content`), where its digest is known
 * before any upload, so a store can skip a blob it already has.
 */
export async function sendModelLayer(
  options: ModelLayerOptions,
  send: LayerSink,
  /** Told the diff_id as soon as the archive is hashed, before the compression ends. */
  onDiffId?: (diffId: string) => void,
): Promise<ModelLayer | (ModelLayerInfo & { content?: undefined })> {
  const layer = planLayer(options);
  if (layer.small) {
    const built = await buildPlanned(layer, options.tempDir);
    onDiffId?.(built.diffId);
    return built;
  }
  const identity = await compress(layer, send, onDiffId);
  return { ...identity, fileCount: layer.fileCount, uncompressedSize: layer.uncompressedSize };
}

/** Deletes the temporary file of a large layer; nothing to do for one in memory. */
export async function removeModelLayer(layer: ModelLayer): Promise<void> {
  if (layer.content.kind === 'file') await rm(layer.content.path, { force: true });
}

/** `/app/model` → `app/model`; refuses what cannot be a clean absolute path. */
function layerPath(destination: string): string {
  const normal = posix.normalize(destination);
  if (!destination.startsWith('/') || normal === '/' || destination.split('/').includes('..')) {
    throw new ModelLayerError(
      `model destination '${destination}' must be an absolute path in the image below '/', such as /app/model`,
    );
  }
  return normal.replace(/^\/+|\/+$/g, '');
}

function planEntries(source: string, target: string): PlannedEntry[] {
  const entries: PlannedEntry[] = [];
  const segments = target.split('/');
  for (let depth = 1; depth < segments.length; depth++) {
    entries.push(directory(segments.slice(0, depth).join('/')));
  }
  const stats = statFollowingLinks(source);
  if (stats.isFile()) entries.push(file(target, source, stats));
  else if (stats.isDirectory()) walk(source, target, new Set([realpathSync(source)]), entries);
  else throw new ModelLayerError(`model path '${source}' is neither a file nor a folder`);
  // Byte order of UTF-8 paths: the same on every machine and locale; a folder precedes its contents.
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.entry.path), Buffer.from(b.entry.path)));
}

/** Adds a folder and everything below it; `ancestors` (real paths) catches link cycles. */
function walk(folder: string, path: string, ancestors: Set<string>, entries: PlannedEntry[]): void {
  entries.push(directory(path));
  for (const name of readdirSync(folder)) {
    const onDisk = join(folder, name);
    const inLayer = `${path}/${name}`;
    const stats = statFollowingLinks(onDisk);
    if (stats.isFile()) {
      entries.push(file(inLayer, onDisk, stats));
    } else if (stats.isDirectory()) {
      const real = realpathSync(onDisk);
      if (ancestors.has(real)) throw new ModelLayerError(`'${onDisk}' links back to a folder above it`);
      walk(onDisk, inLayer, new Set([...ancestors, real]), entries);
    } else {
      throw new ModelLayerError(`'${onDisk}' is not a regular file or folder (a socket, pipe or device)`);
    }
  }
}

/** Links are followed, as model registration uploads what a link points to. */
function statFollowingLinks(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelLayerError(`model path '${path}' does not exist (or is a symbolic link to nothing)`);
    }
    throw error;
  }
}

function directory(path: string): PlannedEntry {
  const entry: TarEntry = { path: `${path}/`, type: 'directory', mode: 0o755, size: 0 };
  return { header: tarHeader(entry), entry };
}

function file(path: string, onDisk: string, stats: Stats): PlannedEntry {
  // Only the executable bit survives from the disk: umask, group and other write bits vary by machine.
  const mode = stats.mode & 0o111 ? 0o755 : 0o644;
  const entry: TarEntry = { path, type: 'file', mode, size: stats.size };
  return { header: tarHeader(entry), entry, file: onDisk };
}

async function* archive(entries: PlannedEntry[]): AsyncGenerator<Buffer> {
  for (const { header, entry, file: onDisk } of entries) {
    yield header;
    if (onDisk === undefined) continue;
    let read = 0;
    if (entry.size <= READ_CHUNK) {
      const bytes = await readFile(onDisk);
      read = bytes.length;
      if (read === entry.size) yield bytes;
    } else {
      for await (const chunk of createReadStream(onDisk, {
        highWaterMark: READ_CHUNK,
      }) as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > entry.size) break;
        yield chunk;
      }
    }
    // The header already announced the size: a file that changes while it is read cannot be archived.
    if (read !== entry.size) throw new ModelLayerError(`'${onDisk}' changed while the model layer was built`);
    yield tarPadding(entry.size);
  }
  yield TAR_END;
}
