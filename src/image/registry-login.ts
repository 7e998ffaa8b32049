// docker login / logout for the push, and the credentials the registry reader uses. Passwords go to
// docker through stdin, never the command line, and are masked before anything is logged. Every
// login is written to a ledger in the work folder first, so the post step can log out even when the
// main step was cancelled or crashed before its own logout.
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../logger.js';
import type { RegistryCredentials } from './registry-client.js';
import { lastOutputLine, type ImageSystem } from './system.js';

export class RegistryLoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryLoginError';
  }
}

/** The ledger of registries this tool logged docker in to, in the step's work folder. */
export function loginLedgerPath(workDir: string): string {
  return join(workDir, 'ml-to-iot-edge', 'docker-logins.json');
}

async function readLedger(path: string): Promise<string[]> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

async function writeLedger(path: string, registries: string[]): Promise<void> {
  if (registries.length === 0) {
    await rm(path, { force: true });
    // Leave no empty folder behind (the CLI's work folder is the current directory).
    await rmdir(dirname(path)).catch(() => undefined);
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(registries), { mode: 0o600 });
}

/** `docker login` with the password on stdin; recorded in the ledger before it runs. */
export async function dockerLogin(
  registry: string,
  credentials: RegistryCredentials,
  system: ImageSystem,
  workDir: string,
  logger: Logger,
): Promise<void> {
  const ledger = loginLedgerPath(workDir);
  const recorded = await readLedger(ledger);
  if (!recorded.includes(registry)) await writeLedger(ledger, [...recorded, registry]);
  const result = await system.exec(
    'docker',
    ['login', registry, '--username', credentials.username, '--password-stdin'],
    {
      input: credentials.password,
      silent: true,
    },
  );
  if (result.exitCode !== 0) {
    const reason = lastOutputLine(result.stderr || result.stdout).replaceAll(credentials.password, '***');
    throw new RegistryLoginError(
      `docker login to ${registry} as '${credentials.username}' failed: ${reason || `exit code ${result.exitCode}`}. ` +
        'Check registry-username and registry-password (for ACR: the identity needs the AcrPush role).',
    );
  }
  logger.info(`Logged in to ${registry} as ${credentials.username}`);
}

/** `docker logout`, and the registry off the ledger. Never throws: a failed logout only warns. */
export async function dockerLogout(
  registry: string,
  system: ImageSystem,
  workDir: string,
  logger: Logger,
): Promise<void> {
  const result = await system
    .exec('docker', ['logout', registry], { silent: true })
    .catch((error: Error) => ({
      exitCode: 1,
      stdout: '',
      stderr: error.message,
    }));
  if (result.exitCode !== 0)
    logger.warning(`docker logout ${registry} failed: ${lastOutputLine(result.stderr)}`);
  else logger.info(`Logged out of ${registry}`);
  const ledger = loginLedgerPath(workDir);
  await writeLedger(
    ledger,
    (await readLedger(ledger)).filter((r) => r !== registry),
  );
}

/** The post step: logs out of every registry still on the ledger. */
export async function logoutRecorded(
  system: ImageSystem,
  workDir: string,
  logger: Logger,
): Promise<string[]> {
  const registries = await readLedger(loginLedgerPath(workDir));
  for (const registry of registries) await dockerLogout(registry, system, workDir, logger);
  return registries;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The username an identity token is used with (ACR's convention for refresh tokens). */
export const TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

/**
 * The credentials docker holds for `registry` (after docker/login-action or `az acr login`): an
 * `auth` entry of config.json, or a credential helper's answer. Undefined when there are none.
 */
export async function dockerConfigCredentials(
  registry: string,
  system: ImageSystem,
): Promise<RegistryCredentials | undefined> {
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(join(system.dockerConfigDir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  const entry = config.auths?.[registry] ?? config.auths?.[`https://${registry}`];
  if (entry?.identitytoken) return { username: TOKEN_USERNAME, password: entry.identitytoken };
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (at > 0) return { username: decoded.slice(0, at), password: decoded.slice(at + 1) };
  }
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (!helper) return undefined;
  try {
    const result = await system.exec(`docker-credential-${helper}`, ['get'], {
      input: registry,
      silent: true,
    });
    if (result.exitCode !== 0) return undefined;
    const answer = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
    if (!answer.Secret) return undefined;
    return {
      username: !answer.Username || answer.Username === '<token>' ? TOKEN_USERNAME : answer.Username,
      password: answer.Secret,
    };
  } catch {
    return undefined;
  }
}
