// The build-image inputs checked and resolved into one plan, with every problem named at once
// (InputProblem per input), before anything runs. No I/O: the stage adds the file checks.
import { posix, resolve } from 'node:path';
import { type InputProblem, type ParsedInputs, textInput as text } from '../action/parse-inputs.js';
import { PUBLIC_ARM_ENDPOINT } from '../azure/arm-client.js';
import { appSlug } from '../rollout/release-id.js';
import type { RunInfo } from '../stages/index.js';
import { DEFAULT_DOCKERFILE } from './buildx-args.js';
import { DEFAULT_PLATFORMS, parsePlatform, platformSlug } from './platforms.js';
import {
  acrName,
  digestProblem,
  isAcrLoginServer,
  MAX_NAME_LENGTH,
  registryProblem,
  repositoryProblem,
} from './reference.js';
import { defaultLabels, joinAttributeEntries, mergeLabels, parseBuildArgs, parseLabels } from './labels.js';
import { deriveTags } from './tags.js';
import type { Strategy } from './fast-path/choose-strategy.js';
import { parseEnvironmentImage } from './fast-path/environment-reference.js';

export type BuildMode = 'multi-platform' | 'per-platform' | 'merge';

export type RegistryLogin =
  /** Use whatever docker is already logged in with (docker/login-action, a credential helper). */
  | { kind: 'existing' }
  | { kind: 'password'; username: string; password: string }
  /** Azure Container Registry: an Entra token exchanged for an ACR refresh token. */
  | { kind: 'entra' };

export interface DevicePullTokenPlan {
  armEndpoint: string;
  subscriptionId: string;
  resourceGroup: string;
  /** The registry's ARM resource name. */
  registryName: string;
}

export interface ImagePlan {
  mode: BuildMode;
  registry: string;
  repository: string;
  /** `registry/repository`. */
  image: string;
  context: string;
  file?: string;
  platforms: string[];
  /** Tag names (empty for per-platform builds, which push by digest). */
  tags: string[];
  /**
   * Per-platform builds on the docker driver, which cannot push by digest, push under this tag
   * instead (`build-linux-arm64-0123abc`); the merge job still joins them by digest.
   */
  stagingTag?: string;
  version?: string;
  labels: Array<[string, string]>;
  buildArgs: string[];
  cacheFrom: string[];
  cacheTo: string[];
  /** The cache entries are this tool's GitHub Actions cache default, not the user's. */
  defaultCache: boolean;
  push: boolean;
  provenance: boolean;
  sbom: boolean;
  builder?: string;
  digests: string[];
  login: RegistryLogin;
  /** ARM endpoint: the audience of the Entra token exchanged for ACR, and the device token's API. */
  armEndpoint: string;
  devicePullToken?: DevicePullTokenPlan;
  /** The strategy asked for; the stage decides the path (fast-path/choose-strategy.ts). */
  strategy: Strategy;
  /** The model file or folder, relative to the workspace (the model-layer path appends it). */
  modelPath?: string;
  /** Where the model goes in the image, when the Dockerfile does not say it plainly. */
  modelImagePath?: string;
  /** An existing image to append the model to instead of the hashed environment image. */
  environmentImage?: string;
  /** Write the release image into this OCI image layout folder instead of the registry. */
  ociLayout?: string;
}

/** The Dockerfile: `file` (relative to `cwd`, the workspace), else `Dockerfile` in the context. */
export function dockerfileOf(plan: Pick<ImagePlan, 'context' | 'file'>, cwd: string): string {
  return plan.file ? resolve(cwd, plan.file) : resolve(cwd, plan.context, DEFAULT_DOCKERFILE);
}

function list(inputs: ParsedInputs, name: string): string[] {
  const value = inputs[name];
  return Array.isArray(value) ? value : [];
}

function flag(inputs: ParsedInputs, name: string, fallback: boolean): boolean {
  const value = inputs[name];
  return typeof value === 'boolean' ? value : fallback;
}

export interface PlanFacts {
  run: RunInfo;
  /** ISO 8601 time of the build (the `created` label). */
  now: string;
  /** Running inside GitHub Actions: the GitHub Actions cache is the default build cache. */
  inActions: boolean;
}

