// Simulated edge agents: latency, what they report, and every device behaviour, including behaviours
// scoped to an image that disappear when the release is rolled back.
import { describe, expect, test } from '@jest/globals';
import type { DeviceBehaviour, JsonObject } from '../../../../src/sandbox/hub-types.js';
import { CYCLE, MINUTE, deployment, liveMetrics, newHub } from './helpers.js';

const GOOD = 'myacr.azurecr.io/app:1.0.0';
const BAD = 'myacr.azurecr.io/app:2.0.0';

type Hub = ReturnType<typeof newHub>['hub'];

function agentReported(hub: Hub, deviceId = 'dev'): JsonObject {
  return hub.getModuleTwin(deviceId, '$edgeAgent').properties.reported;
}

function inferenceReport(hub: Hub, deviceId = 'dev'): JsonObject {
  return (agentReported(hub, deviceId).modules as Record<string, JsonObject>).inference!;
}

/** One device with the given behaviour, deployed to at once (no evaluation delay). */
async function deployedDevice(
  behaviour: DeviceBehaviour,
  options: { architecture?: 'armv7l'; behaviourImage?: string } = {},
) {
  const test = newHub({ firstEvaluationDelayMs: 0 });
  test.hub.addEdgeDevice({
    deviceId: 'dev',
    tags: { ring: 'canary' },
    behaviour,
    architecture: options.architecture,
    behaviourImage: options.behaviourImage,
  });
  test.hub.createConfiguration('app-1', deployment(GOOD));
  await test.clock.advance(0);
  return test;
}

describe('a healthy agent', () => {
  test('reports between 20 and 60 seconds after the change: version, 200, modules running, module twins acknowledged', async () => {
    const { hub, clock } = await deployedDevice('healthy');
    await clock.advance(19_000);
    expect(agentReported(hub).lastDesiredVersion).toBe(1);
    await clock.advance(42_000);
    const reported = agentReported(hub);
    expect(reported).toMatchObject({
      lastDesiredVersion: 2,
      lastDesiredStatus: { code: 200 },
      runtime: { platform: { os: 'linux', architecture: 'x86_64' } },
      systemModules: {
        edgeAgent: { runtimeStatus: 'running' },
        edgeHub: { runtimeStatus: 'running', restartCount: 0 },
      },
    });
    expect(inferenceReport(hub)).toMatchObject({
      runtimeStatus: 'running',
      status: 'running',
      version: '1.0',
      restartCount: 0,
      exitCode: 0,
      settings: { image: GOOD },
      startTimeUtc: expect.any(String),
      lastStartTimeUtc: expect.any(String),
      lastExitTimeUtc: expect.any(String),
    });
    const inference = hub.getModuleTwin('dev', 'inference');
    expect(inference.connectionState).toBe('Connected');
    expect(inference.properties.reported).toMatchObject({ modelVersion: '1', lastDesiredVersion: 1 });
    expect(hub.getModuleTwin('dev', '$edgeHub').properties.reported).toMatchObject({
      lastDesiredVersion: 2,
      lastDesiredStatus: { code: 200 },
    });
  });

  test('keeps a module start time when a later report changes nothing for it', async () => {
    const { hub, clock } = await deployedDevice('healthy');
    await clock.advance(MINUTE);
    const started = inferenceReport(hub).startTimeUtc;
    const version = agentReported(hub).$version;
    hub.patchModuleTwin('dev', '$edgeHub', {
      properties: { desired: { storeAndForwardConfiguration: { timeToLiveSecs: 60 } } },
    });
    await clock.advance(MINUTE);
    expect(inferenceReport(hub).startTimeUtc).toBe(started);
    expect(agentReported(hub).$version).toBe(version);
  });

  test('latency is deterministic for a seed and spread over the window', async () => {
    const reportTimes = async () => {
      const { hub, clock } = newHub({
        fleet: { rings: [{ name: 'r', count: 40 }] },
        firstEvaluationDelayMs: 0,
      });
      hub.createConfiguration('app-1', deployment(GOOD, { targetCondition: "tags.ring='r'" }));
      const start = clock.now();
      const times = new Map<string, number>();
      for (let t = 0; t <= 60; t++) {
        await clock.advance(t === 0 ? 0 : 1000);
        for (const id of hub.deviceIds()) {
          if (!times.has(id) && agentReported(hub, id).lastDesiredVersion === 2)
            times.set(id, clock.now() - start);
        }
      }
      return [...times.values()];
    };
    const first = await reportTimes();
    expect(first).toHaveLength(40);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(20_000);
    expect(Math.max(...first)).toBeLessThanOrEqual(60_000);
    expect(new Set(first).size).toBeGreaterThan(10);
    expect(await reportTimes()).toEqual(first);
  });
});

