// The build-image stage's work, from a checked plan: check the builder, log in, check push access,
// build and push with buildx (or join per-platform digests), read the index back from the registry
// and check every platform and tag, then (optionally) the devices' pull token. Logs out at the end;
// the post step logs out too, for a run that was cancelled in between.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { Logger } from '../logger.js';
import { acrCredentialsFromEntra } from './acr-login.js';
import { ensureDevicePullToken, type DevicePullCredential } from './acr-tokens.js';
import type { ImagePlan } from './build-options.js';
import { checkBuilder, QEMU_FIX } from './builder.js';
import { buildxBuildArgs, imagetoolsCreateArgs, type BuildOutput } from './buildx-args.js';
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
}

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
  strategy: 'full';
  pushed: boolean;
  attestations: number;
  /** Pull credentials for the deployment manifest: a secret, handed on in-process, never an output. */
  devicePullCredential?: DevicePullCredential;
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

export async function buildImage(plan: ImagePlan, deps: BuildImageDeps): Promise<BuildImageResult> {
  const { logger, system } = deps;
  const makeClient =
    deps.registryClient ?? ((registry, credentials) => createRegistryClient({ registry, credentials }));

  const builder = await logger.group('Check the builder', () =>
    checkBuilder(
      { builder: plan.builder, platforms: plan.mode === 'merge' ? [] : plan.platforms },
      system,
      logger,
    ),
  );
  let { cacheFrom, cacheTo } = plan;
  if (plan.defaultCache && builder.driver === 'docker' && !builder.containerdStore) {
    // The classic docker driver cannot export a cache; the default must not fail the build.
    logger.info(
      'No GitHub Actions build cache: the docker driver exports caches only with the containerd image store',
    );
    cacheFrom = [];
    cacheTo = [];
  }

  const credentials = await signIn(plan, deps);
  let loggedIn = false;
  const work = await mkdtemp(join(tmpdir(), 'ml-to-iot-edge-build-'));
  try {
    const readerCredentials = credentials ?? (await dockerConfigCredentials(plan.registry, system));
    const client = makeClient(plan.registry, readerCredentials);
    if (credentials) {
      await logger.group(`Log in to ${plan.registry}`, async () => {
        // The registry's own answer first: docker's is vaguer (an insecure registry falls back to http).
        await client.checkLogin();
        await dockerLogin(plan.registry, credentials, system, deps.workDir, logger);
      });
      loggedIn = true;
    }
    if (plan.push && readerCredentials) {
      await logger.group(`Check push access to ${plan.image}`, async () => {
        await client.checkPushAccess(plan.repository);
        logger.info(`${readerCredentials.username} may push to ${plan.image}`);
      });
    }

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
            explainBuildFailure(result.stderr, plan.image).replace(
              'buildx failed',
              'imagetools create failed',
            ),
          );
      });
      digest = await client.resolve(plan.repository, plan.tags[0]!);
      if (!digest) throw new RegistryError(`${refs[0]} is missing right after imagetools create`);
    } else {
      const metadataFile = join(work, 'metadata.json');
      const args = buildxBuildArgs({ ...plan, cacheFrom, cacheTo, tags: refs, metadataFile, output });
      await logger.group(
        `Build ${plan.platforms.join(', ')}${plan.push ? ` and push ${plan.image}` : ''}`,
        async () => {
          const result = await system.exec('docker', args);
          if (result.exitCode !== 0)
            throw new BuildFailedError(explainBuildFailure(result.stderr, plan.image));
        },
      );
      digest = await readDigest(metadataFile);
      if (plan.push && !digest)
        throw new BuildFailedError(`buildx pushed ${plan.image} but wrote no digest to its metadata file`);
    }

    let pushed: PushedImage | undefined;
    if (plan.push && digest) {
      pushed = await logger.group(`Check ${plan.image}@${digest} in the registry`, async () => {
        const image = await readPushedImage(client, plan.repository, digest!);
        checkPlatforms(plan.platforms, image, plan.image);
        await checkTags(client, plan.repository, tags, digest!);
        logger.info(
          `${image.mediaType}: ${image.platforms.join(', ')}${image.attestations ? ` (+${image.attestations} attestations)` : ''}; tags ${tags.join(', ') || '(none: pushed by digest)'}`,
        );
        return image;
      });
    }

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

    return {
      image: plan.image,
      digest: digest ?? '',
      imageRef: digest ? `${plan.image}@${digest}` : '',
      tags: refs,
      platforms: pushed?.platforms ?? plan.platforms,
      strategy: 'full',
      pushed: Boolean(pushed),
      attestations: pushed?.attestations ?? 0,
      devicePullCredential,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
    if (loggedIn) await dockerLogout(plan.registry, system, deps.workDir, logger);
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
    ['strategy', result.strategy],
  ];
  if (result.devicePullCredential)
    rows.push([
      'device pull token',
      `\`${result.devicePullCredential.username}\` (${result.devicePullCredential.slot}, expires ${result.devicePullCredential.expiry.slice(0, 10)})`,
    ]);
  return factsTable('### Inference image', rows);
}
