// One observation: the COUNT() queries it runs and how their answers become the gate's counts —
// notably restarts counted whatever the module's status (a crash loop sits in backoff), with the
// not-running count kept disjoint from them.
import { expect, test } from '@jest/globals';
import {
  failureSamples,
  observationQueries,
  observe,
  queriesPerObservation,
} from '../../../../src/rollout/observe.js';
import { FakeHub } from './fake-hub.js';

const OPTIONS = {
  deploymentId: 'vision-1_1_0',
  condition: "tags.ring='canary'",
  moduleName: 'model',
  maxRestarts: 2,
  requireRunning: true,
};

function answering(counts: Record<string, number>) {
  const hub = new FakeHub();
  const queries = observationQueries(OPTIONS);
  for (const [name, sql] of Object.entries(queries.counts))
    hub.answers.set(sql, [{ count: counts[name] ?? 0 }]);
  return { hub, queries };
}

test('nine COUNT() queries, the overridden devices among them', () => {
  const { counts } = observationQueries(OPTIONS);
  expect(queriesPerObservation(observationQueries(OPTIONS))).toBe(9);
  expect(counts.overridden).toBe(
    "SELECT COUNT() AS count FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[vision-1_1_0]].status = 'Targeted'",
  );
  expect(counts.restartsExceeded).not.toMatch(/runtimeStatus/);
  expect(queriesPerObservation(observationQueries({ ...OPTIONS, requireRunning: false }))).toBe(7);
});

test('crash-looping modules in backoff count as restarts exceeded, not also as not running', async () => {
  // 10 reported success: 3 crash-loop (backoff, 5 restarts), 1 is starting (not running, 0 restarts),
  // 1 runs after 4 restarts.
  const { hub, queries } = answering({
    targeted: 12,
    applied: 11,
    reportedSuccess: 10,
    reportedFailure: 1,
    offline: 1,
    overridden: 1,
    restartsExceeded: 4,
    notRunning: 4,
    exceededWhileRunning: 1,
  });
  expect(await observe(hub, queries)).toEqual({
    targeted: 12,
    applied: 11,
    reportedSuccess: 10,
    reportedFailure: 1,
    unhealthy: 1,
    restartsExceeded: 4,
    offline: 1,
    overridden: 1,
  });
});

test('failure samples quote edgeAgent and the module, only when there is something to explain', async () => {
  const { hub, queries } = answering({});
  const quiet = {
    targeted: 5,
    applied: 5,
    reportedSuccess: 5,
    reportedFailure: 0,
    unhealthy: 0,
    restartsExceeded: 0,
  };
  expect(await failureSamples(hub, queries, quiet)).toEqual([]);
  expect(hub.calls.queries).toBe(0);
  hub.answers.set(
    "SELECT TOP 3 deviceId, properties.reported.lastDesiredStatus AS status FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[vision-1_1_0]].status = 'Applied' AND properties.desired.$version = properties.reported.lastDesiredVersion AND properties.reported.lastDesiredStatus.code != 200",
    [{ deviceId: 'edge-1', status: { code: 400, description: 'invalid configuration' } }],
  );
  const issues = await failureSamples(hub, queries, { ...quiet, reportedFailure: 1, restartsExceeded: 1 });
  expect(issues[0]).toEqual({ deviceId: 'edge-1', reason: 'edgeAgent answered 400: invalid configuration' });
  expect(hub.calls.queries).toBe(2);
});