describe('device behaviours', () => {
  test('slow: reports about ten times later (200–600 s)', async () => {
    const { hub, clock } = await deployedDevice('slow');
    await clock.advance(199_000);
    expect(agentReported(hub).lastDesiredVersion).toBe(1);
    await clock.advance(402_000);
    expect(agentReported(hub)).toMatchObject({ lastDesiredVersion: 2, lastDesiredStatus: { code: 200 } });
  });

  test('crash-loop: accepts the manifest (200) but the custom module backs off with a growing restartCount', async () => {
    const { hub, clock } = await deployedDevice('crash-loop');
    await clock.advance(MINUTE);
    expect(agentReported(hub).lastDesiredStatus).toMatchObject({ code: 200 });
    const first = inferenceReport(hub);
    expect(first).toMatchObject({ runtimeStatus: 'backoff', exitCode: 1 });
    await clock.advance(5 * MINUTE);
    const later = inferenceReport(hub);
    expect(later.restartCount).toBeGreaterThan(Number(first.restartCount));
    expect((agentReported(hub).systemModules as Record<string, JsonObject>).edgeHub!.runtimeStatus).toBe(
      'running',
    );
    expect(hub.getModuleTwin('dev', 'inference').connectionState).toBe('Disconnected');
    expect(liveMetrics(hub, 'app-1')).toMatchObject({ reportedSuccessfulCount: 1, reportedFailedCount: 0 });
  });

  test('reject-manifest: answers 400 with a description and counts as reported failed', async () => {
    const { hub, clock } = await deployedDevice('reject-manifest');
    await clock.advance(MINUTE);
    expect(agentReported(hub)).toMatchObject({
      lastDesiredVersion: 2,
      lastDesiredStatus: { code: 400, description: expect.stringMatching(/rejected/) },
    });
    expect(liveMetrics(hub, 'app-1')).toMatchObject({
      appliedCount: 1,
      reportedSuccessfulCount: 0,
      reportedFailedCount: 1,
    });
  });

  test('offline: Disconnected and never reports after its initial state', async () => {
    const { hub, clock } = await deployedDevice('offline');
    await clock.advance(CYCLE);
    expect(hub.getTwin('dev').connectionState).toBe('Disconnected');
    expect(hub.getDevice('dev').connectionState).toBe('Disconnected');
    expect(hub.getModuleTwin('dev', '$edgeAgent').connectionState).toBe('Disconnected');
    expect(agentReported(hub)).toMatchObject({ lastDesiredVersion: 1, lastDesiredStatus: { code: 417 } });
    expect(liveMetrics(hub, 'app-1')).toMatchObject({
      appliedCount: 1,
      reportedSuccessfulCount: 0,
      reportedFailedCount: 0,
    });
  });

  test('arch-mismatch: 200, but the custom module failed because the image has no variant for the architecture', async () => {
    const { hub, clock } = await deployedDevice('arch-mismatch', { architecture: 'armv7l' });
    await clock.advance(MINUTE);
    expect(agentReported(hub).lastDesiredStatus).toMatchObject({ code: 200 });
    expect(inferenceReport(hub)).toMatchObject({
      runtimeStatus: 'failed',
      exitCode: 1,
      statusDescription: expect.stringMatching(/linux\/arm\/v7.*armv7l/),
    });
  });

  test('an offline device comes back and reports when its behaviour changes', async () => {
    const { hub, clock } = await deployedDevice('offline');
    await clock.advance(MINUTE);
    hub.setBehaviour('dev', 'healthy');
    expect(hub.getTwin('dev').connectionState).toBe('Connected');
    await clock.advance(MINUTE);
    expect(agentReported(hub)).toMatchObject({ lastDesiredVersion: 2, lastDesiredStatus: { code: 200 } });
    hub.setBehaviour('dev', 'offline');
    expect(hub.getTwin('dev').connectionState).toBe('Disconnected');
    expect(() => hub.setBehaviour('dev', 'sleepy' as DeviceBehaviour)).toThrow(/Unknown device behaviour/);
  });

  test('a behaviour set on a running device shows at its next report', async () => {
    const { hub, clock } = await deployedDevice('healthy');
    await clock.advance(MINUTE);
    hub.setBehaviour('dev', 'crash-loop');
    await clock.advance(MINUTE);
    expect(inferenceReport(hub).runtimeStatus).toBe('backoff');
  });
});

describe('behaviours scoped to an image', () => {
  test('show only under the bad release; after rollback the device reports healthy under the previous one', async () => {
    const { hub, clock } = newHub({ fleet: { rings: [{ name: 'canary', count: 3 }] } });
    for (const id of hub.deviceIds()) hub.setBehaviour(id, 'crash-loop', 'app:2.0.0');
    hub.createConfiguration('app-1', deployment(GOOD, { priority: 1 }));
    await clock.advance(15_000 + MINUTE);
    expect(inferenceReport(hub, 'edge-canary-0001')).toMatchObject({
      runtimeStatus: 'running',
      restartCount: 0,
    });

    const bad = hub.createConfiguration('app-2', deployment(BAD, { priority: 2 }));
    await clock.advance(15_000 + 3 * MINUTE);
    expect(inferenceReport(hub, 'edge-canary-0001')).toMatchObject({
      runtimeStatus: 'backoff',
      settings: { image: BAD },
    });

    hub.updateConfiguration('app-2', { ...bad, targetCondition: '' }, bad.etag); // roll back
    await clock.advance(15_000 + MINUTE);
    for (const id of hub.deviceIds()) {
      expect(inferenceReport(hub, id)).toMatchObject({
        runtimeStatus: 'running',
        restartCount: 0,
        settings: { image: GOOD },
      });
    }
    expect(liveMetrics(hub, 'app-1')).toMatchObject({ appliedCount: 3, reportedSuccessfulCount: 3 });
  });

  test('reject-manifest scoped to an image rejects only that release', async () => {
    const { hub, clock } = newHub({ firstEvaluationDelayMs: 0 });
    hub.addEdgeDevice({
      deviceId: 'dev',
      tags: { ring: 'canary' },
      behaviour: 'reject-manifest',
      behaviourImage: ':2.0.0',
    });
    hub.createConfiguration('app-1', deployment(GOOD, { priority: 1 }));
    await clock.advance(MINUTE);
    expect(agentReported(hub).lastDesiredStatus).toMatchObject({ code: 200 });
    hub.createConfiguration('app-2', deployment(BAD, { priority: 2 }));
    await clock.advance(MINUTE);
    expect(agentReported(hub).lastDesiredStatus).toMatchObject({ code: 400 });
    expect(inferenceReport(hub).settings).toEqual({ image: GOOD });
  });
});
