// Before a build starts: is there a buildx, a builder, and can it build every requested platform?
// Each "no" says how to fix it: the QEMU and buildx setup steps in a workflow, the packages on a
// machine.
import type { Logger } from '../logger.js';
import { missingPlatforms } from './platforms.js';
import { CommandNotFoundError, lastOutputLine, type ImageSystem } from './system.js';

/** The fix for a missing buildx or builder, in a workflow and on a machine. */
export const BUILDX_SETUP_FIX =
  'In a workflow, add `- uses: docker/setup-qemu-action@v3` and `- uses: docker/setup-buildx-action@v3` before this step. ' +
  'On a machine, install Docker with its buildx plugin (Debian: the docker-buildx package) and start the Docker engine.';

export const QEMU_FIX =
  'In a workflow, add `- uses: docker/setup-qemu-action@v3` (before docker/setup-buildx-action). ' +
  'On a machine, register the QEMU binfmt handlers: `apt-get install qemu-user-static binfmt-support` (Debian, Ubuntu), or `docker run --privileged --rm tonistiigi/binfmt --install all`.';

export const MULTI_PLATFORM_FIX =
  'Add `- uses: docker/setup-buildx-action@v3` (a docker-container builder builds several platforms at once), ' +
  'or turn on the containerd image store of the Docker engine (`"features": {"containerd-snapshotter": true}` in daemon.json), ' +
  'or build one platform per job with build-mode per-platform and join them with build-mode merge.';

export class BuilderError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(`${message}\nHow to fix: ${fix}`);
    this.name = 'BuilderError';
  }
}

export interface BuilderInfo {
  name: string;
  driver: string;
  status?: string;
  platforms: string[];
  /** What `docker buildx inspect` reports when it cannot reach the builder (it still exits 0). */
  error?: string;
  buildxVersion: string;
  /** For the docker driver: whether the engine uses the containerd image store. */
  containerdStore?: boolean;
}

/** The fields of `docker buildx inspect` output (first node). */
export function parseBuildxInspect(text: string): Omit<BuilderInfo, 'buildxVersion'> {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const platforms = (field('Platforms') ?? '')
    .split(',')
    .map((p) => p.trim().replace(/\*$/, ''))
    .filter(Boolean);
  const error = field('Error');
  return {
    name: field('Name') ?? 'default',
    driver: field('Driver') || 'unknown',
    status: field('Status'),
    platforms,
    ...(error ? { error } : {}),
  };
}

