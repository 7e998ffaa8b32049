// The hub holds its maximum of 100 deployments: retention deletes old releases of the app that no
// device is on to make room for the new one — never the fallback, never another app's deployment —
// and refuses (before any write) when keep-releases leaves nothing it may delete.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runRollout } from '../../../src/rollout/engine.js';
import {
  releaseContent,
  rolloutOptions,
  seedFallback,
  seedRelease,
  startRolloutHub,
  type RolloutHub,
} from './support.js';

let env: RolloutHub;
const OLD_RELEASES = ['0.6.0', '0.7.0', '0.8.0', '0.9.0'];

beforeAll(async () => {
  env = await startRolloutHub({ devices: 'canary=2,pilot=4,fleet=8' });
  OLD_RELEASES.forEach((release, index) => seedRelease(env.hub, release, { priority: 6 + index }));
  for (let i = 0; i < 95; i++) {
    const id = `other-app-${i}`;
    env.hub.model.createConfiguration(id, {
      id,
      schemaVersion: '1.0',
      labels: { owner: 'someone-else' },
      content: releaseContent(`registry.local/other@sha256:${'0'.repeat(64)}`, '1.0.0') as never,
      targetCondition: "tags.team='other'",
      priority: 50,
    });
  }
  await seedFallback(env.hub); // vision 1.0.0 at priority 10 wins every device; the older ones are on none
});

afterAll(() => env.hub.stop());

test('with keep-releases leaving nothing to delete, a full hub is refused before any write', async () => {
  expect(env.hub.model.listConfigurations()).toHaveLength(100);
  const deps = env.newDeps();
  await expect(runRollout('auto', rolloutOptions({ keepReleases: 10 }), deps)).rejects.toThrow(
    /quota is full: 1 deployments must be deleted to make room, but retention may delete only 0/,
  );
  expect(deps.client.calls.writes).toBe(0);
  expect(env.hub.model.listConfigurations()).toHaveLength(100);
});

test('retention makes room at the quota without deleting the fallback', async () => {
  const result = await runRollout('auto', rolloutOptions({ keepReleases: 3 }), env.newDeps());
  expect(result.state).toBe('completed');
  expect(result.retention?.deleted.sort()).toEqual(['vision-0_6_0', 'vision-0_7_0']);
  const ids = env.hub.model.listConfigurations().map((c) => c.id);
  expect(ids).toHaveLength(99);
  expect(ids).toEqual(
    expect.arrayContaining([
      'vision-1_1_0',
      'vision-1_0_0',
      'vision-0_9_0',
      'vision-0_8_0',
      'other-app-0',
      'other-app-94',
    ]),
  );
  expect(ids).not.toContain('vision-0_7_0');
});
