// Deployment ids and priorities of releases. One deployment per release (its content is immutable),
// so the id is derived from app + release, and each release sits one step above the app's earlier
// releases on a priority ladder.
//
// Id rules (reference §1.4): lower-case, at most 128 characters, only [a-z0-9-:+%_#*?!(),=@;'].
// Note that `.` is NOT allowed, so `1.4.0` cannot appear as is. The release part maps `.` to `_`:
// semver never contains `_`, so the mapping is one-to-one for every semver (unlike `.` → `-`, which
// would make `1.4.0-rc.1` and `1.4.0-rc-1` collide), and ids stay readable: `vision-app-1_4_0+build_7`.
// When the mapping is lossy for a release (upper case, `_`, other characters) or the id must be
// truncated, an 8-hex-digit hash of the app and the exact release is appended, so two different
// releases never share an id; the hash is deterministic, so re-runs find the same deployment.
import { createHash } from 'node:crypto';

export const MAX_ID_LENGTH = 128;
const HASH_LENGTH = 8;
/** Priority of an app's first release: leaves 1–9 free for hand-made base or fallback deployments. */
export const BASE_PRIORITY = 10;

/**
 * The app's identity on the hub: lower-case letters, digits, `-` and `_` (`Vision App` → `vision-app`).
 * Two app names with the same slug are the same app for every rollout decision.
 */
export function appSlug(app: string): string {
  const slug = app
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (slug === '')
    throw new Error(`app name '${app}' has no letter or digit: give an app name such as 'vision'`);
  return slug;
}

/** Drops a `v` in front of a version number: `v1.4.0` → `1.4.0`; `vision` stays. */
export function stripVersionPrefix(release: string): string {
  return /^[vV]\d/.test(release) ? release.slice(1) : release;
}

/**
 * The release version of a git ref: `refs/tags/v1.4.0` → `1.4.0`, `refs/tags/vision/v2.0.0` → `2.0.0`
 * (prefixed tags in a monorepo), `v1.4.0` → `1.4.0`. Branch and pull-request refs are not releases:
 * undefined.
 */
export function parseReleaseVersion(ref: string): string | undefined {
  const text = ref.trim();
  if (/^refs\/(heads|pull|remotes)\//.test(text)) return undefined;
  const tag = text.startsWith('refs/tags/') ? text.slice('refs/tags/'.length) : text;
  const version = stripVersionPrefix(tag.slice(tag.lastIndexOf('/') + 1).trim());
  return version === '' ? undefined : version;
}

const LOSSLESS_RELEASE = /^[a-z0-9.+-]+$/;

function releaseSlug(release: string): string {
  return release
    .toLowerCase()
    .replaceAll('.', '_')
    .replace(/[^a-z0-9\-:+%_#*?!(),=@;']/g, '-');
}

function shortHash(app: string, release: string): string {
  return createHash('sha256').update(`${app}\u0000${release}`).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * The deployment id of a release: `deploymentId('Vision App', 'v1.4.0')` → `vision-app-1_4_0`.
 * Stable across re-runs; see the file comment for when a hash suffix is added.
 */
export function deploymentId(app: string, release: string): string {
  const slug = appSlug(app);
  const version = stripVersionPrefix(release.trim());
  if (version === '') throw new Error(`release '${release}' is empty: give a version such as 1.4.0`);
  const id = `${slug}-${releaseSlug(version)}`;
  if (LOSSLESS_RELEASE.test(version) && id.length <= MAX_ID_LENGTH) return id;
  const suffix = `-${shortHash(slug, version)}`;
  return `${id.slice(0, MAX_ID_LENGTH - suffix.length).replace(/-+$/, '')}${suffix}`;
}

export function isValidDeploymentId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && /^[a-z0-9\-:+%_#*?!(),=@;']+$/.test(id);
}

/**
 * The priority of a new release: one above every earlier release of the same app (including
 * rolled-back ones, so the ladder only goes up), or `base` for the first release.
 *
 * Whether another app's deployment outranks the release on some devices depends on which devices
 * both target, which cannot be known from priorities alone: the plan (plan.ts) resolves priorities
 * per device and reports devices that stay on a higher-priority deployment.
 */
export function nextPriority(existingPrioritiesOfApp: readonly number[], base = BASE_PRIORITY): number {
  if (!Number.isInteger(base) || base < 1)
    throw new RangeError(`base priority must be a whole number ≥ 1, got ${base}`);
  const highest = Math.max(0, ...existingPrioritiesOfApp);
  return highest === 0 ? base : Math.max(base, highest + 1);
}
