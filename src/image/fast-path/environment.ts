// The environment image: everything but the model. Its inputs (the context minus the model and
// .git, the Dockerfile, build args, platforms and where the model goes) are hashed on every release,
// and the image is tagged `env-<first 16 hex>` in the release's repository: when that tag exists the
// release needs no Docker at all; otherwise the environment is built once from a staged context where
// the model is an empty placeholder.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import type { ImageStore, StoredManifest } from '../oci/image-store.js';
import { contextEntries, ignoreMatcher, stageContext, type ContextEntry } from './context-files.js';
import { noSpan, type Span } from './timing.js';

/** Bumped when what the hash covers changes, so old environment tags are not reused by mistake. */
const HASH_VERSION = 'ml-to-iot-edge environment v1';
/** Files read at once while hashing: enough to keep a disk busy, few enough for the open-file limit. */
const PARALLEL_READS = 16;

export interface EnvironmentInputs {
  /** The context folder (absolute). */
  context: string;
  /** The Dockerfile's path (absolute) and text. */
  dockerfile: string;
  dockerfileText: string;
  /** The model path relative to the context (`model`, `assets/model.onnx`). */
  model: string;
  modelKind: 'file' | 'folder';
  buildArgs: readonly string[];
  platforms: readonly string[];
  /** Where the model goes in the image. */
  destination: string;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `work` over `items` with at most `limit` at a time, results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function entryLine(entry: ContextEntry, digest: string | undefined): string {
  if (entry.kind === 'folder') return `D ${entry.path}`;
  if (entry.kind === 'link') return `L ${entry.path} ${entry.target}`;
  return `F ${entry.path} ${entry.mode.toString(8)} ${digest}`;
}

export interface EnvironmentHash {
  /** 64 hex digits. */
  hash: string;
  /** `env-<first 16 hex>`. */
  tag: string;
  entries: ContextEntry[];
  files: number;
  bytes: number;
}

export function environmentTag(hash: string): string {
  return `env-${hash.slice(0, 16)}`;
}

/** Hashes the environment's inputs: files streamed, several at a time, the model never read. */
export async function hashEnvironment(inputs: EnvironmentInputs): Promise<EnvironmentHash> {
  const ignore = await ignoreMatcher(inputs.context, inputs.dockerfile);
  const entries = await contextEntries(inputs.context, inputs.model, ignore);
  const digests = await mapLimited(entries, PARALLEL_READS, (entry) =>
    entry.kind === 'file' ? fileDigest(join(inputs.context, entry.path)) : Promise.resolve(undefined),
  );
  const hash = createHash('sha256');
  const line = (text: string) => hash.update(`${text}\n`);
  line(HASH_VERSION);
  line(`dockerfile ${createHash('sha256').update(inputs.dockerfileText).digest('hex')}`);
  for (const arg of inputs.buildArgs) line(`build-arg ${JSON.stringify(arg)}`);
  for (const platform of [...inputs.platforms].sort()) line(`platform ${platform}`);
  line(`model ${inputs.modelKind} ${JSON.stringify(inputs.model)} -> ${JSON.stringify(inputs.destination)}`);
  entries.forEach((entry, index) => line(entryLine(entry, digests[index])));
  const digest = hash.digest('hex');
  const files = entries.filter((entry) => entry.kind === 'file');
  return {
    hash: digest,
    tag: environmentTag(digest),
    entries,
    files: files.length,
    bytes: files.reduce((total, entry) => total + (entry.kind === 'file' ? entry.size : 0), 0),
  };
}

export interface EnvironmentSource {
  store: ImageStore;
  /** Tag or digest of the environment image in `store`. */
  reference: string;
  /** Built by this run (false: an existing image was reused). */
  built: boolean;
  /** Its top manifest as read while looking for it, so the append does not read it again. */
  manifest?: StoredManifest;
}

export interface EnsureEnvironment {
  inputs: EnvironmentInputs;
  /** Where `env-<hash>` is looked for and pushed to: the release's repository. */
  store: ImageStore;
  /** Builds and pushes the staged context as `tag` in the repository (buildx; Docker starts here). */
  build(stagedContext: string, tag: string, hash: string): Promise<void>;
  logger: Logger;
  span?: Span;
}

/** The hashed environment image: reused when its tag exists, else built from a staged context. */
export async function ensureEnvironment(
  options: EnsureEnvironment,
): Promise<EnvironmentSource & { hash: EnvironmentHash }> {
  const { logger, inputs } = options;
  const span = options.span ?? noSpan;
  const started = Date.now();
  const hash = await span('environment hash', hashEnvironment(inputs));
  logger.info(
    `Environment hash ${hash.hash.slice(0, 16)} over ${hash.files} files (${hash.bytes} bytes, model and .git left out) in ${Date.now() - started} ms`,
  );
  const found = await span('environment lookup', options.store.getManifest(hash.tag));
  if (found) {
    logger.info(`environment image ${hash.tag} reused: no Docker build`);
    return { store: options.store, reference: hash.tag, built: false, hash, manifest: found };
  }
  logger.info(`environment image ${hash.tag} is not in ${options.store.name}: building it once with buildx`);
  const staged = await stageContext(inputs.context, hash.entries, {
    path: inputs.model,
    kind: inputs.modelKind,
  });
  try {
    await options.build(staged, hash.tag, hash.hash);
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
  const built = await options.store.getManifest(hash.tag);
  if (!built)
    throw new Error(
      `the environment image ${hash.tag} is missing from ${options.store.name} right after its build`,
    );
  return { store: options.store, reference: hash.tag, built: true, hash, manifest: built };
}
