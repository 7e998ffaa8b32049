// After the push: read what the registry now holds under the digest (an OCI index or Docker
// manifest list, or one image) and fail when a requested platform is missing or a tag does not
// point at it. Attestation entries (`unknown/unknown`) are not platforms.
import { canonicalPlatform, missingPlatforms } from './platforms.js';
import { isIndex, RegistryError, type Descriptor, type RegistryClient } from './registry-client.js';

export interface PushedImage {
  digest: string;
  mediaType: string;
  /** Canonical platforms of the images (attestations left out). */
  platforms: string[];
  /** Per platform: the image manifest's digest. */
  manifests: Array<{ platform: string; digest: string }>;
  attestations: number;
}

export class MissingPlatformsError extends Error {
  constructor(
    readonly missing: string[],
    readonly present: string[],
    image: string,
  ) {
    super(
      `${image} lacks ${missing.join(', ')}: the registry holds ${present.join(', ') || 'no platform'}. ` +
        'Devices of the missing platforms could not start the module; check the builder and the build log.',
    );
    this.name = 'MissingPlatformsError';
  }
}

function isAttestation(descriptor: Descriptor): boolean {
  return (
    descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    descriptor.platform?.os === 'unknown'
  );
}

/** What the registry holds under `digest` in `repository`. */
export async function readPushedImage(
  client: RegistryClient,
  repository: string,
  digest: string,
): Promise<PushedImage> {
  const manifest = await client.getManifest(repository, digest);
  if (manifest.digest !== digest)
    throw new RegistryError(
      `${client.registry}/${repository}@${digest} returned content with digest ${manifest.digest}`,
    );
  if (isIndex(manifest)) {
    const entries = manifest.json.manifests ?? [];
    const images = entries.filter((entry) => !isAttestation(entry));
    const manifests = images.map((entry) => ({
      platform: (entry.platform && canonicalPlatform(entry.platform)) ?? 'unknown',
      digest: entry.digest,
    }));
    return {
      digest,
      mediaType: manifest.mediaType,
      platforms: manifests.map((m) => m.platform),
      manifests,
      attestations: entries.length - images.length,
    };
  }
  const configDigest = manifest.json.config?.digest;
  if (!configDigest)
    throw new RegistryError(`${client.registry}/${repository}@${digest} has no image config`);
  const config = JSON.parse((await client.getBlob(repository, configDigest)).toString('utf8')) as {
    os?: string;
    architecture?: string;
    variant?: string;
  };
  const platform =
    canonicalPlatform({
      os: config.os ?? 'unknown',
      architecture: config.architecture ?? 'unknown',
      variant: config.variant,
    }) ?? `${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}`;
  return {
    digest,
    mediaType: manifest.mediaType,
    platforms: [platform],
    manifests: [{ platform, digest }],
    attestations: 0,
  };
}

/** Throws a MissingPlatformsError when the pushed image lacks a requested platform. */
export function checkPlatforms(requested: readonly string[], pushed: PushedImage, image: string): void {
  const missing = missingPlatforms(requested, pushed.platforms);
  if (missing.length) throw new MissingPlatformsError(missing, pushed.platforms, image);
}

/** Throws when a tag does not resolve to `digest` (a push that silently skipped a tag). */
export async function checkTags(
  client: RegistryClient,
  repository: string,
  tags: readonly string[],
  digest: string,
): Promise<void> {
  for (const tag of tags) {
    const resolved = await client.resolve(repository, tag);
    if (resolved !== digest)
      throw new RegistryError(
        `${client.registry}/${repository}:${tag} ${resolved ? `points at ${resolved}` : 'does not exist'}, not at the pushed ${digest}`,
      );
  }
}
