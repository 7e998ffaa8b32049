// The rollout stage end to end, as the action and the CLI run it: inputs → outputs, job summary and
// log. Secrets (the hub connection string, the device registry password, a client secret) are masked
// as soon as they are read and appear in no output, summary, error or log line — after a completed
// rollout, a rolled-back one, a refused connection and a plan.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseInputs } from '../../../src/action/parse-inputs.js';
import { memoryLogger } from '../../../src/logger.js';
import { StageFailedError, type StageResult } from '../../../src/stages/index.js';
import { runRolloutStage } from '../../../src/stages/rollout.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { expectNoSecrets, sharedAccessKeyOf } from '../rollout-client/secrets.js';
import { NEW_IMAGE, seedFallback, startRolloutHub, TEST_RINGS_YAML } from './support.js';

let hub: SandboxHub;
const logger = memoryLogger();
const masked: string[] = [];
const REGISTRY_PASSWORD = 'pull-only-password-7f3a9c21';
const CLIENT_SECRET = 'client-secret-value-5d8e1b44';
const BAD_IMAGE = `registry.local/vision@sha256:${'c'.repeat(64)}`;

beforeAll(async () => {
  ({ hub } = await startRolloutHub({
    devices: 'canary=3,pilot=6,fleet=12',
    behaviours: ['canary:crash-loop@vision@sha256:cccc'],
  }));
  await seedFallback(hub);
});

afterAll(() => hub.stop());

function secrets(): string[] {
  return [hub.connectionString, sharedAccessKeyOf(hub.connectionString), REGISTRY_PASSWORD, CLIENT_SECRET];
}

function stage(overrides: Record<string, string | undefined>): Promise<StageResult> {
  const given: Record<string, string | undefined> = {
    'iothub-connection-string': hub.connectionString,
    'client-secret': CLIENT_SECRET,
    rings: TEST_RINGS_YAML,
    'image-ref': NEW_IMAGE,
    'model-version': '7',
    'device-registry-address': 'myacr.azurecr.io',
    'device-registry-username': 'vision-pull',
    'device-registry-password': REGISTRY_PASSWORD,
    ...overrides,
  };
  const inputs = parseInputs('rollout', (name) => given[name]);
  return runRolloutStage(
    inputs,
    {
      logger,
      run: {
        repository: 'acme/vision',
        ref: 'refs/tags/v1.1.0',
        commit: 'c0ffee1234567890',
        runId: '4242',
        runUrl: 'https://github.com/acme/vision/actions/runs/4242',
      },
      mask: (secret) => masked.push(secret),
      workDir: '.',
    },
    { clock: hub.clock },
  );
}

function expectClean(result: StageResult): void {
  expectNoSecrets([JSON.stringify(result.outputs), result.summary ?? ''], secrets());
}

describe('the rollout stage', () => {
  test('auto on a release tag: outputs, a job summary with the rings table, every secret masked', async () => {
    const result = await stage({});
    expect(result.outputs).toMatchObject({
      'deployment-id': 'vision-1_1_0',
      state: 'completed',
      ring: 'fleet',
    });
    const rings = JSON.parse(result.outputs['rings-report']!) as Array<Record<string, unknown>>;
    expect(rings.map((ring) => [ring.name, ring.targeted, ring.succeeded, ring.verdict])).toEqual([
      ['canary', 3, 3, 'pass'],
      ['pilot', 9, 9, 'pass'],
      ['fleet', 21, 21, 'pass'],
    ]);
    expect(rings[0]).toHaveProperty('duration');
    expect(result.summary).toContain(
      '| # | Ring | Targeted | Applied | Succeeded | Failed | Unhealthy | Duration | Verdict |',
    );
    expect(result.summary).toContain('model `vision` version `7`');
    expect(result.summary).toContain('[workflow run](https://github.com/acme/vision/actions/runs/4242)');
    expect(masked).toEqual(expect.arrayContaining([hub.connectionString, REGISTRY_PASSWORD, CLIENT_SECRET]));
    expectClean(result);
    // The devices get the pull credential: it is in the deployment, by design.
    const content = JSON.stringify(hub.model.getConfiguration('vision-1_1_0').content);
    expect(content).toContain(REGISTRY_PASSWORD);
  });

  test('a rolled-back release fails the step with the report attached, still without secrets', async () => {
    const failure = await stage({ release: '1.2.0', 'image-ref': BAD_IMAGE }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StageFailedError);
    const { result, message } = failure as StageFailedError;
    expect(message).toMatch(
      /Release vision-1_2_0 was rolled back: ring 1 \(canary\) failed its gate.*Every device is back on vision-1_1_0/s,
    );
    expect(result.outputs).toMatchObject({
      'deployment-id': 'vision-1_2_0',
      state: 'rolled-back',
      ring: 'canary',
    });
    expect(result.summary).toContain('#### Rollback');
    expectClean(result);
    expectNoSecrets([message], secrets());
  });

  test('a refused connection names the problem without the key', async () => {
    const wrong = hub.connectionString.replace(
      /SharedAccessKey=.*/,
      `SharedAccessKey=${Buffer.from('y'.repeat(32)).toString('base64')}`,
    );
    const error = await stage({ release: '1.3.0', 'iothub-connection-string': wrong }).catch((e: Error) => e);
    expect(String(error)).toMatch(/401/);
    expectNoSecrets([String(error)], [...secrets(), wrong, sharedAccessKeyOf(wrong)]);
  });

  test('plan writes nothing and puts the plan tables in the summary', async () => {
    const writes = hub.counters().writes;
    const result = await stage({ command: 'plan', release: '1.3.0' });
    expect(hub.counters().writes).toBe(writes);
    expect(result.outputs).toMatchObject({ 'deployment-id': 'vision-1_3_0', state: 'planned' });
    expect(result.summary).toContain('### Plan for `vision-1_3_0` (priority 13)');
    expect(result.summary).toMatch(/\| 1 \| canary \| `tags.ring='canary'` \| 3 \| 3 \| 3 \|/);
    expectClean(result);
  });

  test('no secret in any log line', () => {
    expectNoSecrets(logger.lines, secrets());
    expect(logger.lines.join('\n')).toContain('Rollout report');
  });
});