/** `github.com/docker/buildx v0.13.1 …` or `… 0.13.1+ds1 …` → [0, 13, 1]. */
export function parseBuildxVersion(text: string): [number, number, number] | undefined {
  const match = /\bv?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** The kernel binfmt_misc handler that runs binaries of an architecture under QEMU. */
const QEMU_HANDLERS: Record<string, string> = {
  arm64: 'qemu-aarch64',
  arm: 'qemu-arm',
  amd64: 'qemu-x86_64',
  '386': 'qemu-i386',
  ppc64le: 'qemu-ppc64le',
  s390x: 'qemu-s390x',
  riscv64: 'qemu-riscv64',
  mips64le: 'qemu-mips64el',
  mips64: 'qemu-mips64',
  loong64: 'qemu-loongarch64',
};

/** Drivers whose builds run on this machine's kernel, so its binfmt handlers apply. */
const LOCAL_DRIVERS = ['docker', 'docker-container'];

export interface BuilderCheck {
  builder?: string;
  platforms: readonly string[];
}

/**
 * Checks buildx, the builder and its platforms; throws a BuilderError with the fix otherwise. A
 * platform the builder does not list is accepted, with a warning, when the builder runs on this
 * machine and the kernel has an enabled QEMU handler for it (BuildKit's own probe can miss one
 * that works, e.g. 32-bit arm in some sandboxes).
 */
export async function checkBuilder(
  check: BuilderCheck,
  system: ImageSystem,
  logger: Logger,
): Promise<BuilderInfo> {
  const { exec } = system;
  let version;
  try {
    version = await exec('docker', ['buildx', 'version'], { silent: true });
  } catch (error) {
    if (error instanceof CommandNotFoundError)
      throw new BuilderError('The docker CLI is not installed or not on PATH.', BUILDX_SETUP_FIX);
    throw error;
  }
  if (version.exitCode !== 0) {
    const reason = (version.stderr || version.stdout).trim().split('\n')[0]?.trim();
    throw new BuilderError(
      `docker buildx is not available (${reason || `exit code ${version.exitCode}`}).`,
      BUILDX_SETUP_FIX,
    );
  }
  const parsedVersion = parseBuildxVersion(version.stdout);
  if (parsedVersion && parsedVersion[0] === 0 && parsedVersion[1] < 10) {
    throw new BuilderError(
      `buildx ${parsedVersion.join('.')} is too old: --provenance, --sbom and the build metadata need buildx 0.10 or later.`,
      BUILDX_SETUP_FIX,
    );
  }

  const builderArgs = check.builder ? ['--builder', check.builder] : [];
  let inspect = await exec('docker', ['buildx', 'inspect', ...builderArgs], { silent: true });
  if (inspect.exitCode === 0 && /^Status:\s*inactive/m.test(inspect.stdout)) {
    // A docker-container builder that has not started yet lists no platforms until it boots.
    inspect = await exec('docker', ['buildx', 'inspect', '--bootstrap', ...builderArgs], { silent: true });
  }
  const reported = inspect.exitCode === 0 ? parseBuildxInspect(inspect.stdout) : undefined;
  if (inspect.exitCode !== 0 || reported?.error) {
    const reason = reported?.error ?? lastOutputLine(inspect.stderr || inspect.stdout);
    const which = check.builder ? `The builder '${check.builder}'` : 'The current buildx builder';
    if (/no builder .* found/i.test(reason))
      throw new BuilderError(
        `${which} does not exist (${reason}).`,
        'Create it first (docker/setup-buildx-action with `name:`), or leave `builder` empty to use the current one.',
      );
    if (/cannot connect|connection refused|no such file|is the docker daemon running/i.test(reason))
      throw new BuilderError(`${which} cannot reach a Docker engine (${reason}).`, BUILDX_SETUP_FIX);
    throw new BuilderError(`${which} cannot be used (${reason}).`, BUILDX_SETUP_FIX);
  }
  const info: BuilderInfo = { ...reported!, buildxVersion: parsedVersion?.join('.') ?? 'unknown' };
  if (info.status && info.status !== 'running') {
    throw new BuilderError(`The builder '${info.name}' is ${info.status}, not running.`, BUILDX_SETUP_FIX);
  }

  if (info.driver === 'docker') {
    // The builder of the docker driver is named after its docker context.
    const status = await exec(
      'docker',
      ['--context', info.name, 'info', '--format', '{{json .DriverStatus}}'],
      {
        silent: true,
      },
    );
    info.containerdStore = status.exitCode === 0 && status.stdout.includes('io.containerd.snapshotter');
  }

  const unlisted = missingPlatforms(check.platforms, info.platforms);
  const unsupported: string[] = [];
  for (const platform of unlisted) {
    const handler = QEMU_HANDLERS[platform.split('/')[1] ?? ''];
    const state =
      handler && LOCAL_DRIVERS.includes(info.driver) ? await system.readBinfmtHandler(handler) : undefined;
    if (state?.startsWith('enabled')) {
      logger.warning(
        `The builder '${info.name}' does not list ${platform}, but this machine runs ${platform.split('/')[1]} binaries through QEMU (${handler}); building it anyway. The pushed index is checked afterwards.`,
      );
    } else unsupported.push(platform);
  }
  if (unsupported.length) {
    throw new BuilderError(
      `The builder '${info.name}' (${info.driver} driver) cannot build ${unsupported.join(', ')}; it builds ${info.platforms.join(', ') || 'no platform'}.`,
      QEMU_FIX,
    );
  }
  if (check.platforms.length > 1 && info.driver === 'docker' && !info.containerdStore) {
    throw new BuilderError(
      `The builder '${info.name}' uses the docker driver without the containerd image store, which builds one platform at a time; ${check.platforms.length} were asked for (${check.platforms.join(', ')}).`,
      MULTI_PLATFORM_FIX,
    );
  }
  logger.info(
    `Builder '${info.name}' (${info.driver} driver${info.driver === 'docker' ? (info.containerdStore ? ', containerd image store' : ', classic image store') : ''}, buildx ${info.buildxVersion}): ${check.platforms.join(', ')}`,
  );
  return info;
}
