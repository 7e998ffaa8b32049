// The automatic-deployment cycle: when it runs, which deployment wins, layering, what the module twins
// get, configuration statuses, stale metrics versus live queries, retargeting and deletion.
import { describe, expect, test } from '@jest/globals';
import type { JsonObject } from '../../../../src/sandbox/hub-types.js';
import {
  CYCLE,
  MINUTE,
  cachedMetrics,
  deployment,
  edgeContent,
  errorOf,
  liveMetrics,
  newHub,
  queryAll,
} from './helpers.js';

const V1 = 'myacr.azurecr.io/app@sha256:aaaa';
const V2 = 'myacr.azurecr.io/app@sha256:bbbb';
const RINGS = {
  rings: [
    { name: 'canary', count: 2 },
    { name: 'pilot', count: 3 },
  ],
};

function agentDesired(hub: ReturnType<typeof newHub>['hub'], deviceId: string): JsonObject {
  return hub.getModuleTwin(deviceId, '$edgeAgent').properties.desired;
}

function imageOn(hub: ReturnType<typeof newHub>['hub'], deviceId: string): unknown {
  const modules = agentDesired(hub, deviceId).modules as
    Record<string, { settings: { image: string } }> | undefined;
  return modules?.inference?.settings.image;
}

describe('when the hub evaluates', () => {
  test('shortly after a change (one coalesced cycle) and then every five minutes', async () => {
    const { hub, clock } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1));
    hub.createConfiguration('app-2', deployment(V2, { priority: 5 }));
    await clock.advance(14_000);
    expect(hub.evaluations).toBe(0);
    expect(imageOn(hub, 'edge-canary-0001')).toBeUndefined();
    await clock.advance(1_000);
    expect(hub.evaluations).toBe(1);
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V1);
    await clock.advance(CYCLE - 15_000);
    expect(hub.evaluations).toBe(2);
    await clock.advance(CYCLE);
    expect(hub.evaluations).toBe(3);
  });

  test('honours custom delays, and stop() cancels every timer', async () => {
    const { hub, clock } = newHub({ fleet: RINGS, evaluationIntervalMs: MINUTE, firstEvaluationDelayMs: 0 });
    hub.createConfiguration('app-1', deployment(V1));
    await clock.advance(0);
    expect(hub.evaluations).toBe(1);
    await clock.advance(MINUTE);
    expect(hub.evaluations).toBe(2);
    hub.stop();
    hub.createConfiguration('app-2', deployment(V2));
    await clock.advance(10 * MINUTE);
    expect(hub.evaluations).toBe(2);
  });
});

