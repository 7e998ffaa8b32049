// The build-image stage's work, from a checked plan, by one of two paths:
// - full: check the builder, log in, check push access, build and push with buildx (or join
//   per-platform digests), read the index back and check every platform and tag;
// - model-layer (fast-path/): append the model as one layer to the environment image through the
//   OCI distribution API; Docker (builder check, login, buildx) only when the environment image has
//   to be built, so a model-only release needs no Docker at all.
// Then (optionally) the devices' pull token. Logs out at the end; the post step logs out too, for a
// run that was cancelled in between.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { Logger } from '../logger.js';
import { acrCredentialsFromEntra } from './acr-login.js';
import { ensureDevicePullToken, type DevicePullCredential } from './acr-tokens.js';
import { dockerfileOf, type ImagePlan } from './build-options.js';
import { checkBuilder, QEMU_FIX, type BuilderInfo } from './builder.js';
import { buildxBuildArgs, imagetoolsCreateArgs, type BuildOutput } from './buildx-args.js';
import type { StrategyDecision } from './fast-path/choose-strategy.js';
import { releaseModelLayer, type ModelLayerDecision } from './fast-path/release.js';
import type { ImageStore } from './oci/image-store.js';
import { registryStore } from './oci/registry-store.js';
import {
  createRegistryClient,
  RegistryError,
  type RegistryClient,
  type RegistryCredentials,
} from './registry-client.js';
import { dockerConfigCredentials, dockerLogin, dockerLogout } from './registry-login.js';
import type { ImageSystem } from './system.js';
import { checkPlatforms, checkTags, readPushedImage, type PushedImage } from './verify.js';
import { factsTable } from '../markdown.js';

/** Where the model-layer path reads and writes images (tests replace them). */
export interface ImageStores {
  registry(client: RegistryClient, repository: string): ImageStore;
}

export interface BuildImageDeps {
  system: ImageSystem;
  logger: Logger;
  mask(secret: string): void;
  /** The step's work folder: the login ledger the post step reads. */
  workDir: string;
  /** The Azure credential, asked for only when an ACR sign-in or a device token needs it. */
  credential?: () => TokenCredential;
  /** "The identity with client-id …", for permission errors. */
  identity?: string;
  registryClient?: (registry: string, credentials?: RegistryCredentials) => RegistryClient;
  imageStores?: ImageStores;
}

/** The plan with the path the stage chose (full when absent). */
export type BuildPlan = ImagePlan & { decision?: StrategyDecision };

export interface BuildImageResult {
  /** `registry/repository`. */
  image: string;
  /** Digest of the pushed index (or of the one platform's image, per-platform); '' when not pushed. */
  digest: string;
  imageRef: string;
  /** Full references pushed. */
  tags: string[];
  /** Platforms in the registry's index (the requested ones when nothing was pushed). */
  platforms: string[];
  strategy: 'full' | 'model-layer';
  /** Why that path: `model-layer: Dockerfile copies model/ last to /app/model`. */
  strategyReason: string;
  pushed: boolean;
  attestations: number;
  /** Pull credentials for the deployment manifest: a secret, handed on in-process, never an output. */
  devicePullCredential?: DevicePullCredential;
  /** What the model-layer path did. */
  fastPath?: {
    /** `registry/repository` or `oci-layout:<dir>`. */
    target: string;
    /** The environment image the model was appended to. */
    environment: string;
    environmentBuilt: boolean;
    layerDigest: string;
    layerBytes: number;
    /** sha256 of the model as archived in the layer (its diff_id): the model hash label. */
    modelHash: string;
    bytesUploaded: number;
    blobsMounted: number;
    attestationsDropped: number;
  };
}

export class BuildFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildFailedError';
  }
}

