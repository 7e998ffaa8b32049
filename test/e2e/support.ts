// What the e2e tests share: the infrastructure's settings (scripts/e2e/infra.sh writes env.json),
// docker commands against the test engine, and stage runs on the real machine.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInputs } from '../../src/action/parse-inputs.js';
import { createRegistryClient, type RegistryClient } from '../../src/image/registry-client.js';
import { machineSystem, type ImageSystem } from '../../src/image/system.js';
import { memoryLogger } from '../../src/logger.js';
import { buildImageFromInputs } from '../../src/stages/build-image.js';
import type { RunInfo, StageContext } from '../../src/stages/index.js';
import { readSettings, type E2eSettings } from '../../scripts/e2e/infra-control.js';
import { REPO_ROOT } from '../support/paths.js';
import { recordTestSecret } from '../support/journal.js';

export function e2e(): E2eSettings {
  if (!process.env.E2E_ENV)
    throw new Error('E2E_ENV is not set: run the e2e tests through `npm run test:e2e`.');
  const settings = readSettings();
  // The registry's password is a secret of the tier: the scan after the run looks for it everywhere.
  recordTestSecret(settings.registryPassword);
  return settings;
}

export const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'model-project');
export const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] as const;
/** What `uname -m` prints for each platform. */
export const MACHINES: Record<(typeof PLATFORMS)[number], string> = {
  'linux/amd64': 'x86_64',
  'linux/arm64': 'aarch64',
  'linux/arm/v7': 'armv7l',
};

/** A repository name no earlier run used (the registry keeps its data between runs). */
export function freshRepository(prefix: string): string {
  return `e2e/${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/** The process environment with some variables replaced (DOCKER_HOST, DOCKER_CONFIG, PATH). */
export function environment(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

export function system(overrides: NodeJS.ProcessEnv = {}): ImageSystem {
  return machineSystem(environment(overrides));
}

export function docker(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): SpawnSyncReturns<string> {
  return spawnSync('docker', args, {
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** A client of the test registry, logged in as the tier's user. */
export function registryClient(): RegistryClient {
  const settings = e2e();
  return createRegistryClient({
    registry: settings.registry,
    credentials: { username: settings.registryUser, password: settings.registryPassword },
  });
}

/** Starts the scoring service in the container, scores x=0.7 and prints the model file. */
const SERVE = [
  'uname -m',
  '/app/score.sh & for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do wget -qO- "http://127.0.0.1:8080/cgi-bin/score?x=0.7" 2>/dev/null && break; sleep 0.5; done',
  'wget -qO- http://127.0.0.1:8080/model/model.json',
].join('; ');

/**
 * Pulls `ref` and runs it for `platform` (no network): what `uname -m` says in it, its score of
 * x=0.7 and the model file it serves. Throws when it does not run (a wrong architecture among them).
 */
export function runImage(ref: string, platform: string): { machine: string; score: unknown; model: unknown } {
  const run = docker([
    'run',
    '--rm',
    '--pull',
    'always',
    '--network',
    'none',
    '--platform',
    platform,
    ref,
    'sh',
    '-c',
    SERVE,
  ]);
  if (/exec format error/.test(run.stderr) || run.status !== 0)
    throw new Error(`docker run ${ref} on ${platform} exited ${run.status}: ${run.stderr}`);
  const [machine, score, model] = run.stdout.trim().split('\n');
  return { machine: machine!, score: JSON.parse(score!), model: JSON.parse(model!) };
}

export function login(registry = e2e().registry): void {
  const settings = e2e();
  const result = docker(['login', registry, '--username', settings.registryUser, '--password-stdin'], {
    input: settings.registryPassword,
  });
  if (result.status !== 0) throw new Error(`docker login ${registry}: ${result.stderr}`);
}

export function stageContext(run: RunInfo = {}): StageContext & { logger: ReturnType<typeof memoryLogger> } {
  return {
    logger: memoryLogger(),
    run,
    mask: () => undefined,
    workDir: mkdtempSync(join(tmpdir(), 'e2e-work-')),
  };
}

/** The fixture's inputs for the build-image stage. */
export function fixtureInputs(
  repository: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const settings = e2e();
  return {
    registry: settings.registry,
    image: repository,
    context: FIXTURE,
    'build-args': `BASE_IMAGE=${settings.baseImage}`,
    'registry-username': settings.registryUser,
    'registry-password': settings.registryPassword,
    ...extra,
  };
}

/** Runs the stage on the real machine; returns the result or the error, and the log. */
export async function runStage(
  raw: Record<string, string>,
  options: { run?: RunInfo; env?: NodeJS.ProcessEnv; system?: ImageSystem } = {},
) {
  const context = stageContext(options.run);
  const inputs = parseInputs('build-image', (name) => raw[name]);
  const started = Date.now();
  const result = await buildImageFromInputs(inputs, context, options.system ?? system(options.env)).catch(
    (error: Error) => error,
  );
  return {
    result,
    log: context.logger.lines,
    seconds: (Date.now() - started) / 1000,
    workDir: context.workDir,
  };
}

/** The machine, with every command it is asked to run recorded (to show that a path ran none). */
export function recordingSystem(overrides: NodeJS.ProcessEnv = {}): ImageSystem & { commands: string[][] } {
  const real = system(overrides);
  const commands: string[][] = [];
  return {
    ...real,
    commands,
    exec: (command, args, options) => {
      commands.push([command, ...args]);
      return real.exec(command, args, options);
    },
  };
}

/** A copy of the fixture project to change (its model) without touching the checkout. */
export function fixtureCopy(): string {
  const project = mkdtempSync(join(tmpdir(), 'e2e-model-project-'));
  cpSync(FIXTURE, project, { recursive: true });
  return project;
}

/** Registry requests that write (POST, PUT, PATCH, DELETE) into `repository`, logged after `offset`. */
export function registryWrites(repository: string, offset: number): string[] {
  const log = readFileSync(e2e().registryLog, 'utf8').slice(offset);
  const escaped = repository.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`);
  const write = new RegExp(`"(POST|PUT|PATCH|DELETE) /v2/${escaped}/`);
  return log.split('\n').filter((line) => write.test(line));
}

export function registryLogSize(): number {
  return statSync(e2e().registryLog).size;
}