describe('which deployment a device gets', () => {
  test('the highest priority wins; the others that match are Targeted, on the device and $edgeAgent twins', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration(
      'app-1',
      deployment(V1, { targetCondition: "tags.ring='canary' or tags.ring='pilot'", priority: 1 }),
    );
    hub.createConfiguration('app-2', deployment(V2, { priority: 2 }));
    hub.runEvaluation();
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V2);
    expect(imageOn(hub, 'edge-pilot-0001')).toBe(V1);
    const statuses = { 'app-1': { status: 'Targeted' }, 'app-2': { status: 'Applied' } };
    expect(hub.getTwin('edge-canary-0001').configurations).toEqual(statuses);
    expect(hub.getModuleTwin('edge-canary-0001', '$edgeAgent').configurations).toEqual(statuses);
    expect(hub.getTwin('edge-pilot-0001').configurations).toEqual({ 'app-1': { status: 'Applied' } });
    expect(hub.appliedConfigurationOf('edge-canary-0001')).toBe('app-2');
  });

  test('on a priority tie the most recently created deployment wins', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('older', deployment(V1, { priority: 7 }));
    hub.createConfiguration('newer', deployment(V2, { priority: 7 }));
    hub.runEvaluation();
    expect(imageOn(hub, 'edge-canary-0002')).toBe(V2);
    expect(hub.getTwin('edge-canary-0002').configurations).toEqual({
      newer: { status: 'Applied' },
      older: { status: 'Targeted' },
    });
  });

  test('the module twins get the content: $edgeAgent, $edgeHub and a twin per custom module, $version bumped', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1));
    hub.runEvaluation();
    const content = edgeContent(V1).modulesContent as Record<string, JsonObject>;
    expect(agentDesired(hub, 'edge-canary-0001')).toEqual({
      ...(content.$edgeAgent!['properties.desired'] as JsonObject),
      $version: 2,
    });
    expect(hub.getModuleTwin('edge-canary-0001', '$edgeHub').properties.desired).toEqual({
      ...(content.$edgeHub!['properties.desired'] as JsonObject),
      $version: 2,
    });
    expect(hub.getModuleTwin('edge-canary-0001', 'inference').properties.desired).toEqual({
      modelVersion: '1',
      $version: 1,
    });
    expect(errorOf(() => hub.getModuleTwin('edge-pilot-0001', 'inference'))).toMatchObject({ status: 404 });
  });

  test('unchanged content keeps its $version, even when it comes from another deployment', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1, { priority: 1 }));
    hub.runEvaluation();
    const before = hub.getModuleTwin('edge-canary-0001', '$edgeAgent');
    hub.runEvaluation();
    hub.createConfiguration('same-content', deployment(V1, { priority: 2 }));
    hub.runEvaluation();
    const after = hub.getModuleTwin('edge-canary-0001', '$edgeAgent');
    expect(after.properties.desired.$version).toBe(before.properties.desired.$version);
    expect(after.configurations).toEqual({
      'same-content': { status: 'Applied' },
      'app-1': { status: 'Targeted' },
    });
  });

  test('a deployment with an empty target condition targets no device', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('nothing', deployment(V1, { targetCondition: '' }));
    hub.runEvaluation();
    expect(imageOn(hub, 'edge-canary-0001')).toBeUndefined();
    expect(cachedMetrics(hub, 'nothing').targetedCount).toBe(0);
  });

  test('a target condition on properties.reported works (the platform architecture)', () => {
    const { hub } = newHub();
    hub.addEdgeDevices([
      { deviceId: 'arm', architecture: 'armv7l' },
      { deviceId: 'x86', architecture: 'x86_64' },
    ]);
    hub.createConfiguration(
      'arm-only',
      deployment(V1, { targetCondition: "properties.reported.runtime.platform.architecture = 'armv7l'" }),
    );
    hub.runEvaluation();
    // The device twin has no runtime report (that lives on $edgeAgent), so nothing matches: as on the real hub.
    expect(cachedMetrics(hub, 'arm-only').targetedCount).toBe(0);
  });
});

describe('layered deployments', () => {
  const sidecarLayer = (value: number) => ({
    modulesContent: {
      $edgeAgent: {
        'properties.desired.modules.sidecar': {
          type: 'docker',
          status: 'running',
          restartPolicy: 'always',
          settings: { image: 'sidecar:1' },
        },
      },
      $edgeHub: { 'properties.desired.routes.sidecar': 'FROM /messages/modules/sidecar/* INTO $upstream' },
      sidecar: { 'properties.desired': { level: value } },
      inference: { 'properties.desired.threshold': value },
    },
  });

  test('merge on top of the winning base in priority order; a layer below the base is only Targeted', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('base', deployment(V1, { priority: 10 }));
    hub.createConfiguration('layer-high', deployment(V1, { priority: 30, content: sidecarLayer(3) }));
    hub.createConfiguration('layer-mid', deployment(V1, { priority: 20, content: sidecarLayer(2) }));
    hub.createConfiguration('layer-low', deployment(V1, { priority: 5, content: sidecarLayer(1) }));
    hub.runEvaluation();
    const desired = agentDesired(hub, 'edge-canary-0001');
    expect(Object.keys(desired.modules as JsonObject).sort()).toEqual(['inference', 'sidecar']);
    expect((desired.systemModules as JsonObject).edgeHub).toBeDefined();
    expect(hub.getModuleTwin('edge-canary-0001', '$edgeHub').properties.desired.routes).toEqual({
      upstream: 'FROM /messages/* INTO $upstream',
      sidecar: 'FROM /messages/modules/sidecar/* INTO $upstream',
    });
    // The highest layer is merged last, so its values win.
    expect(hub.getModuleTwin('edge-canary-0001', 'sidecar').properties.desired).toMatchObject({ level: 3 });
    expect(hub.getModuleTwin('edge-canary-0001', 'inference').properties.desired).toMatchObject({
      modelVersion: '1',
      threshold: 3,
    });
    expect(hub.getTwin('edge-canary-0001').configurations).toEqual({
      'layer-high': { status: 'Applied' },
      'layer-mid': { status: 'Applied' },
      base: { status: 'Applied' },
      'layer-low': { status: 'Targeted' },
    });
    expect(hub.appliedConfigurationOf('edge-canary-0001')).toBe('base');
  });

  test('without a base deployment a layer is Targeted and changes nothing', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('layer', deployment(V1, { content: sidecarLayer(1) }));
    hub.runEvaluation();
    expect(agentDesired(hub, 'edge-canary-0001')).toEqual({ $version: 1 });
    expect(hub.getTwin('edge-canary-0001').configurations).toEqual({ layer: { status: 'Targeted' } });
  });
});