function errorLines(stderr: string): string[] {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const errors = lines.filter((line) => /^(#\d+\s+)?(ERROR|error)\b/.test(line));
  return (errors.length ? errors : lines).slice(-3);
}

/** A short, actionable message for a failed `buildx build` / `imagetools create`. */
export function explainBuildFailure(stderr: string, image: string): string {
  const detail = errorLines(stderr).join(' | ') || 'no error output';
  if (/exec format error/i.test(stderr))
    return `buildx failed: a RUN step could not execute for a foreign platform (${detail}). QEMU is not set up for it. How to fix: ${QEMU_FIX}`;
  if (
    /(401 Unauthorized|403 Forbidden|insufficient_scope|requested access to the resource is denied|authentication required|failed to authorize|unauthorized:)/i.test(
      stderr,
    )
  )
    return `buildx failed: the registry refused access (${detail}). Check that the push identity may push to ${image} and pull the base images.`;
  if (/Multi-platform build is not supported/i.test(stderr))
    return `buildx failed: the builder cannot build several platforms at once (${detail}).`;
  if (/failed to (read dockerfile|compute cache key)|not found/i.test(stderr))
    return `buildx failed: something the Dockerfile needs was not found (${detail}).`;
  return `buildx failed: ${detail}`;
}

async function readDigest(metadataFile: string): Promise<string | undefined> {
  try {
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown> | null;
    const digest = metadata?.['containerimage.digest'];
    return typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

async function signIn(plan: ImagePlan, deps: BuildImageDeps): Promise<RegistryCredentials | undefined> {
  const { login } = plan;
  if (login.kind === 'password') {
    deps.mask(login.password);
    return { username: login.username, password: login.password };
  }
  if (login.kind === 'entra') {
    if (!deps.credential)
      throw new Error(`signing in to ${plan.registry} with Entra ID needs Azure sign-in inputs`);
    deps.logger.info(`Signing in to ${plan.registry} with an Entra token exchanged for an ACR refresh token`);
    return acrCredentialsFromEntra({
      registry: plan.registry,
      credential: deps.credential(),
      armEndpoint: plan.armEndpoint,
      mask: deps.mask,
    });
  }
  return undefined;
}

/** Docker, started only when a step needs it: the builder check and the docker login, each once. */
interface DockerSession {
  builder(): Promise<BuilderInfo>;
  /** Logs docker in (when there are credentials to log in with); the registry's own check first. */
  login(): Promise<void>;
  close(): Promise<void>;
}

/** The registry sign-in and client, made once and shared by both paths. */
interface Registry {
  /** From the inputs (a password, an Entra exchange): what docker is logged in with. */
  credentials(): Promise<RegistryCredentials | undefined>;
  /** Those, else what docker is already logged in with: what the registry client reads with. */
  readerCredentials(): Promise<RegistryCredentials | undefined>;
  client(): Promise<RegistryClient>;
}

function registryAccess(plan: ImagePlan, deps: BuildImageDeps): Registry {
  const makeClient =
    deps.registryClient ?? ((registry, credentials) => createRegistryClient({ registry, credentials }));
  let credentials: Promise<RegistryCredentials | undefined> | undefined;
  let reader: Promise<RegistryCredentials | undefined> | undefined;
  let client: Promise<RegistryClient> | undefined;
  const access: Registry = {
    credentials: () => (credentials ??= signIn(plan, deps)),
    readerCredentials: () =>
      (reader ??= access
        .credentials()
        .then((given) => given ?? dockerConfigCredentials(plan.registry, deps.system))),
    client: () => (client ??= access.readerCredentials().then((given) => makeClient(plan.registry, given))),
  };
  return access;
}

function dockerSession(plan: ImagePlan, deps: BuildImageDeps, registry: Registry): DockerSession {
  const { logger, system } = deps;
  let builder: Promise<BuilderInfo> | undefined;
  let login: Promise<void> | undefined;
  let loggedIn = false;
  return {
    builder: () =>
      (builder ??= logger.group('Check the builder', () =>
        checkBuilder(
          { builder: plan.builder, platforms: plan.mode === 'merge' ? [] : plan.platforms },
          system,
          logger,
        ),
      )),
    login: () =>
      (login ??= (async () => {
        const credentials = await registry.credentials();
        if (!credentials) return;
        const client = await registry.client();
        await logger.group(`Log in to ${plan.registry}`, async () => {
          // The registry's own answer first: docker's is vaguer (an insecure registry falls back to http).
          await client.checkLogin();
          await dockerLogin(plan.registry, credentials, system, deps.workDir, logger);
        });
        loggedIn = true;
      })()),
    async close() {
      if (loggedIn) await dockerLogout(plan.registry, system, deps.workDir, logger);
    },
  };
}

/** The build cache entries the builder can use: the docker driver exports none without containerd. */
function usableCache(
  plan: ImagePlan,
  builder: BuilderInfo,
  logger: Logger,
): Pick<ImagePlan, 'cacheFrom' | 'cacheTo'> {
  if (plan.defaultCache && builder.driver === 'docker' && !builder.containerdStore) {
    // The classic docker driver cannot export a cache; the default must not fail the build.
    logger.info(
      'No GitHub Actions build cache: the docker driver exports caches only with the containerd image store',
    );
    return { cacheFrom: [], cacheTo: [] };
  }
  return { cacheFrom: plan.cacheFrom, cacheTo: plan.cacheTo };
}

/** Runs `docker buildx build`; a failure becomes a short, actionable BuildFailedError. */
async function runBuildx(args: string[], image: string, system: ImageSystem): Promise<void> {
  const result = await system.exec('docker', args);
  if (result.exitCode !== 0) throw new BuildFailedError(explainBuildFailure(result.stderr, image));
}

/** `grouped: false` when it runs alongside other steps (their lines must not land in its group). */
async function checkPushAccess(
  plan: ImagePlan,
  registry: Registry,
  deps: BuildImageDeps,
  grouped = true,
): Promise<void> {
  const credentials = await registry.readerCredentials();
  if (!plan.push || !credentials) return;
  const client = await registry.client();
  const check = async () => {
    await client.checkPushAccess(plan.repository);
    deps.logger.info(`${credentials.username} may push to ${plan.image}`);
  };
  await (grouped ? deps.logger.group(`Check push access to ${plan.image}`, check) : check());
}

async function verifyPushed(
  plan: ImagePlan,
  client: RegistryClient,
  tags: readonly string[],
  digest: string,
  logger: Logger,
): Promise<PushedImage> {
  return logger.group(`Check ${plan.image}@${digest} in the registry`, async () => {
    const image = await readPushedImage(client, plan.repository, digest);
    checkPlatforms(plan.platforms, image, plan.image);
    await checkTags(client, plan.repository, tags, digest);
    logger.info(
      `${image.mediaType}: ${image.platforms.join(', ')}${image.attestations ? ` (+${image.attestations} attestations)` : ''}; tags ${tags.join(', ') || '(none: pushed by digest)'}`,
    );
    return image;
  });
}

interface PathResult {
  digest?: string;
  tags: string[];
  pushed?: PushedImage;
  platforms?: string[];
  fastPath?: BuildImageResult['fastPath'];
}

/** The full path: buildx builds every platform and pushes (or imagetools joins per-platform digests). */
async function fullBuild(
  plan: ImagePlan,
  deps: BuildImageDeps,
  registry: Registry,
  docker: DockerSession,
  work: string,
): Promise<PathResult> {
  const { logger, system } = deps;
  const builder = await docker.builder();
  const { cacheFrom, cacheTo } = usableCache(plan, builder, logger);
  const client = await registry.client();
  await docker.login();
  await checkPushAccess(plan, registry, deps);

  let tags = plan.tags;
  let output: BuildOutput = !plan.push
    ? { kind: 'none' }
    : plan.mode === 'per-platform'
      ? { kind: 'push-by-digest', name: plan.image }
      : { kind: 'push' };
  if (output.kind === 'push-by-digest' && builder.driver === 'docker' && plan.stagingTag) {
    // "push-by-digest is currently not implemented for docker driver": a tag it is, then.
    tags = [plan.stagingTag];
    output = { kind: 'push' };
    logger.info(
      `The docker driver cannot push by digest: pushing under the staging tag ${plan.stagingTag}; merge joins it by digest`,
    );
  }
  const refs = tags.map((tag) => `${plan.image}:${tag}`);
  let digest: string | undefined;
  if (plan.mode === 'merge') {
    const sources = plan.digests.map((d) => `${plan.image}@${d}`);
    await logger.group(`Join ${sources.length} platform images into ${refs.join(', ')}`, async () => {
      const result = await system.exec(
        'docker',
        imagetoolsCreateArgs({ builder: plan.builder, tags: refs, sources }),
      );
      if (result.exitCode !== 0)
        throw new BuildFailedError(
          explainBuildFailure(result.stderr, plan.image).replace('buildx failed', 'imagetools create failed'),
        );
    });
    digest = await client.resolve(plan.repository, plan.tags[0]!);
    if (!digest) throw new RegistryError(`${refs[0]} is missing right after imagetools create`);
  } else {
    const metadataFile = join(work, 'metadata.json');
    const args = buildxBuildArgs({ ...plan, cacheFrom, cacheTo, tags: refs, metadataFile, output });
    await logger.group(
      `Build ${plan.platforms.join(', ')}${plan.push ? ` and push ${plan.image}` : ''}`,
      () => runBuildx(args, plan.image, system),
    );
    digest = await readDigest(metadataFile);
    if (plan.push && !digest)
      throw new BuildFailedError(`buildx pushed ${plan.image} but wrote no digest to its metadata file`);
  }
  const pushed = plan.push && digest ? await verifyPushed(plan, client, tags, digest, logger) : undefined;
  return { digest, tags, pushed };
}

/** The model-layer path: Docker only if the environment image has to be built. */
async function modelLayerBuild(
  plan: ImagePlan,
  decision: ModelLayerDecision,
  deps: BuildImageDeps,
  registry: Registry,
  docker: DockerSession,
  work: string,
): Promise<PathResult> {
  const { logger, system } = deps;
  // Checked while the layer is made and the environment looked up; awaited before the first write.
  const pushAccess = plan.ociLayout ? Promise.resolve() : checkPushAccess(plan, registry, deps, false);
  pushAccess.catch(() => undefined);
  const stores = deps.imageStores ?? defaultImageStores;
  const makeClient =
    deps.registryClient ?? ((host, credentials) => createRegistryClient({ registry: host, credentials }));
  const result = await releaseModelLayer(plan, decision, {
    logger,
    beforeWrite: pushAccess,
    registryStore: async () => stores.registry(await registry.client(), plan.repository),
    // Another registry is read anonymously: the credentials given are the release registry's.
    otherRegistryStore: (host, repository) => stores.registry(makeClient(host), repository),
    async buildEnvironment(staged, tag, labels) {
      const builder = await docker.builder();
      const { cacheFrom, cacheTo } = usableCache(plan, builder, logger);
      await docker.login();
      const args = buildxBuildArgs({
        ...plan,
        context: staged,
        // The staged context has the Dockerfile too, but a `file` outside the context is read from where it is.
        file: dockerfileOf(plan, process.cwd()),
        cacheFrom,
        cacheTo,
        labels,
        tags: [`${plan.image}:${tag}`],
        provenance: false,
        sbom: false,
        metadataFile: join(work, 'environment-metadata.json'),
        output: { kind: 'push' },
      });
      await logger.group(
        `Build the environment image ${plan.image}:${tag} (${plan.platforms.join(', ')})`,
        () => runBuildx(args, plan.image, system),
      );
    },
  });
  const tags = plan.tags;
  const pushed = plan.ociLayout
    ? undefined
    : await verifyPushed(plan, await registry.client(), tags, result.digest, logger);
  return {
    digest: result.digest,
    tags,
    pushed,
    platforms: result.platforms,
    fastPath: {
      target: result.target,
      environment: `${result.environment.name}:${result.environment.reference}`,
      environmentBuilt: result.environment.built,
      layerDigest: result.layer.digest,
      layerBytes: result.layer.size,
      modelHash: result.layer.diffId,
      bytesUploaded: result.bytesUploaded,
      blobsMounted: result.blobsMounted,
      attestationsDropped: result.attestationsDropped,
    },
  };
}

const defaultImageStores: ImageStores = { registry: registryStore };

export async function buildImage(plan: BuildPlan, deps: BuildImageDeps): Promise<BuildImageResult> {
  const { logger } = deps;
  const decision: StrategyDecision = plan.decision ?? { strategy: 'full', reason: 'full: strategy is full' };
  logger.info(`Build path ${decision.reason}`);
  const registry = registryAccess(plan, deps);
  const docker = dockerSession(plan, deps, registry);
  const work = await mkdtemp(join(tmpdir(), 'ml-to-iot-edge-build-'));
  try {
    const path =
      decision.strategy === 'model-layer'
        ? await modelLayerBuild(plan, decision, deps, registry, docker, work)
        : await fullBuild(plan, deps, registry, docker, work);

    let devicePullCredential: DevicePullCredential | undefined;
    const token = plan.devicePullToken;
    if (token) {
      if (!deps.credential) throw new Error('device-pull-token needs Azure sign-in inputs');
      devicePullCredential = await logger.group('Device pull token', () =>
        ensureDevicePullToken({
          ...token,
          loginServer: plan.registry,
          repository: plan.repository,
          credential: deps.credential!(),
          logger,
          mask: deps.mask,
          identity: deps.identity,
        }),
      );
    }

    const digest = path.digest ?? '';
    return {
      image: plan.image,
      digest,
      imageRef: digest ? `${plan.image}@${digest}` : '',
      tags: path.tags.map((tag) => `${plan.image}:${tag}`),
      platforms: path.pushed?.platforms ?? path.platforms ?? plan.platforms,
      strategy: decision.strategy,
      strategyReason: decision.reason,
      pushed: Boolean(path.pushed),
      attestations: path.pushed?.attestations ?? 0,
      devicePullCredential,
      fastPath: path.fastPath,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
    await docker.close();
  }
}

/** The stage outputs: no secret ever (device credentials stay in-process). */
export function imageOutputs(result: BuildImageResult): Record<string, string> {
  return {
    image: result.image,
    digest: result.digest,
    'image-ref': result.imageRef,
    tags: result.tags.join(','),
    platforms: result.platforms.join(','),
    'build-strategy': result.strategy,
  };
}

export function imageSummary(result: BuildImageResult): string {
  const rows: [string, string][] = [
    ['image', `\`${result.image}\``],
    ['digest', result.digest ? `\`${result.digest}\`` : '(not pushed)'],
    ['platforms', result.platforms.join(', ')],
    ['tags', result.tags.map((t) => `\`${t}\``).join(', ') || '(pushed by digest)'],
    ['strategy', result.strategyReason || result.strategy],
  ];
  const fast = result.fastPath;
  if (fast)
    rows.push(
      [
        'environment image',
        `\`${fast.environment}\` (${fast.environmentBuilt ? 'built by this run' : 'reused: no Docker build'})`,
      ],
      ['model layer', `\`${fast.layerDigest}\` (${fast.layerBytes} bytes; model hash \`${fast.modelHash}\`)`],
      [
        'uploaded',
        `${fast.bytesUploaded} bytes, ${fast.blobsMounted} blobs mounted${fast.target.startsWith('oci-layout') ? `, to ${fast.target}` : ''}`,
      ],
    );
  if (result.devicePullCredential)
    rows.push([
      'device pull token',
      `\`${result.devicePullCredential.username}\` (${result.devicePullCredential.slot}, expires ${result.devicePullCredential.expiry.slice(0, 10)})`,
    ]);
  return factsTable('### Inference image', rows);
}
