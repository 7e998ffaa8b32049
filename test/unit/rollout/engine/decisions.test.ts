// Engine decisions that need no devices, on an in-memory hub: which release a command works on,
// what it refuses (without writing), which deployment a rollback falls back to, and that the rings a
// release started with cannot change under it.
import { describe, expect, test } from '@jest/globals';
import { memoryLogger } from '../../../../src/logger.js';
import { chooseFallback } from '../../../../src/rollout/engine-rollback.js';
import { readHubState } from '../../../../src/rollout/engine-hub-state.js';
import { RolloutRefusedError } from '../../../../src/rollout/engine-errors.js';
import { runRollout } from '../../../../src/rollout/engine.js';
import type { RolloutCommand, RolloutOptions } from '../../../../src/rollout/engine-types.js';
import { parseRings } from '../../../../src/rollout/rings.js';
import { encodeLabels, type RolloutState } from '../../../../src/rollout/state-labels.js';
import { NEVER_MATCHING_CONDITION } from '../../../../src/rollout/target-condition.js';
import { FakeHub } from './fake-hub.js';

const EVERY = "tags.ring='canary' OR tags.ring='pilot' OR tags.ring='fleet'";
const T0 = Date.UTC(2026, 0, 1);

function state(release: string, fields: Partial<RolloutState> = {}): RolloutState {
  return {
    app: 'vision',
    release,
    ringIndex: 2,
    ringName: 'fleet',
    ringCount: 3,
    state: 'completed',
    startedAt: T0,
    ringStartedAt: T0,
    updatedAt: T0,
    lockOwner: 'old',
    ...fields,
  };
}

function release(
  hub: FakeHub,
  version: string,
  priority: number,
  fields: Partial<RolloutState> = {},
  targetCondition = EVERY,
) {
  hub.add({
    id: `vision-${version.replaceAll('.', '_')}`,
    labels: encodeLabels(state(version, fields)),
    content: { modulesContent: {} },
    targetCondition,
    priority,
    createdTimeUtc: new Date(T0 + priority).toISOString(),
  });
}

function run(hub: FakeHub, command: RolloutCommand, options: Partial<RolloutOptions> = {}) {
  return runRollout(
    command,
    { app: 'vision', rings: parseRings(undefined), moduleName: 'model', runId: '42', ...options },
    { hub, clock: { now: () => T0, sleep: async () => undefined }, logger: memoryLogger() },
  );
}

describe('chooseFallback', () => {
  test("the app's newest completed release below, else the highest deployment below that targets anything", async () => {
    const hub = new FakeHub();
    release(hub, '1.0.0', 10);
    release(hub, '1.1.0', 11, { state: 'rolled-back' }, NEVER_MATCHING_CONDITION);
    release(
      hub,
      '1.2.0',
      12,
      { state: 'in-progress', ringIndex: 0, ringName: 'canary' },
      "tags.ring='canary'",
    );
    hub.add({ id: 'base', labels: {}, content: { modulesContent: {} }, targetCondition: EVERY, priority: 5 });
    const hubState = await readHubState(hub, 'vision');
    const newest = hubState.infos.find((info) => info.id === 'vision-1_2_0')!;
    expect(chooseFallback(hubState, newest)?.id).toBe('vision-1_0_0');
    const first = hubState.infos.find((info) => info.id === 'vision-1_0_0')!;
    expect(chooseFallback(hubState, first)?.id).toBe('base');
  });
});

describe('refusals write nothing', () => {
  test('rollback with no deployment to fall back to', async () => {
    const hub = new FakeHub();
    release(
      hub,
      '1.0.0',
      10,
      { state: 'in-progress', ringIndex: 0, ringName: 'canary' },
      "tags.ring='canary'",
    );
    await expect(run(hub, 'rollback')).rejects.toThrow(
      /No earlier deployment would take the devices of vision-1_0_0 back/,
    );
    expect(hub.calls.writes).toBe(0);
  });

  test('promote while another run drives the release, unless forced', async () => {
    const hub = new FakeHub();
    release(hub, '1.0.0', 10);
    release(
      hub,
      '1.1.0',
      11,
      { state: 'in-progress', ringIndex: 0, ringName: 'canary', lockOwner: '77' },
      "tags.ring='canary'",
    );
    await expect(run(hub, 'promote')).rejects.toThrow(
      /being rolled out by another run: in-progress at ring 1\/3 \(canary\), held by run 77/,
    );
    expect(hub.calls.writes).toBe(0);
  });

  test('a release whose rings changed since it started', async () => {
    const hub = new FakeHub();
    release(hub, '1.0.0', 10);
    release(
      hub,
      '1.1.0',
      11,
      { state: 'held', ringIndex: 0, ringName: 'canary', lockOwner: '42' },
      "tags.ring='canary'",
    );
    const twoRings = parseRings('rings: [{name: canary, tag: ring=canary}, {name: rest, tag: ring=fleet}]');
    await expect(run(hub, 'promote', { rings: twoRings })).rejects.toThrow(
      /The rings changed since release vision-1_1_0 started/,
    );
    expect(hub.calls.writes).toBe(0);
  });

  test('start without a release version', async () => {
    const hub = new FakeHub();
    await expect(run(hub, 'start')).rejects.toBeInstanceOf(RolloutRefusedError);
    expect(hub.calls).toMatchObject({ writes: 0, reads: 0 });
  });
});

test('status with no release selected reports the active one, else the newest', async () => {
  const hub = new FakeHub();
  release(hub, '1.0.0', 10);
  release(hub, '1.1.0', 11, { state: 'held', ringIndex: 0, ringName: 'canary' }, "tags.ring='canary'");
  const status = await run(hub, 'status');
  expect(status).toMatchObject({ deploymentId: 'vision-1_1_0', state: 'held', ringName: 'canary' });
  expect(status.releases?.map((line) => line.release)).toEqual(['1.1.0', '1.0.0']);
  expect(hub.calls.writes).toBe(0);
});
