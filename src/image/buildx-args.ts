// The argument lists of `docker buildx build` and `docker buildx imagetools create`, built from a
// checked plan with no I/O, so a table of tests can hold every input combination to its argv.

/**
 * The Dockerfile buildx reads when `file` is not given. Kept out of the module that joins it to a
 * path: ncc reads `resolve(<unknown>, 'Dockerfile')` as an asset pattern and would copy every
 * Dockerfile below the build folder into dist/.
 */
export const DEFAULT_DOCKERFILE = 'Dockerfile';

export type BuildOutput =
  /** Push the image (or index) under its tags. */
  | { kind: 'push' }
  /** Push by digest only, no tag (one platform of a distributed build, joined later by `merge`). */
  | { kind: 'push-by-digest'; name: string }
  /** Build only: the driver's default (the docker driver keeps the image in the engine's store). */
  | { kind: 'none' };

export interface BuildxBuild {
  context: string;
  /** Dockerfile; buildx's default (`<context>/Dockerfile`) when absent. */
  file?: string;
  platforms: readonly string[];
  /** Full references: `registry/repository:tag`. */
  tags: readonly string[];
  labels: ReadonlyArray<readonly [string, string]>;
  buildArgs: readonly string[];
  cacheFrom: readonly string[];
  cacheTo: readonly string[];
  provenance: boolean;
  sbom: boolean;
  builder?: string;
  /** Where buildx writes the build result (the digest is read from it). */
  metadataFile: string;
  output: BuildOutput;
}

/** `docker buildx build …` as an argument array (the first element is `buildx`). */
export function buildxBuildArgs(build: BuildxBuild): string[] {
  const args = ['buildx', 'build'];
  if (build.builder) args.push('--builder', build.builder);
  if (build.file) args.push('--file', build.file);
  args.push('--platform', build.platforms.join(','));
  for (const tag of build.tags) args.push('--tag', tag);
  for (const [key, value] of build.labels) args.push('--label', `${key}=${value}`);
  for (const arg of build.buildArgs) args.push('--build-arg', arg);
  for (const cache of build.cacheFrom) args.push('--cache-from', cache);
  for (const cache of build.cacheTo) args.push('--cache-to', cache);
  // Explicit both ways: buildx adds a provenance attestation by default, which puts unknown/unknown
  // entries in the index that some consumers do not skip.
  args.push(`--provenance=${build.provenance}`, `--sbom=${build.sbom}`);
  args.push('--metadata-file', build.metadataFile);
  switch (build.output.kind) {
    case 'push':
      args.push('--push');
      break;
    case 'push-by-digest':
      args.push(
        '--output',
        `type=image,name=${build.output.name},push-by-digest=true,name-canonical=true,push=true`,
      );
      break;
    case 'none':
      break;
  }
  args.push(build.context);
  return args;
}

export interface ImagetoolsCreate {
  builder?: string;
  /** Full references of the index to write. */
  tags: readonly string[];
  /** `repository@digest` of each platform's image. */
  sources: readonly string[];
}

/** `docker buildx imagetools create …`: joins per-platform images into one index under `tags`. */
export function imagetoolsCreateArgs(create: ImagetoolsCreate): string[] {
  const args = ['buildx', 'imagetools', 'create'];
  if (create.builder) args.push('--builder', create.builder);
  for (const tag of create.tags) args.push('--tag', tag);
  args.push(...create.sources);
  return args;
}
