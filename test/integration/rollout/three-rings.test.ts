// A release through canary → pilot → fleet on 200 devices, with the previous release as fallback:
// one deployment, widened twice, labels at every step, the fallback kept, status reading it back.
import { expect, test } from '@jest/globals';
import { runRollout } from '../../../src/rollout/engine.js';
import { decodeLabels } from '../../../src/rollout/state-labels.js';
import { renderReportMarkdown, ringsReportJson } from '../../../src/rollout/report.js';
import { devicesByDeployment, modelModules, NEW_IMAGE, rolloutOptions, hubWithFallback } from './support.js';

const env = hubWithFallback();

test('auto rolls a release through three rings on 200 devices and completes', async () => {
  const result = await runRollout('auto', rolloutOptions(), env().deps);

  expect(result).toMatchObject({
    state: 'completed',
    deploymentId: 'vision-1_1_0',
    priority: 11,
    ringName: 'fleet',
  });
  expect(result.failure).toBeUndefined();
  expect(result.rings.map((ring) => [ring.name, ring.verdict, ring.targeted, ring.succeeded])).toEqual([
    ['canary', 'pass', 5, 5],
    ['pilot', 'pass', 50, 50],
    ['fleet', 'pass', 200, 200],
  ]);
  // One create, the claim on the fallback, ring 1, two widenings and the completion: no deletes, no recreate.
  expect(result.calls.writes).toBe(6);

  const deployment = env().hub.model.getConfiguration('vision-1_1_0');
  expect(deployment.targetCondition).toBe("tags.ring='canary' OR tags.ring='pilot' OR tags.ring='fleet'");
  const labels = decodeLabels(deployment.labels);
  expect(labels).toMatchObject({
    kind: 'rollout',
    state: {
      app: 'vision',
      release: '1.1.0',
      state: 'completed',
      ringIndex: 2,
      commit: 'c0ffee1234567890',
      modelVersion: '7',
      lockOwner: '42',
    },
  });
  expect(env().hub.model.getConfiguration('vision-1_0_0')).toBeDefined(); // the fallback stays
  expect(devicesByDeployment(env().hub)).toEqual({ 'vision-1_1_0': 200 });
  expect(modelModules(env().hub).every((m) => m.image === NEW_IMAGE && m.status === 'running')).toBe(true);

  const report = JSON.parse(ringsReportJson(result)) as Array<Record<string, unknown>>;
  expect(report[2]).toMatchObject({
    ring: 3,
    name: 'fleet',
    targeted: 200,
    succeeded: 200,
    failed: 0,
    verdict: 'pass',
  });
  const summary = renderReportMarkdown(result);
  expect(summary).toContain('| 3 | fleet | 200 | 200 | 200 | 0 | 0 |');
  expect(summary).toContain('commit `c0ffee123456`');
});

test('status reads the lineage of every release back from the labels', async () => {
  const status = await runRollout(
    'status',
    rolloutOptions({ release: undefined, runId: 'later-job' }),
    env().deps,
  );
  expect(status.releases?.map((line) => [line.release, line.state, line.priority])).toEqual([
    ['1.1.0', 'completed', 11],
    ['1.0.0', 'completed', 10],
  ]);
  expect(status.releases?.[0]).toMatchObject({
    commit: 'c0ffee1234567890',
    modelVersion: '7',
    counts: { source: 'live', succeeded: 200 },
  });
  expect(status.calls.writes).toBe(0);
});

test('re-running auto for a completed release changes nothing', async () => {
  const again = await runRollout('auto', rolloutOptions(), env().deps);
  expect(again.state).toBe('completed');
  expect(again.calls.writes).toBe(0);
  expect(again.notes.join(' ')).toMatch(/completed already/);
});