describe('metrics', () => {
  test('are 0 right after create, counted by a cycle, and stale until the next one while queries are live', async () => {
    const { hub, clock } = newHub({ fleet: RINGS });
    hub.createConfiguration(
      'app-1',
      deployment(V1, {
        metrics: { queries: { canaries: "select deviceId from devices where tags.ring = 'canary'" } },
      }),
    );
    expect(cachedMetrics(hub, 'app-1')).toEqual({
      targetedCount: 0,
      appliedCount: 0,
      reportedSuccessfulCount: 0,
      reportedFailedCount: 0,
    });

    await clock.advance(15_000); // the first cycle: applied, nobody has reported yet
    expect(cachedMetrics(hub, 'app-1')).toEqual({
      targetedCount: 2,
      appliedCount: 2,
      reportedSuccessfulCount: 0,
      reportedFailedCount: 0,
    });
    expect(hub.getConfiguration('app-1').metrics.results).toEqual({ canaries: 2 });

    await clock.advance(MINUTE); // the agents have reported; a live query sees it, the cached count does not
    expect(liveMetrics(hub, 'app-1').reportedSuccessfulCount).toBe(2);
    expect(cachedMetrics(hub, 'app-1').reportedSuccessfulCount).toBe(0);

    hub.patchTwin('edge-pilot-0001', { tags: { ring: 'canary' } });
    expect(liveMetrics(hub, 'app-1').targetedCount).toBe(3);
    expect(cachedMetrics(hub, 'app-1').targetedCount).toBe(2);
    expect(hub.getConfiguration('app-1').metrics.results).toEqual({ canaries: 2 });

    await clock.advance(CYCLE); // the periodic cycle applies to the new member and recounts
    expect(cachedMetrics(hub, 'app-1')).toEqual({
      targetedCount: 3,
      appliedCount: 3,
      reportedSuccessfulCount: 2,
      reportedFailedCount: 0,
    });
    expect(hub.getConfiguration('app-1').metrics.results).toEqual({ canaries: 3 });
    await clock.advance(CYCLE);
    expect(cachedMetrics(hub, 'app-1').reportedSuccessfulCount).toBe(3);
  });

  test('the exact system-metric queries, run live, give the counts the cycle caches', async () => {
    const { hub, clock } = newHub({
      fleet: {
        rings: [
          { name: 'canary', count: 6 },
          { name: 'pilot', count: 4 },
        ],
      },
    });
    hub.setBehaviour('edge-canary-0002', 'reject-manifest');
    hub.setBehaviour('edge-canary-0003', 'offline');
    hub.createConfiguration(
      'base',
      deployment(V1, { targetCondition: "tags.ring='pilot' or tags.ring='canary'", priority: 1 }),
    );
    hub.createConfiguration('app-2', deployment(V2, { priority: 2 }));
    await clock.advance(15_000 + 2 * MINUTE);
    hub.runEvaluation();
    expect(liveMetrics(hub, 'app-2')).toEqual(cachedMetrics(hub, 'app-2'));
    expect(cachedMetrics(hub, 'app-2')).toEqual({
      targetedCount: 6,
      appliedCount: 6,
      reportedSuccessfulCount: 4,
      reportedFailedCount: 1,
    });
    expect(cachedMetrics(hub, 'base')).toEqual({
      targetedCount: 10,
      appliedCount: 4,
      reportedSuccessfulCount: 4,
      reportedFailedCount: 0,
    });
    expect(queryAll(hub, hub.getConfiguration('app-2').systemMetrics.queries.reportedFailedCount!)).toEqual([
      { deviceId: 'edge-canary-0002' },
    ]);
  });
});

