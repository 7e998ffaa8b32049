// The model-layer path of build-image: find (or build once) the environment image, make the model
// layer, and append it to every platform of the environment's index, writing the release image to
// the registry or an OCI image layout folder. Docker is touched only when the environment has to be
// built; everything else goes through the OCI distribution API or the file system.
import { readFile, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { Logger } from '../../logger.js';
import { dockerfileOf, type ImagePlan } from '../build-options.js';
import { MODEL_NAME_LABEL, MODEL_VERSION_LABEL } from '../labels.js';
import { appendedConfig, MODEL_HASH_LABEL, modelLayerCreatedBy } from '../oci/append.js';
import { appendModelLayer, readEnvironmentImage, type EnvironmentImage } from '../oci/append-model.js';
import type { ImageStore } from '../oci/image-store.js';
import { layoutStore } from '../oci/layout-store.js';
import { buildModelLayer, removeModelLayer, sendModelLayer, type ModelLayer } from '../oci/model-layer.js';
import { sha256Digest } from '../oci/digest.js';
import type { StrategyDecision } from './choose-strategy.js';
import { parseEnvironmentImage, type EnvironmentReference } from './environment-reference.js';
import { ensureEnvironment, type EnvironmentSource } from './environment.js';
import { spans, type Span } from './timing.js';

export const ENVIRONMENT_HASH_LABEL = 'ml-to-iot-edge.environment.hash';
/** Labels that differ from run to run or release to release: left out of a shared environment image. */
const PER_RELEASE_LABELS = [
  'org.opencontainers.image.created',
  'org.opencontainers.image.version',
  'org.opencontainers.image.revision',
  MODEL_NAME_LABEL,
  MODEL_VERSION_LABEL,
];

export type ModelLayerDecision = Extract<StrategyDecision, { strategy: 'model-layer' }>;

export interface ModelLayerDeps {
  logger: Logger;
  /** The release repository in the plan's registry (asked for only when the path reads or writes it). */
  registryStore(): Promise<ImageStore>;
  /** A store for another registry's repository (an `environment-image` elsewhere). */
  otherRegistryStore(registry: string, repository: string): ImageStore;
  /** Builds the staged context with buildx and pushes it as `<image>:<tag>`: the only Docker use. */
  buildEnvironment(stagedContext: string, tag: string, labels: Array<[string, string]>): Promise<void>;
  /** Awaited before the first write (the push-access check, run while the layer is made). */
  beforeWrite?: Promise<void>;
  /** Timing spans (debug log); made from the logger when not given. */
  span?: Span;
  cwd?: string;
}

export interface ModelLayerResult {
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Where the release image was written: `registry/repository` or `oci-layout:<dir>`. */
  target: string;
  environment: { name: string; reference: string; built: boolean };
  layer: { digest: string; diffId: string; size: number; files: number };
  bytesUploaded: number;
  blobsMounted: number;
  attestationsDropped: number;
}

/** The labels of a shared environment image: the release's, minus what changes every release. */
function environmentLabels(plan: ImagePlan, hash: string): Array<[string, string]> {
  return [
    ...plan.labels.filter(([key]) => !PER_RELEASE_LABELS.includes(key)),
    [ENVIRONMENT_HASH_LABEL, hash],
  ];
}

/**
 * The release image's labels: the plan's, with the model's hash (the layer's diff_id: sha256 of the
 * model as archived). `created` is left out so the same model and release give the same digest.
 */
export function releaseLabels(plan: ImagePlan, modelHash: string): Record<string, string> {
  return {
    ...Object.fromEntries(plan.labels.filter(([key]) => key !== 'org.opencontainers.image.created')),
    [MODEL_HASH_LABEL]: modelHash,
  };
}

async function storeOf(
  reference: EnvironmentReference,
  plan: ImagePlan,
  deps: ModelLayerDeps,
): Promise<ImageStore> {
  if (reference.kind === 'layout') return layoutStore(resolve(deps.cwd ?? process.cwd(), reference.dir));
  if (reference.registry === plan.registry && reference.repository === plan.repository)
    return deps.registryStore();
  return deps.otherRegistryStore(reference.registry, reference.repository);
}

async function environmentOf(
  plan: ImagePlan,
  decision: ModelLayerDecision,
  deps: ModelLayerDeps,
  span: Span,
): Promise<EnvironmentSource> {
  const { logger } = deps;
  if (plan.environmentImage) {
    const { reference } = parseEnvironmentImage(plan.environmentImage, plan.registry);
    const store = await storeOf(reference!, plan, deps);
    const manifest = await span('environment lookup', store.getManifest(reference!.reference));
    if (!manifest)
      throw new Error(
        `environment-image ${plan.environmentImage} is not in ${store.name}: give an image that exists, or leave environment-image out to build one from the Dockerfile`,
      );
    logger.info(`environment image ${plan.environmentImage} (given): no Docker build`);
    return { store, reference: reference!.reference, built: false, manifest };
  }
  const cwd = deps.cwd ?? process.cwd();
  const context = resolve(cwd, plan.context);
  const dockerfile = dockerfileOf(plan, cwd);
  const modelPath = resolve(cwd, plan.modelPath!);
  return ensureEnvironment({
    inputs: {
      context,
      dockerfile,
      dockerfileText: await readFile(dockerfile, 'utf8'),
      model: decision.modelInContext ?? relative(context, modelPath).split(sep).join('/'),
      modelKind: (await stat(modelPath)).isDirectory() ? 'folder' : 'file',
      buildArgs: plan.buildArgs,
      platforms: plan.platforms,
      destination: decision.destination,
    },
    store: await deps.registryStore(),
    build: async (staged, tag, hash) => {
      await deps.beforeWrite;
      await deps.buildEnvironment(staged, tag, environmentLabels(plan, hash));
    },
    logger,
    span,
  });
}

/** Waits for every promise, then throws the first failure: nothing runs on once the caller has an error. */
async function allSettled<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Writes each platform's new config (see appendedConfig); returns how each got there, by digest. */
async function writeConfigs(
  target: ImageStore,
  image: EnvironmentImage,
  diffId: string,
  destination: string,
  labels: Record<string, string>,
  deps: ModelLayerDeps,
): Promise<Map<string, 'present' | 'mounted' | 'uploaded'>> {
  await deps.beforeWrite;
  const changes = { layer: { diffId }, createdBy: modelLayerCreatedBy(destination), labels };
  const configs = new Map<string, Buffer>();
  for (const platform of image.images.values()) {
    const bytes = appendedConfig(platform, changes);
    configs.set(sha256Digest(bytes), bytes);
  }
  const written = await allSettled(
    [...configs].map(([digest, bytes]) =>
      target.putBlob(digest, bytes.length, async () => ({ kind: 'bytes', bytes })),
    ),
  );
  return new Map([...configs.keys()].map((digest, at) => [digest, written[at]!]));
}

/**
 * The model-layer release. Independent work overlaps: the environment hash and lookup, the reads
 * of its platform manifests and configs, and the layer, which a registry target receives as it is
 * compressed. Then the append writes configs, manifests and the index.
 */
export async function releaseModelLayer(
  plan: ImagePlan,
  decision: ModelLayerDecision,
  deps: ModelLayerDeps,
): Promise<ModelLayerResult> {
  const { logger } = deps;
  const span = deps.span ?? spans(logger);
  const cwd = deps.cwd ?? process.cwd();
  const target = plan.ociLayout
    ? layoutStore(resolve(cwd, plan.ociLayout))
    : await span('registry sign-in', deps.registryStore());

  const environment = environmentOf(plan, decision, deps, span);
  // Read as soon as the environment is found, while the layer is still being made.
  const environmentImage = environment.then((found) =>
    span('environment read', readEnvironmentImage(found.store, found.reference, found.manifest)),
  );

  const options = { source: resolve(cwd, plan.modelPath!), destination: decision.destination };
  const labelsOf = (diffId: string) => releaseLabels(plan, diffId);
  const send = target.putBlobStream?.bind(target);
  let sent = false;
  let diffIdKnown: (diffId: string) => void = () => undefined;
  let noDiffId: (error: unknown) => void = () => undefined;
  const diffId = new Promise<string>((resolve, reject) => {
    diffIdKnown = resolve;
    noDiffId = reject;
  });
  const made: Promise<ModelLayer | (Omit<ModelLayer, 'content'> & { content?: undefined })> = span(
    'model layer',
    send
      ? sendModelLayer(
          options,
          async (chunks, identity) => {
            // The bytes go to an upload session while the push access is checked; the blob lands in
            // the repository only after that check (the probe is off the critical path).
            await span(
              'model layer upload',
              send(chunks, () => identity().digest, deps.beforeWrite),
            );
            sent = true;
          },
          diffIdKnown,
        )
      : buildModelLayer(options),
  );
  made.catch(noDiffId); // a layer that fails before its archive is hashed never gives one
  // The configs need only the diff_id: written while the compressed layer's last bytes still go up.
  const configs = send
    ? Promise.all([environmentImage, diffId]).then(([image, known]) =>
        span('configs', writeConfigs(target, image, known, decision.destination, labelsOf(known), deps)),
      )
    : Promise.resolve(new Map<string, 'present' | 'mounted' | 'uploaded'>());
  configs.catch(() => undefined); // settled below, also when the layer fails first
  const [layer, found, image, configsSent] = await allSettled([
    made,
    environment,
    environmentImage,
    configs,
  ] as const).catch(async (error: unknown) => {
    const built = await made.catch(() => undefined);
    if (built?.content) await removeModelLayer(built as ModelLayer);
    throw error;
  });
  try {
    await deps.beforeWrite;
    logger.info(
      `Model layer ${layer.digest}: ${layer.fileCount} files, ${layer.size} bytes compressed (diff_id ${layer.diffId})`,
    );
    const appended = await logger.group(
      `Append the model to ${found.store.name}:${found.reference} → ${target.name}`,
      () =>
        span(
          'append',
          appendModelLayer({
            source: found.store,
            sourceReference: found.reference,
            target,
            tags: plan.tags,
            layer,
            sent: new Map([...configsSent, ...(sent ? ([[layer.digest, 'uploaded']] as const) : [])]),
            environment: image,
            destination: decision.destination,
            labels: labelsOf(layer.diffId),
            logger,
          }),
        ),
    );
    logger.info(
      `Appended: ${appended.digest} (${appended.platforms.join(', ')}); ${appended.bytesUploaded} bytes uploaded, ${appended.blobsMounted} blobs mounted`,
    );
    return {
      digest: appended.digest,
      mediaType: appended.mediaType,
      platforms: appended.platforms,
      target: target.name,
      environment: {
        name: found.store.name,
        reference: found.reference,
        built: found.built,
      },
      layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size, files: layer.fileCount },
      bytesUploaded: appended.bytesUploaded,
      blobsMounted: appended.blobsMounted,
      attestationsDropped: appended.attestationsDropped,
    };
  } finally {
    if (layer.content) await removeModelLayer(layer as ModelLayer);
  }
}
