// The root action as the runner runs it: src/entrypoints/pipeline.ts in its own Node process (tsx),
// inputs in INPUT_* variables, a fake GITHUB_* context with an event payload file, and the outputs
// and job summary read back from the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. The child is spawned
// asynchronously: the sandboxes it talks to run in this (the test's) process.
import { afterAll, beforeAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLabels } from '../../../src/rollout/state-labels.js';
import type { RolloutState } from '../../../src/rollout/state-labels.js';
import type { SandboxAml } from '../../../src/sandbox/aml/index.js';
import type { SandboxHub, SandboxHubOptions } from '../../../src/sandbox/index.js';
import { stepEnvironment, stepResults } from '../../support/action-runner.js';
import { REPO_ROOT } from '../../support/paths.js';
import { startTestAml } from '../model/support.js';
import { type RolloutHub, seedFallback, startRolloutHub } from '../rollout/support.js';

export const COMMIT = '7d1e5c3b2a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d';
export const REPOSITORY = 'acme/vision';
export const RUN_ID = '9090';
export const RUN_URL = `https://github.com/${REPOSITORY}/actions/runs/${RUN_ID}`;

/** Two small rings, no soak: each ring passes at the engine's first poll after its devices report. */
export const QUICK_RINGS = `
defaults: {soak: 0s, timeout: 5m}
rings:
  - {name: canary, tag: ring=canary}
  - {name: fleet, tags: {ring: fleet}}
`;

/**
 * The engine spaces its polls to stay within half the hub's query budget (20/min per unit): with 4
 * units that is its floor of 15 s real time, as the engine runs on the real clock in the child.
 */
export const HUB_UNITS = '4';

/** The hub a release rolls out on: canary=2 and fleet=4 at 120× time, the fallback deployed. */
export async function startReleaseHub(options: SandboxHubOptions = {}): Promise<RolloutHub> {
  const env = await startRolloutHub({ devices: 'canary=2,fleet=4', timeScale: 120, ...options });
  try {
    await seedFallback(env.hub);
  } catch (error) {
    await env.hub.stop();
    throw error;
  }
  return env;
}

/** The root action's inputs for app `vision` on `hub` over QUICK_RINGS. */
export function rolloutInputs(hub: SandboxHub): Record<string, string> {
  return {
    app: 'vision',
    'iothub-connection-string': hub.connectionString,
    rings: QUICK_RINGS,
    'hub-units': HUB_UNITS,
  };
}

export interface ReleaseSandboxes {
  readonly hub: SandboxHub;
  readonly aml: SandboxAml;
  /** The root action's inputs for a release of model `vision` from `modelPath`, then `extra`. */
  inputs(modelPath: string, extra?: Record<string, string>): Record<string, string>;
}

/**
 * What the root action talks to on a release: that hub and the Azure ML workspace, started in
 * beforeAll and stopped in afterAll (read them in hooks and tests only).
 */
export function releaseSandboxes(options: SandboxHubOptions = {}): ReleaseSandboxes {
  let hub: SandboxHub | undefined;
  let aml: SandboxAml | undefined;
  beforeAll(async () => {
    ({ hub } = await startReleaseHub(options));
    aml = await startTestAml();
  });
  afterAll(async () => {
    await hub?.stop();
    await aml?.stop();
  });
  const started = <T>(sandbox: T | undefined): T => {
    if (!sandbox) throw new Error('the release sandboxes start in beforeAll');
    return sandbox;
  };
  return {
    get hub() {
      return started(hub);
    },
    get aml() {
      return started(aml);
    },
    inputs(modelPath, extra = {}) {
      return {
        ...started(aml).inputs(),
        ...rolloutInputs(started(hub)),
        'model-path': modelPath,
        'model-name': 'vision',
        ...extra,
      };
    },
  };
}

export interface GitHubEvent {
  name: string;
  payload: unknown;
  ref?: string;
}

export const releaseEvent = (tag: string, action = 'published'): GitHubEvent => ({
  name: 'release',
  payload: { action, release: { tag_name: tag, name: tag, prerelease: false } },
  ref: `refs/tags/${tag}`,
});

export const dispatchEvent = (inputs: Record<string, string>): GitHubEvent => ({
  name: 'workflow_dispatch',
  payload: { inputs, ref: 'refs/heads/main' },
  ref: 'refs/heads/main',
});

export interface ActionRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The titled `::error` annotations (input problems), as printed; not setFailed's own line. */
  errors: string[];
  durationMs: number;
}

/**
 * Runs the root action's entrypoint with `inputs` and the event. The environment passes through
 * (NODE_EXTRA_CA_CERTS trusts the test CA; the e2e runner's DOCKER_* reach buildx).
 */
export async function runRootAction(
  inputs: Record<string, string>,
  event: GitHubEvent,
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 110_000,
): Promise<ActionRun> {
  const runner = mkdtempSync(join(tmpdir(), 'pipeline-runner-'));
  const eventFile = join(runner, 'event.json');
  writeFileSync(eventFile, JSON.stringify(event.payload));
  const env = stepEnvironment(runner, inputs, {
    ...process.env,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REF: event.ref,
    GITHUB_SHA: COMMIT,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_RUN_ID: RUN_ID,
    GITHUB_SERVER_URL: 'https://github.com',
    ...extraEnv,
  });

  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', 'entrypoints', 'pipeline.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A run that hangs is killed, so the test fails with its log rather than leaving a process behind.
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  if (process.env.PIPELINE_TEST_LOG) writeFileSync(process.env.PIPELINE_TEST_LOG, `${stdout}\n${stderr}`);
  const { outputs, summary } = stepResults(runner);
  return {
    status,
    stdout,
    stderr,
    outputs,
    summary,
    errors: stdout.split('\n').filter((line) => line.startsWith('::error title=')),
    durationMs: Date.now() - started,
  };
}

/** A deployment on the sandbox hub: its model module's image, model twin and decoded labels. */
export function deploymentOnHub(
  hub: SandboxHub,
  id: string,
): { image: unknown; model: unknown; state: RolloutState } {
  const configuration = hub.model.getConfiguration(id) as {
    labels?: Record<string, string>;
    content: { modulesContent: Record<string, Record<string, Record<string, unknown>>> };
  };
  const modules = configuration.content.modulesContent;
  const agent = modules.$edgeAgent!['properties.desired'] as {
    modules: Record<string, { settings: { image: string } }>;
  };
  const labels = decodeLabels(configuration.labels);
  if (labels.kind !== 'rollout') throw new Error(`deployment ${id} has no rollout labels`);
  return {
    image: agent.modules.model?.settings.image,
    model: modules.model?.['properties.desired']?.model,
    state: labels.state,
  };
}
