// The canary devices crash-loop on the new image: the canary gate fails on restarts, the release is
// withdrawn, and every device — the canary ones included — ends on the previous release, reporting
// success under it with its healthy module.
import { expect, test } from '@jest/globals';
import { runRollout } from '../../../src/rollout/engine.js';
import { renderReportMarkdown } from '../../../src/rollout/report.js';
import { decodeLabels } from '../../../src/rollout/state-labels.js';
import {
  devicesByDeployment,
  modelModules,
  NEVER_MATCHING_CONDITION,
  NEW_IMAGE_TEXT,
  OLD_IMAGE,
  rolloutOptions,
  hubWithFallback,
} from './support.js';

const env = hubWithFallback({ behaviours: [`canary:crash-loop@${NEW_IMAGE_TEXT}`] });

test('a crash-looping canary is rolled back and every device ends on the previous release', async () => {
  const result = await runRollout('auto', rolloutOptions(), env().deps);

  expect(result.state).toBe('rolled-back');
  expect(result.failure).toMatch(
    /rolled back: ring 1 \(canary\) failed its gate.*restarted more than 2 times.*Every device is back on vision-1_0_0/s,
  );
  expect(result.rings.map((ring) => ring.verdict)).toEqual(['fail', 'not-reached', 'not-reached']);
  expect(result.rings[0]!.reasons.join(' ')).toMatch(
    /edge-canary-000\d: model module backoff, restarted \d+ times, exit code 1/,
  );
  expect(result.rollback).toMatchObject({
    fallbackId: 'vision-1_0_0',
    devicesLeft: 5,
    withoutFallback: 0,
    verified: true,
    onFallback: 200,
  });

  // The release is withdrawn, not deleted, and its labels say so.
  const release = env().hub.model.getConfiguration('vision-1_1_0');
  expect(release.targetCondition).toBe(NEVER_MATCHING_CONDITION);
  expect(decodeLabels(release.labels)).toMatchObject({
    kind: 'rollout',
    state: { state: 'rolled-back', ringIndex: 0 },
  });

  // Every device is on the previous release, running its image, reporting success.
  expect(devicesByDeployment(env().hub)).toEqual({ 'vision-1_0_0': 200 });
  const modules = modelModules(env().hub);
  expect(
    modules.filter((m) => m.image === OLD_IMAGE && m.status === 'running' && m.code === 200),
  ).toHaveLength(200);

  const summary = renderReportMarkdown(result);
  expect(summary).toContain('#### Rollback');
  expect(summary).toContain('`vision-1_0_0` took them back — verified ✅');
});

test('starting the rolled-back release again is refused without a write', async () => {
  const deps = env().newDeps();
  await expect(runRollout('auto', rolloutOptions(), deps)).rejects.toThrow(
    /is rolled-back.*new release version/s,
  );
  expect(deps.client.calls.writes).toBe(0);
});