describe('retargeting and deleting', () => {
  test('narrowing the new release hands its devices back to the lower-priority one, which they report success under', async () => {
    const { hub, clock } = newHub({ fleet: RINGS });
    hub.createConfiguration(
      'app-1',
      deployment(V1, { targetCondition: "tags.ring='canary' or tags.ring='pilot'", priority: 1 }),
    );
    await clock.advance(15_000 + MINUTE);
    const v1Version = agentDesired(hub, 'edge-canary-0001').$version;
    const release = hub.createConfiguration('app-2', deployment(V2, { priority: 2 }));
    await clock.advance(15_000 + MINUTE);
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V2);
    expect(liveMetrics(hub, 'app-2').reportedSuccessfulCount).toBe(2);

    hub.updateConfiguration('app-2', { ...release, targetCondition: "tags.ring='none'" }, release.etag);
    await clock.advance(15_000);
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V1);
    expect(agentDesired(hub, 'edge-canary-0001').$version).toBe(Number(v1Version) + 2);
    expect(hub.getTwin('edge-canary-0001').configurations).toEqual({ 'app-1': { status: 'Applied' } });
    await clock.advance(MINUTE);
    expect(liveMetrics(hub, 'app-1')).toMatchObject({ appliedCount: 5, reportedSuccessfulCount: 5 });
    expect(liveMetrics(hub, 'app-2')).toMatchObject({ targetedCount: 0, appliedCount: 0 });
  });

  test('deleting a deployment does not change what its devices run', async () => {
    const { hub, clock } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1));
    await clock.advance(15_000 + MINUTE);
    const before = hub.getModuleTwin('edge-canary-0001', '$edgeAgent');
    hub.deleteConfiguration('app-1');
    await clock.advance(15_000 + CYCLE);
    const after = hub.getModuleTwin('edge-canary-0001', '$edgeAgent');
    expect(after.properties.desired).toEqual(before.properties.desired);
    expect(after.properties.reported.lastDesiredStatus).toEqual({ code: 200, description: '' });
    expect(after.configurations).toEqual({});
    expect(hub.getModuleTwin('edge-canary-0001', 'inference').properties.desired.modelVersion).toBe('1');
    expect(hub.appliedConfigurationOf('edge-canary-0001')).toBe('app-1');
  });

  test('a device that stops matching keeps its content until another deployment applies', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1));
    hub.runEvaluation();
    hub.patchTwin('edge-canary-0001', { tags: { ring: 'retired' } });
    hub.runEvaluation();
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V1);
    expect(hub.getTwin('edge-canary-0001').configurations).toEqual({});
  });

  test('modules the new content no longer runs lose their twins', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1, { priority: 1 }));
    hub.runEvaluation();
    const renamed = edgeContent(V2, '2', 'scorer');
    hub.createConfiguration('app-2', deployment(V2, { priority: 2, content: renamed }));
    hub.runEvaluation();
    expect(errorOf(() => hub.getModuleTwin('edge-canary-0001', 'inference'))).toMatchObject({ status: 404 });
    expect(hub.getModuleTwin('edge-canary-0001', 'scorer').properties.desired.modelVersion).toBe('2');
  });
});

describe('per-device content (applyConfigurationContent)', () => {
  test('applies at once; an automatic deployment that targets the device overrides it at the next cycle', async () => {
    const { hub, clock } = newHub({ fleet: RINGS });
    hub.applyConfigurationContent('edge-canary-0001', edgeContent(V2));
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V2);
    expect(hub.appliedConfigurationOf('edge-canary-0001')).toBeUndefined();
    await clock.advance(MINUTE);
    expect(hub.getModuleTwin('edge-canary-0001', '$edgeAgent').properties.reported.lastDesiredStatus).toEqual(
      { code: 200, description: '' },
    );
    hub.createConfiguration('app-1', deployment(V1));
    hub.runEvaluation();
    expect(imageOn(hub, 'edge-canary-0001')).toBe(V1);
  });

  test('is validated like a configuration content; an unknown device is 404', () => {
    const { hub } = newHub({ fleet: RINGS });
    expect(
      errorOf(() =>
        hub.applyConfigurationContent('edge-canary-0001', { modulesContent: { $edgeAgent: {} } }),
      ),
    ).toMatchObject({
      status: 400,
    });
    const layered = { modulesContent: { $edgeAgent: { 'properties.desired.modules.x': {} } } };
    expect(errorOf(() => hub.applyConfigurationContent('edge-canary-0001', layered))).toMatchObject({
      status: 400,
    });
    expect(errorOf(() => hub.applyConfigurationContent('nope', edgeContent(V1)))).toMatchObject({
      status: 404,
      code: 'DeviceNotFound',
    });
  });

  test('a hand-edited desired manifest is put back by the next cycle', () => {
    const { hub } = newHub({ fleet: RINGS });
    hub.createConfiguration('app-1', deployment(V1));
    hub.runEvaluation();
    hub.patchModuleTwin('edge-canary-0001', 'inference', {
      properties: { desired: { modelVersion: 'hacked' } },
    });
    hub.runEvaluation();
    expect(hub.getModuleTwin('edge-canary-0001', 'inference').properties.desired.modelVersion).toBe('1');
  });
});
