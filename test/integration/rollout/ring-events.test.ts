// Ring events from the engine, on the sandbox hub and its clock: the sequence a listener (GitHub
// Deployments) sees for a passing auto, a canary failure, a pilot failure, and start → promote →
// rollback in separate runs; and a listener that throws or rejects, which costs one warning and
// changes nothing about the rollout.
import { describe, expect, test } from '@jest/globals';
import { memoryLogger } from '../../../src/logger.js';
import { runRollout } from '../../../src/rollout/engine.js';
import type { RingEvent, RingProgress, RolloutDeps } from '../../../src/rollout/engine-types.js';
import { hubWithFallback, NEW_IMAGE, NEW_IMAGE_TEXT, releaseContent, rolloutOptions } from './support.js';

type Seen = [kind: 'started' | 'passed' | 'failed', ring: string, reason?: string];

function recorder(): RingProgress & { seen: Seen[]; events: RingEvent[] } {
  const seen: Seen[] = [];
  const events: RingEvent[] = [];
  return {
    seen,
    events,
    ringStarted: async (event) => {
      events.push(event);
      seen.push(['started', event.ringName]);
    },
    ringPassed: async (event) => {
      events.push(event);
      seen.push(['passed', event.ringName]);
    },
    ringFailed: async (event) => {
      events.push(event);
      seen.push(['failed', event.ringName, event.reason]);
    },
  };
}

function withProgress(deps: RolloutDeps, progress: RingProgress) {
  const logger = memoryLogger();
  return { deps: { ...deps, logger, progress }, logger };
}

function release(version: string, image = NEW_IMAGE) {
  return rolloutOptions({ release: version, content: releaseContent(image, version) });
}

describe('on a healthy fleet', () => {
  const env = hubWithFallback();

  test('a passing auto reports each ring started, then passed, in order', async () => {
    const progress = recorder();
    const result = await runRollout('auto', rolloutOptions(), withProgress(env().newDeps(), progress).deps);

    expect(result.state).toBe('completed');
    expect(progress.seen).toEqual([
      ['started', 'canary'],
      ['passed', 'canary'],
      ['started', 'pilot'],
      ['passed', 'pilot'],
      ['started', 'fleet'],
      ['passed', 'fleet'],
    ]);
    expect(progress.events[0]).toEqual({
      app: 'vision',
      release: '1.1.0',
      deploymentId: 'vision-1_1_0',
      ring: 1,
      ringName: 'canary',
      ringCount: 3,
    });
    expect(progress.events.map((event) => event.ring)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  test('a listener that throws and rejects gives one warning and the rollout is unchanged', async () => {
    let calls = 0;
    const failing: RingProgress = {
      ringStarted: () => {
        calls++;
        throw new Error('status page down');
      },
      ringPassed: async () => {
        calls++;
        throw new Error('status page still down');
      },
      ringFailed: async () => {
        calls++;
      },
    };
    const { deps, logger } = withProgress(env().newDeps(), failing);
    const result = await runRollout('auto', release('1.2.0'), deps);

    expect(result.state).toBe('completed');
    expect(result.failure).toBeUndefined();
    expect(result.rings.map((ring) => ring.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(result.calls.writes).toBe(6); // as without a listener: create, claim, ring 1, 2 widenings, done
    expect(calls).toBe(6);
    const warnings = logger.lines.filter((line) => line.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/listener failed on ringStarted for ring 1 \(canary\): status page down/);
    expect(logger.lines.filter((line) => line.includes('status page still down'))).toHaveLength(3);
  });

  test('start, promote and rollback in separate runs report their own rings', async () => {
    const started = recorder();
    const held = await runRollout('start', release('1.3.0'), withProgress(env().newDeps(), started).deps);
    expect(held.state).toBe('held');
    expect(started.seen).toEqual([
      ['started', 'canary'],
      ['passed', 'canary'],
    ]);

    const promoted = recorder();
    const later = { runId: 'approval-job' };
    const after = await runRollout(
      'promote',
      { ...release('1.3.0'), ...later },
      withProgress(env().newDeps(), promoted).deps,
    );
    expect(after).toMatchObject({ state: 'held', ringName: 'pilot' });
    expect(promoted.seen).toEqual([
      ['started', 'pilot'],
      ['passed', 'pilot'],
    ]);

    const rolledBack = recorder();
    const back = await runRollout(
      'rollback',
      { ...release('1.3.0'), runId: 'rollback-job' },
      withProgress(env().newDeps(), rolledBack).deps,
    );
    expect(back.state).toBe('rolled-back');
    const reason = 'rolled back: rollback requested by run rollback-job';
    expect(rolledBack.seen).toEqual([
      ['failed', 'canary', reason],
      ['failed', 'pilot', reason],
    ]);

    // Rolling back again: nothing is targeted any more, so no ring is reported.
    const again = recorder();
    await runRollout(
      'rollback',
      { ...release('1.3.0'), runId: 'rollback-job' },
      withProgress(env().newDeps(), again).deps,
    );
    expect(again.seen).toEqual([]);
  });
});

describe('on a fleet where the new images crash-loop', () => {
  const PILOT_BAD_IMAGE = `registry.local/vision@sha256:${'c'.repeat(64)}`;
  const env = hubWithFallback({
    behaviours: [`canary:crash-loop@${NEW_IMAGE_TEXT}`, 'pilot:crash-loop@vision@sha256:cccc'],
  });

  test('a failing canary is reported failed once, with the gate reason, and nothing after it', async () => {
    const progress = recorder();
    const result = await runRollout('auto', rolloutOptions(), withProgress(env().newDeps(), progress).deps);

    expect(result.state).toBe('rolled-back');
    expect(progress.seen.map(([kind, ring]) => [kind, ring])).toEqual([
      ['started', 'canary'],
      ['failed', 'canary'],
    ]);
    expect(progress.seen[1]![2]).toMatch(/^ring 1 \(canary\) failed its gate: .*restarted more than 2 times/);
  });

  test('a failing pilot is reported first, then the passed canary loses the release too', async () => {
    const progress = recorder();
    const result = await runRollout(
      'auto',
      release('1.2.0', PILOT_BAD_IMAGE),
      withProgress(env().newDeps(), progress).deps,
    );

    expect(result.state).toBe('rolled-back');
    expect(progress.seen.map(([kind, ring]) => [kind, ring])).toEqual([
      ['started', 'canary'],
      ['passed', 'canary'],
      ['started', 'pilot'],
      ['failed', 'pilot'],
      ['failed', 'canary'],
    ]);
    expect(progress.seen[3]![2]).toMatch(/^ring 2 \(pilot\) failed its gate/);
    expect(progress.seen[4]![2]).toMatch(/^rolled back: ring 2 \(pilot\) failed its gate/);
  });
});
