// GitHub Deployments per ring: the real @actions/github octokit, driven by the real engine on the
// sandbox hub. The one mock in this file is the GitHub REST deployments API itself — there is no
// local GitHub — so a small stand-in on 127.0.0.1 (test/support/github-api.ts) answers the tracker's
// calls and records every request.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  deploymentTrackerFromEnvironment,
  githubDeployments,
} from '../../../src/action/github-deployments.js';
import { parseInputs } from '../../../src/action/parse-inputs.js';
import { memoryLogger } from '../../../src/logger.js';
import { runRollout } from '../../../src/rollout/engine.js';
import type { RolloutDeps } from '../../../src/rollout/engine-types.js';
import { expectNoSecrets } from '../rollout-client/secrets.js';
import { GitHubStandIn } from '../../support/github-api.js';
import { recordTestSecret } from '../../support/journal.js';
import {
  hubWithFallback,
  NEW_IMAGE,
  NEW_IMAGE_TEXT,
  releaseContent,
  rolloutOptions,
  TEST_RINGS_YAML,
} from './support.js';

const TOKEN = 'ghs_standInToken0123456789abcdefABCDEF';
recordTestSecret(TOKEN); // the suite's secret scan looks for it in every journaled line
const SHA = '0123456789abcdef0123456789abcdef01234567';
const RUN_URL = 'https://github.com/acme/vision/actions/runs/777';

const github = new GitHubStandIn();
const loggers: Array<ReturnType<typeof memoryLogger>> = [];

beforeAll(() => github.start());
afterAll(() => github.stop());

/** Engine deps whose progress is a GitHub Deployments tracker on the stand-in. */
function tracked(deps: RolloutDeps) {
  const logger = memoryLogger();
  loggers.push(logger);
  const progress = githubDeployments({
    token: TOKEN,
    repository: 'acme/vision',
    sha: SHA,
    runUrl: RUN_URL,
    apiUrl: github.url,
    logger,
  });
  return { deps: { ...deps, logger, progress }, logger };
}

function release(version: string) {
  return rolloutOptions({ release: version, content: releaseContent(NEW_IMAGE, version) });
}

