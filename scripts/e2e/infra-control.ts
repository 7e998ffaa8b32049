// The e2e infrastructure from Node (the e2e runner, the image benchmark, the tests): start it through
// scripts/e2e/infra.sh unless it already runs, read the settings it writes, and the environment a
// process needs to use the engine and trust the registry.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(REPO, 'scripts', 'e2e', 'infra.sh');
export const E2E_HOME = process.env.E2E_HOME ?? join(REPO, 'tmp', 'e2e');

/** What `infra.sh start` writes to $E2E_HOME/env.json. */
export interface E2eSettings {
  dockerHost: string;
  dockerConfig: string;
  /** Folders with dockerd, containerd and the docker CLI, to put first on PATH. */
  path: string;
  /** host:port of the TLS + basic-auth registry. */
  registry: string;
  /** The same storage served read-only: refuses pushes. */
  readonlyRegistry: string;
  registryUser: string;
  registryPassword: string;
  /** The registry's CA certificate. */
  caFile: string;
  /** The busybox base image for amd64, arm64 and arm/v7. */
  baseImage: string;
  registryLog: string;
  /** The engine with the classic image store (`infra.sh start-classic`). */
  classicDockerHost: string;
}

/** Runs `infra.sh <command>`; its progress goes to stderr. Throws when it fails. */
export function infra(command: string): string {
  const result = spawnSync('bash', [SCRIPT, command], {
    encoding: 'utf8',
    env: { ...process.env, E2E_HOME },
  });
  process.stderr.write(result.stdout ?? '');
  if (result.status !== 0)
    throw new Error(`scripts/e2e/infra.sh ${command} failed (exit ${result.status}): ${result.stderr}`);
  return result.stdout;
}

export function readSettings(): E2eSettings {
  return JSON.parse(readFileSync(join(E2E_HOME, 'env.json'), 'utf8')) as E2eSettings;
}

/** Starts the engine and registries unless they run; says whether this call started them. */
export function startInfra(): { settings: E2eSettings; startedHere: boolean } {
  const status =
    spawnSync('bash', [SCRIPT, 'status'], { encoding: 'utf8', env: { ...process.env, E2E_HOME } }).stdout ??
    '';
  const startedHere = !/^dockerd: running/m.test(status) || !/^registry: running/m.test(status);
  infra('start');
  return { settings: readSettings(), startedHere };
}

/** Stops what startInfra started, unless E2E_KEEP=1. */
export function stopInfra(startedHere: boolean): void {
  if (startedHere && process.env.E2E_KEEP !== '1') infra('stop');
}

/**
 * The engine on PATH and DOCKER_HOST / DOCKER_CONFIG, and the registry's CA trusted by Node and Go.
 * `nodeCaFile` replaces the CA file Node trusts, e.g. a bundle of the registry's CA and the test CA.
 */
export function engineEnvironment(
  settings: E2eSettings,
  nodeCaFile = settings.caFile,
): Record<string, string> {
  return {
    PATH: `${settings.path}:${process.env.PATH ?? ''}`,
    DOCKER_HOST: settings.dockerHost,
    DOCKER_CONFIG: settings.dockerConfig,
    NODE_EXTRA_CA_CERTS: nodeCaFile,
    // Go (buildx imagetools) reads the roots from here.
    SSL_CERT_FILE: settings.caFile,
    E2E_ENV: join(E2E_HOME, 'env.json'),
  };
}
