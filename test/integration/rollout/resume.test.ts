// All state is in the hub: a run killed while the pilot ring is being gated is re-run and finishes
// from the labels (no recreate, canary not gated again), and the same rollout also works as one job
// per ring (start, then promote, promote) as a workflow behind environment approvals runs it.
import { describe, expect, test } from '@jest/globals';
import { RolloutAbortedError } from '../../../src/rollout/engine-errors.js';
import { runRollout } from '../../../src/rollout/engine.js';
import type { Logger } from '../../../src/logger.js';
import { decodeLabels } from '../../../src/rollout/state-labels.js';
import { devicesByDeployment, releaseContent, rolloutOptions, hubWithFallback } from './support.js';

const env = hubWithFallback();

/** A logger that aborts the run once a line matches, as a cancelled job would stop it. */
function abortingLogger(inner: Logger, pattern: RegExp, controller: AbortController): Logger {
  const check = (line: string) => {
    if (pattern.test(line)) controller.abort();
  };
  return {
    ...inner,
    info: (line) => {
      inner.info(line);
      check(line);
    },
  };
}

describe('a run killed during the pilot ring', () => {
  test('stops with the release at pilot in progress, and a re-run of the same run finishes it', async () => {
    const controller = new AbortController();
    const killed = runRollout('auto', rolloutOptions({ signal: controller.signal }), {
      ...env().deps,
      logger: abortingLogger(env().logger, /^\[pilot 2\/3 .*applied 50/, controller),
    });
    await expect(killed).rejects.toBeInstanceOf(RolloutAbortedError);

    const during = env().hub.model.getConfiguration('vision-1_1_0');
    expect(during.targetCondition).toBe("tags.ring='canary' OR tags.ring='pilot'");
    expect(decodeLabels(during.labels)).toMatchObject({
      state: { state: 'in-progress', ringIndex: 1, ringName: 'pilot' },
    });

    const rerun = await runRollout('auto', rolloutOptions(), env().newDeps());
    expect(rerun.state).toBe('completed');
    expect(rerun.rings.map((ring) => ring.verdict)).toEqual(['passed-earlier', 'pass', 'pass']);
    // Never recreated: same creation time; ring 2's clock kept from the labels.
    const after = env().hub.model.getConfiguration('vision-1_1_0');
    expect(after.createdTimeUtc).toBe(during.createdTimeUtc);
    expect(rerun.rings[1]!.durationMs).toBeGreaterThan(0);
    expect(devicesByDeployment(env().hub)).toEqual({ 'vision-1_1_0': 200 });
  });
});

describe('one job per ring', () => {
  const release = (run: string) =>
    rolloutOptions({
      release: '1.2.0',
      content: releaseContent(`registry.local/vision@sha256:${'c'.repeat(64)}`, '1.2.0'),
      runId: run,
    });

  test('start holds after the canary, promote widens ring by ring, status and rollback work from later jobs', async () => {
    const start = await runRollout('start', release('77'), env().newDeps());
    expect(start).toMatchObject({ state: 'held', ringName: 'canary' });
    expect(start.rings.map((ring) => ring.verdict)).toEqual(['pass', 'not-reached', 'not-reached']);

    // A second release of the app is refused while 1.2.0 holds.
    const blocked = rolloutOptions({
      release: '1.3.0',
      content: releaseContent(`registry.local/vision@sha256:${'d'.repeat(64)}`, '1.3.0'),
      runId: '78',
    });
    const blockedDeps = env().newDeps();
    await expect(runRollout('start', blocked, blockedDeps)).rejects.toThrow(
      /Release 1\.2\.0 of app 'vision' \(vision-1_2_0\) is still rolling out: held at ring 1\/3/,
    );
    expect(blockedDeps.client.calls.writes).toBe(0);

    const pilot = await runRollout('promote', release('77'), env().newDeps());
    expect(pilot).toMatchObject({ state: 'held', ringName: 'pilot' });
    expect(pilot.rings.map((ring) => ring.verdict)).toEqual(['passed-earlier', 'pass', 'not-reached']);

    const status = await runRollout(
      'status',
      rolloutOptions({ release: undefined, runId: '77' }),
      env().newDeps(),
    );
    expect(status).toMatchObject({ deploymentId: 'vision-1_2_0', state: 'held', ringName: 'pilot' });

    // An operator rolls the held release back on demand (another run): the fleet returns to 1.1.0.
    const rollback = await runRollout(
      'rollback',
      rolloutOptions({ release: undefined, runId: '79' }),
      env().newDeps(),
    );
    expect(rollback.state).toBe('rolled-back');
    expect(rollback.rollback).toMatchObject({ fallbackId: 'vision-1_1_0', devicesLeft: 50, verified: true });
    expect(devicesByDeployment(env().hub)).toEqual({ 'vision-1_1_0': 200 });
    await expect(runRollout('promote', release('77'), env().newDeps())).rejects.toThrow(
      /is rolled-back.*cannot be promoted/,
    );
  });
});