describe('on a healthy fleet', () => {
  const env = hubWithFallback();

  test('a passing auto records one deployment per ring, in progress then success', async () => {
    const { deps } = tracked(env().newDeps());
    const result = await runRollout('auto', rolloutOptions(), deps);
    expect(result.state).toBe('completed');

    expect(github.summary()).toEqual([
      { environment: 'canary', states: ['in_progress', 'success'] },
      { environment: 'pilot', states: ['in_progress', 'success'] },
      { environment: 'fleet', states: ['in_progress', 'success'] },
    ]);
    const flags = github.deployments.map((d) => [
      d.ref,
      d.production_environment,
      d.transient_environment,
      d.auto_merge,
      d.required_contexts,
    ]);
    expect(flags).toEqual([
      [SHA, false, true, false, []],
      [SHA, false, true, false, []],
      [SHA, true, false, false, []],
    ]);
    expect(github.deployments[0]!.payload).toEqual({
      app: 'vision',
      release: '1.1.0',
      deploymentId: 'vision-1_1_0',
    });
    expect(github.deployments[2]!.description).toMatch(/vision 1\.1\.0: ring 3\/3 \(fleet\)/);
    for (const status of github.deployments.flatMap((d) => d.statuses)) {
      expect(status).toMatchObject({ log_url: RUN_URL, environment_url: RUN_URL });
    }
    // The token went to GitHub in the Authorization header, and only there.
    expect(github.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
  });

  test('a later rollback job finds the ring deployments an earlier job created', async () => {
    const before = github.deployments.length;
    const started = await runRollout('start', release('1.2.0'), tracked(env().newDeps()).deps);
    expect(started.state).toBe('held');
    const promoted = await runRollout(
      'promote',
      { ...release('1.2.0'), runId: 'approval-job' },
      tracked(env().newDeps()).deps,
    );
    expect(promoted.ringName).toBe('pilot');

    const requestsBefore = github.requests.length;
    const back = await runRollout(
      'rollback',
      { ...release('1.2.0'), runId: 'rollback-job' },
      tracked(env().newDeps()).deps,
    );
    expect(back.state).toBe('rolled-back');
    // No new deployment: the rollback job listed each ring environment and found this release's.
    expect(github.summary(before)).toEqual([
      { environment: 'canary', states: ['in_progress', 'success', 'failure'] },
      { environment: 'pilot', states: ['in_progress', 'success', 'failure'] },
    ]);
    expect(github.requests.slice(requestsBefore).map((r) => r.method)).toEqual([
      'GET',
      'POST',
      'GET',
      'POST',
    ]);
    expect(github.deployments.at(-1)!.statuses.at(-1)!.description).toBe(
      'rolled back: rollback requested by run rollback-job',
    );
  });

  test('a token without deployments: write gives one warning with the fix and no further requests', async () => {
    github.mode = 'forbidden';
    const requestsBefore = github.requests.length;
    try {
      const { deps, logger } = tracked(env().newDeps());
      const result = await runRollout('auto', release('1.3.0'), deps);
      expect(result.state).toBe('completed');
      expect(result.failure).toBeUndefined();
      expect(github.requests.length - requestsBefore).toBe(1);
      const warnings = logger.lines.filter((line) => line.startsWith('warning:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/HTTP 403: Resource not accessible by integration/);
      expect(warnings[0]).toContain('permissions: deployments: write');
    } finally {
      github.mode = 'ok';
    }
  });

  test('any other error warns and the next ring is still recorded', async () => {
    const before = github.deployments.length;
    github.mode = 'fail-next-status';
    const { deps, logger } = tracked(env().newDeps());
    const result = await runRollout('auto', release('1.4.0'), deps);
    expect(result.state).toBe('completed');
    const warnings = logger.lines.filter((line) => line.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/GitHub Deployment of ring 1 \(canary\) not updated \(HTTP 500\)/);
    expect(github.summary(before)).toEqual([
      { environment: 'canary', states: ['success'] },
      { environment: 'pilot', states: ['in_progress', 'success'] },
      { environment: 'fleet', states: ['in_progress', 'success'] },
    ]);
  });

  test('the rollout stage records deployments with the tracker the action wires from GITHUB_*', async () => {
    // Imported here so that the engine-level tests above never depend on the stage's imports.
    const { runRolloutStage } = await import('../../../src/stages/rollout.js');
    const before = github.deployments.length;
    const logger = memoryLogger();
    loggers.push(logger);
    const masked: string[] = [];
    const runner = {
      GITHUB_REPOSITORY: 'acme/vision',
      GITHUB_SHA: SHA,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
    };
    const deploymentTracker = deploymentTrackerFromEnvironment(runner, logger, RUN_URL);
    expect(deploymentTracker).toBeDefined();
    expect(deploymentTrackerFromEnvironment({ GITHUB_SHA: SHA }, logger, RUN_URL)).toBeUndefined();
    const given: Record<string, string> = {
      'iothub-connection-string': hubConnection(),
      rings: TEST_RINGS_YAML,
      'image-ref': NEW_IMAGE,
      release: '1.5.0',
      'github-deployments': 'true',
      'github-token': TOKEN,
    };
    const context = {
      logger,
      run: { repository: 'acme/vision', commit: SHA, runId: '777', runUrl: RUN_URL },
      mask: (secret: string) => masked.push(secret),
      workDir: '.',
    };
    const inputs = parseInputs('rollout', (name) => given[name]);
    const result = await runRolloutStage(
      inputs,
      { ...context, deploymentTracker: deploymentTracker! },
      { clock: hubClock() },
    );
    expect(result.outputs.state).toBe('completed');
    expect(masked).toContain(TOKEN);
    expect(github.summary(before).map((d) => d.environment)).toEqual(['canary', 'pilot', 'fleet']);

    // The CLI has no tracker: one warning, the rollout unaffected.
    const cli = memoryLogger();
    loggers.push(cli);
    const plain = await runRolloutStage(
      parseInputs('rollout', (name) => ({ ...given, release: '1.6.0' })[name]),
      { ...context, logger: cli },
      { clock: hubClock() },
    );
    expect(plain.outputs.state).toBe('completed');
    expect(cli.lines.filter((line) => line.includes('github-deployments'))).toEqual([
      'warning: github-deployments is on, but this run is not in GitHub Actions: no GitHub Deployment is recorded (the rollout itself is unaffected).',
    ]);
    expect(github.summary(before)).toHaveLength(3);
  });

  function hubConnection(): string {
    return env().hub.connectionString;
  }

  function hubClock() {
    return env().hub.clock;
  }
});

describe('on a fleet where the new image crash-loops on canary', () => {
  const env = hubWithFallback({ behaviours: [`canary:crash-loop@${NEW_IMAGE_TEXT}`] });

  test('a failing canary is recorded in progress then failure, with the gate reason', async () => {
    const before = github.deployments.length;
    const result = await runRollout('auto', rolloutOptions(), tracked(env().newDeps()).deps);
    expect(result.state).toBe('rolled-back');
    expect(github.summary(before)).toEqual([{ environment: 'canary', states: ['in_progress', 'failure'] }]);
    const failure = github.deployments.at(-1)!.statuses.at(-1)!;
    expect(failure.description).toMatch(/^ring 1 \(canary\) failed its gate: /);
    expect(String(failure.description).length).toBeLessThanOrEqual(140);
    expect(failure).toMatchObject({ log_url: RUN_URL, environment_url: RUN_URL });
  });
});

test('the token is in no log line, even when an error body echoes it', () => {
  const lines = loggers.flatMap((logger) => logger.lines);
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.some((line) => line.includes('upstream failed for Authorization'))).toBe(true);
  expectNoSecrets(lines, [TOKEN]);
});
