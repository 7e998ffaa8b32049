// workflow_dispatch runs of the root action: the dispatch's `command` input (status, promote,
// rollback) runs that rollout command alone — no registration, no build — under the same summary.
// Release 1.1.0 is started in-process first (held after its first ring), on top of the fallback.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runRollout } from '../../../src/rollout/engine.js';
import { parseRings } from '../../../src/rollout/rings.js';
import { type RolloutHub, rolloutOptions } from '../rollout/support.js';
import {
  deploymentOnHub,
  dispatchEvent,
  QUICK_RINGS,
  rolloutInputs,
  runRootAction,
  startReleaseHub,
} from './support.js';

let env: RolloutHub;

beforeAll(async () => {
  env = await startReleaseHub();
  const started = await runRollout('start', rolloutOptions({ rings: parseRings(QUICK_RINGS) }), env.deps);
  expect(started.state).toBe('held');
});

afterAll(() => env?.hub.stop());

const inputs = () => rolloutInputs(env.hub);

describe('workflow_dispatch', () => {
  test('status writes nothing and prints the lineage of each release', async () => {
    const writes = env.hub.counters().writes;
    const run = await runRootAction(inputs(), dispatchEvent({ command: 'status' }));
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);
    expect(env.hub.counters().writes).toBe(writes);
    expect(run.outputs).toMatchObject({ 'deployment-id': 'vision-1_1_0', state: 'held', ring: 'canary' });
    expect(run.summary).toContain('Trigger: workflow_dispatch: status');
    expect(run.summary).toContain('registration and build skipped: status is a rollout command');
    expect(run.summary).toContain('Lineage: deployment `vision-1_1_0`');
    // The release's own lineage, read back from its labels: commit, model version, run.
    expect(run.summary).toMatch(
      /\| 1\.1\.0 \| `vision-1_1_0` \| .* \| `c0ffee123456` \| vision 7 \| \[run\]\(https:\/\/github\.com\/acme\/vision\/actions\/runs\/42\) \|/,
    );
  });

  test('promote widens the release to the next ring', async () => {
    const run = await runRootAction(inputs(), dispatchEvent({ command: 'promote' }));
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);
    expect(run.outputs).toMatchObject({ 'deployment-id': 'vision-1_1_0', state: 'completed', ring: 'fleet' });
    expect(run.summary).toContain('Trigger: workflow_dispatch: promote');
    expect(deploymentOnHub(env.hub, 'vision-1_1_0').state).toMatchObject({ state: 'completed' });
  });

  test('rollback hands the devices back to the fallback', async () => {
    const run = await runRootAction(inputs(), dispatchEvent({ command: 'rollback', release: 'v1.1.0' }));
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);
    expect(run.outputs).toMatchObject({ 'deployment-id': 'vision-1_1_0', state: 'rolled-back' });
    expect(run.summary).toContain('Trigger: workflow_dispatch: rollback');
    expect(run.summary).toContain('#### Rollback');
    expect(deploymentOnHub(env.hub, 'vision-1_1_0').state).toMatchObject({ state: 'rolled-back' });
  });
});
