// Image tags derived from the git ref, the way docker/metadata-action's defaults do it:
//   release tag v1.4.0      → 1.4.0, 1.4, 1   (pre-releases only their full version: 2.0.0-rc.1;
//                                               major 0 gets no bare `0` tag: 0.x promises nothing)
//   other tag nightly       → nightly
//   branch feature/x        → feature-x
//   pull request 42         → pr-42
//   commit 0123abcd…        → sha-0123abc      (always, when the commit is known)
//   `latest`                → only when asked (`latest: true`)
// An explicit `release` input stands for a release tag. Explicit `tags` replace the derived ones.
import { parseReleaseVersion, stripVersionPrefix } from '../rollout/release-id.js';
import { sanitizeTag, tagProblem } from './reference.js';

// The regular expression semver.org gives for a version, with capture groups for its parts.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export interface TagSource {
  /** The git ref (`refs/tags/v1.4.0`, `refs/heads/main`, `refs/pull/42/merge`). */
  ref?: string;
  commit?: string;
  /** The `release` input, which wins over the ref. */
  release?: string;
  /** The `tags` input. */
  explicit?: readonly string[];
  latest: boolean;
}

export interface DerivedTags {
  tags: string[];
  /** The release version (for the OCI version label), when there is one. */
  version?: string;
}

/** Tags of a semver version: `1.4.0` → 1.4.0, 1.4, 1; `2.0.0-rc.1` → 2.0.0-rc.1; build metadata dropped. */
export function semverTags(version: string): string[] | undefined {
  const match = SEMVER.exec(version);
  if (!match) return undefined;
  const [, major, minor, patch, prerelease] = match;
  const core = `${major}.${minor}.${patch}`;
  if (prerelease) return [sanitizeTag(`${core}-${prerelease}`)];
  return major === '0' ? [core, `${major}.${minor}`] : [core, `${major}.${minor}`, major!];
}

function refTag(ref: string): string | undefined {
  const pull = /^refs\/pull\/(\d+)\//.exec(ref);
  if (pull) return `pr-${pull[1]}`;
  if (ref.startsWith('refs/heads/')) return sanitizeTag(ref.slice('refs/heads/'.length)) || undefined;
  return undefined;
}

/**
 * The tags to push. Throws when there is nothing to derive them from (no tags, release, ref or
 * commit), or when an explicit tag is not a valid tag.
 */
export function deriveTags(source: TagSource): DerivedTags {
  const explicitRelease = source.release?.trim() ? stripVersionPrefix(source.release.trim()) : undefined;
  const refRelease = source.ref?.startsWith('refs/tags/') ? parseReleaseVersion(source.ref) : undefined;
  const version = explicitRelease ?? refRelease;
  const tags: string[] = [];
  if (source.explicit?.length) {
    const problems = source.explicit.map((tag) => tagProblem(tag)).filter((p) => p !== undefined);
    if (problems.length) throw new Error(problems.join('; '));
    tags.push(...source.explicit);
  } else {
    if (version !== undefined) {
      const fromVersion = semverTags(version) ?? [sanitizeTag(version)];
      tags.push(...fromVersion.filter((tag) => tag !== ''));
    } else if (source.ref) {
      const tag = refTag(source.ref);
      if (tag) tags.push(tag);
    }
    if (source.commit && /^[0-9a-f]{7,}$/i.test(source.commit))
      tags.push(`sha-${source.commit.slice(0, 7).toLowerCase()}`);
  }
  if (source.latest) tags.push('latest');
  const unique = [...new Set(tags)];
  if (unique.length === 0) {
    throw new Error(
      'no tag to push: give `tags`, a `release`, or run on a git ref or commit (GITHUB_REF / GITHUB_SHA)',
    );
  }
  return version !== undefined ? { tags: unique, version } : { tags: unique };
}