/** The plan, or every problem with the inputs. */
export function planImageBuild(
  inputs: ParsedInputs,
  facts: PlanFacts,
): { plan?: ImagePlan; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const problem = (input: string, message: string): void => void problems.push({ input, message });

  const strategy = (text(inputs, 'strategy') ?? 'auto') as Strategy;
  const modelImagePath = text(inputs, 'model-image-path');
  if (modelImagePath) {
    const normal = posix.normalize(modelImagePath);
    if (!modelImagePath.startsWith('/') || normal === '/' || modelImagePath.split('/').includes('..'))
      problem(
        'model-image-path',
        `'${modelImagePath}' is not an absolute path below '/' in the image, such as /app/model`,
      );
    else if (modelImagePath.includes('$'))
      problem('model-image-path', `'${modelImagePath}' holds a variable: give the path as the image has it`);
  }
  const environmentImage = text(inputs, 'environment-image');
  const mode = (text(inputs, 'build-mode') ?? 'multi-platform') as BuildMode;

  const registry = text(inputs, 'registry') ?? '';
  if (!registry) problem('registry', 'is required: the registry host, e.g. myacr.azurecr.io');
  else {
    const issue = registryProblem(registry);
    if (issue) problem('registry', issue);
  }

  let repository = text(inputs, 'image');
  if (repository) {
    const issue = repositoryProblem(repository);
    if (issue) problem('image', issue);
  } else {
    const app = text(inputs, 'app') ?? facts.run.repository?.split('/').pop();
    try {
      repository = app ? appSlug(app) : undefined;
    } catch {
      repository = undefined;
    }
    if (!repository) problem('image', 'is required when neither `app` nor the repository name gives one');
  }
  const image = `${registry}/${repository ?? ''}`;
  if (registry && repository && image.length > MAX_NAME_LENGTH)
    problem(
      'image',
      `'${image}' is ${image.length} characters; registries accept at most ${MAX_NAME_LENGTH}`,
    );

  const platforms: string[] = [];
  const requested = list(inputs, 'platforms');
  for (const raw of requested.length ? requested : DEFAULT_PLATFORMS) {
    const parsed = parsePlatform(raw);
    if (parsed.error !== undefined) problem('platforms', parsed.error);
    else if (platforms.includes(parsed.platform))
      problem('platforms', `'${raw}' is listed twice (as ${parsed.platform})`);
    else platforms.push(parsed.platform);
  }

  const push = flag(inputs, 'push', true);
  const digests = list(inputs, 'digests');
  if (mode === 'per-platform') {
    if (platforms.length !== 1 && requested.length !== 1)
      problem(
        'platforms',
        `build-mode per-platform builds one platform per job; got ${platforms.length || requested.length} (${(requested.length ? requested : DEFAULT_PLATFORMS).join(', ')}): give one, e.g. from a matrix`,
      );
    if (!push)
      problem(
        'push',
        'build-mode per-platform pushes the platform image by digest for the merge job: push must be true',
      );
  }
  if (mode === 'merge') {
    if (digests.length === 0)
      problem('digests', 'is required with build-mode merge: the digests the per-platform jobs printed');
    for (const digest of digests) {
      const issue = digestProblem(digest);
      if (issue) problem('digests', issue);
    }
    if (new Set(digests).size !== digests.length) problem('digests', 'lists a digest twice');
    if (!push) problem('push', 'build-mode merge writes the joined index to the registry: push must be true');
  } else if (digests.length) {
    problem('digests', 'is only read with build-mode merge');
  }

  let tags: string[] = [];
  let version: string | undefined;
  if (mode !== 'per-platform') {
    try {
      ({ tags, version } = deriveTags({
        ref: facts.run.ref,
        commit: facts.run.commit,
        release: text(inputs, 'release'),
        explicit: list(inputs, 'tags'),
        latest: flag(inputs, 'latest', false),
      }));
    } catch (error) {
      problem('tags', (error as Error).message);
    }
  } else if (list(inputs, 'tags').length || flag(inputs, 'latest', false)) {
    problem('tags', 'build-mode per-platform pushes by digest only; give the tags to the merge job');
  }

  const { labels: userLabels, problems: labelProblems } = parseLabels(list(inputs, 'labels'));
  labelProblems.forEach((message) => problem('labels', message));
  const { buildArgs, problems: argProblems } = parseBuildArgs(list(inputs, 'build-args'));
  argProblems.forEach((message) => problem('build-args', message));

  const username = text(inputs, 'registry-username');
  const password = text(inputs, 'registry-password');
  let login: RegistryLogin = { kind: 'existing' };
  if (username && password) login = { kind: 'password', username, password };
  else if (username) problem('registry-password', `is required with registry-username '${username}'`);
  else if (password) problem('registry-username', 'is required with registry-password');
  else if (registry && isAcrLoginServer(registry)) login = { kind: 'entra' };

  let devicePullToken: DevicePullTokenPlan | undefined;
  if (flag(inputs, 'device-pull-token', false)) {
    const registryName = registry ? acrName(registry) : undefined;
    const subscriptionId = text(inputs, 'subscription-id');
    const resourceGroup = text(inputs, 'resource-group');
    if (registry && !registryName)
      problem(
        'device-pull-token',
        `needs an Azure Container Registry (*.azurecr.io); '${registry}' is not one: give devices pull credentials through device-registry-username/-password instead`,
      );
    if (!subscriptionId)
      problem('subscription-id', 'is required with device-pull-token: the subscription of the registry');
    if (!resourceGroup)
      problem('resource-group', 'is required with device-pull-token: the resource group of the registry');
    if (mode === 'per-platform')
      problem(
        'device-pull-token',
        'is created by the merge job, which knows the final image; not by per-platform jobs',
      );
    if (!push) problem('device-pull-token', 'needs push: true (devices pull the pushed image)');
    if (registryName && subscriptionId && resourceGroup)
      devicePullToken = {
        armEndpoint: text(inputs, 'arm-endpoint') ?? PUBLIC_ARM_ENDPOINT,
        subscriptionId,
        resourceGroup,
        registryName,
      };
  }

  const userCacheFrom = joinAttributeEntries(list(inputs, 'cache-from'));
  const userCacheTo = joinAttributeEntries(list(inputs, 'cache-to'));
  const defaultCache = facts.inActions && userCacheFrom.length === 0 && userCacheTo.length === 0;
  const scope = `ml-to-iot-edge-${(repository ?? 'image').replace(/\//g, '-')}${mode === 'per-platform' && platforms[0] ? `-${platformSlug(platforms[0])}` : ''}`;

  if (environmentImage && registry) {
    const parsed = parseEnvironmentImage(environmentImage, registry);
    if (parsed.problem) problem('environment-image', parsed.problem);
  }

  if (problems.length || !repository) return { problems };

  const labels = mergeLabels(
    defaultLabels({
      run: facts.run,
      version: version ?? tags[0],
      title: repository,
      created: facts.now,
      modelName: text(inputs, 'model-name'),
      modelVersion: text(inputs, 'model-version'),
    }),
    userLabels,
  );
  const plan: ImagePlan = {
    mode,
    registry,
    repository,
    image,
    context: text(inputs, 'context') ?? '.',
    file: text(inputs, 'file'),
    platforms,
    tags,
    stagingTag:
      mode === 'per-platform' && platforms[0]
        ? `build-${platformSlug(platforms[0])}-${/^[0-9a-f]{7,}$/i.test(facts.run.commit ?? '') ? facts.run.commit!.slice(0, 7).toLowerCase() : facts.now.replace(/[^0-9]/g, '').slice(0, 14)}`
        : undefined,
    version,
    labels,
    buildArgs,
    cacheFrom: defaultCache ? [`type=gha,scope=${scope}`] : userCacheFrom,
    cacheTo: defaultCache ? [`type=gha,scope=${scope},mode=max,ignore-error=true`] : userCacheTo,
    defaultCache,
    push,
    provenance: flag(inputs, 'provenance', false),
    sbom: flag(inputs, 'sbom', false),
    builder: text(inputs, 'builder'),
    digests,
    login,
    armEndpoint: text(inputs, 'arm-endpoint') ?? PUBLIC_ARM_ENDPOINT,
    devicePullToken,
    strategy,
    modelPath: text(inputs, 'model-path'),
    modelImagePath,
    environmentImage,
    ociLayout: text(inputs, 'oci-layout'),
  };
  return { plan, problems };
}
