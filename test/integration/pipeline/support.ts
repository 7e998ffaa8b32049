// The root action as the runner runs it: src/entrypoints/pipeline.ts in its own Node process (tsx),
// inputs in INPUT_* variables, a fake GITHUB_* context with an event payload file, and the outputs
// and job summary read back from the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. The child is spawned
// asynchronously: the sandboxes it talks to run in this (the test's) process.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLabels } from '../../../src/rollout/state-labels.js';
import type { RolloutState } from '../../../src/rollout/state-labels.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { REPO_ROOT } from '../../support/paths.js';

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

/** Reads a GITHUB_OUTPUT file (`name<<delimiter` blocks). */
export function commandFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!heredoc) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
    values[heredoc[1]!] = body.join('\n');
  }
  return values;
}

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
  const files = {
    output: join(runner, 'output'),
    summary: join(runner, 'summary'),
    state: join(runner, 'state'),
    event: join(runner, 'event.json'),
  };
  for (const file of [files.output, files.summary, files.state]) writeFileSync(file, '');
  writeFileSync(files.event, JSON.stringify(event.payload));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REF: event.ref,
    GITHUB_SHA: COMMIT,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_RUN_ID: RUN_ID,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: runner,
    ...extraEnv,
  };
  for (const name of Object.keys(env)) if (name.startsWith('INPUT_')) delete env[name];
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;

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
  return {
    status,
    stdout,
    stderr,
    outputs: commandFile(files.output),
    summary: readFileSync(files.summary, 'utf8'),
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
