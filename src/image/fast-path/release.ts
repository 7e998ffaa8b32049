// The model-layer path of build-image: find (or build once) the environment image, make the model
// layer, and append it to every platform of the environment's index, writing the release image to
// the registry or an OCI image layout folder. Docker is touched only when the environment has to be
// built; everything else goes through the OCI distribution API or the file system.
import { readFile, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { Logger } from '../../logger.js';
import { dockerfileOf, type ImagePlan } from '../build-options.js';
import { MODEL_NAME_LABEL, MODEL_VERSION_LABEL } from '../labels.js';
import { MODEL_HASH_LABEL } from '../oci/append.js';
import { appendModelLayer } from '../oci/append-model.js';
import type { ImageStore } from '../oci/image-store.js';
import { layoutStore } from '../oci/layout-store.js';
import { buildModelLayer, removeModelLayer } from '../oci/model-layer.js';
import type { StrategyDecision } from './choose-strategy.js';
import { parseEnvironmentImage, type EnvironmentReference } from './environment-reference.js';
import { ensureEnvironment, type EnvironmentSource } from './environment.js';

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
export function environmentLabels(plan: ImagePlan, hash: string): Array<[string, string]> {
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
): Promise<EnvironmentSource> {
  const { logger } = deps;
  if (plan.environmentImage) {
    const { reference } = parseEnvironmentImage(plan.environmentImage, plan.registry);
    const store = await storeOf(reference!, plan, deps);
    if (!(await store.getManifest(reference!.reference)))
      throw new Error(
        `environment-image ${plan.environmentImage} is not in ${store.name}: give an image that exists, or leave environment-image out to build one from the Dockerfile`,
      );
    logger.info(`environment image ${plan.environmentImage} (given): no Docker build`);
    return { store, reference: reference!.reference, built: false };
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
  });
}

/** The model-layer release: environment, layer, append. */
export async function releaseModelLayer(
  plan: ImagePlan,
  decision: ModelLayerDecision,
  deps: ModelLayerDeps,
): Promise<ModelLayerResult> {
  const { logger } = deps;
  const cwd = deps.cwd ?? process.cwd();
  const target = plan.ociLayout ? layoutStore(resolve(cwd, plan.ociLayout)) : await deps.registryStore();
  const [layer, environment] = await Promise.all([
    buildModelLayer({ source: resolve(cwd, plan.modelPath!), destination: decision.destination }),
    environmentOf(plan, decision, deps),
  ]);
  try {
    await deps.beforeWrite;
    logger.info(
      `Model layer ${layer.digest}: ${layer.fileCount} files, ${layer.size} bytes compressed (diff_id ${layer.diffId})`,
    );
    const appended = await logger.group(
      `Append the model to ${environment.store.name}:${environment.reference} → ${target.name}`,
      () =>
        appendModelLayer({
          source: environment.store,
          sourceReference: environment.reference,
          target,
          tags: plan.tags,
          layer,
          destination: decision.destination,
          labels: releaseLabels(plan, layer.diffId),
          logger,
        }),
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
        name: environment.store.name,
        reference: environment.reference,
        built: environment.built,
      },
      layer: { digest: layer.digest, diffId: layer.diffId, size: layer.size, files: layer.fileCount },
      bytesUploaded: appended.bytesUploaded,
      blobsMounted: appended.blobsMounted,
      attestationsDropped: appended.attestationsDropped,
    };
  } finally {
    await removeModelLayer(layer);
  }
}
