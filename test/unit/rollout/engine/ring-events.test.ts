// The engine's one fail-safe wrapper around a ring listener: the events it builds, a ring reported
// failed only once, and a listener that hangs, which is left behind after its time limit.
import { afterEach, expect, jest, test } from '@jest/globals';
import { memoryLogger } from '../../../../src/logger.js';
import { RingEvents } from '../../../../src/rollout/engine-progress.js';
import type { RingProgress } from '../../../../src/rollout/engine-types.js';

const SOURCE = {
  app: 'vision',
  release: '2.0.0',
  deploymentId: 'vision-2_0_0',
  ringNames: ['canary', 'pilot', 'fleet'],
};

afterEach(() => {
  jest.useRealTimers();
});

test('events carry 1-based rings, and a ring is reported failed once per run', async () => {
  const seen: unknown[] = [];
  const listener: RingProgress = {
    ringStarted: async (event) => void seen.push(['started', event]),
    ringPassed: async (event) => void seen.push(['passed', event.ring]),
    ringFailed: async (event) => void seen.push(['failed', event.ring, event.reason]),
  };
  const events = new RingEvents(listener, memoryLogger());
  await events.started(SOURCE, 1);
  await events.failed(SOURCE, 1, 'gate failed');
  await events.failed(SOURCE, 1, 'rolled back');
  await events.failed(SOURCE, 0, 'rolled back');
  expect(seen).toEqual([
    [
      'started',
      {
        app: 'vision',
        release: '2.0.0',
        deploymentId: 'vision-2_0_0',
        ring: 2,
        ringName: 'pilot',
        ringCount: 3,
      },
    ],
    ['failed', 2, 'gate failed'],
    ['failed', 1, 'rolled back'],
  ]);
});

test('no listener: nothing happens', async () => {
  const logger = memoryLogger();
  await new RingEvents(undefined, logger).started(SOURCE, 0);
  expect(logger.lines).toEqual([]);
});

test('a listener that never answers is left behind after 30 s with one warning', async () => {
  jest.useFakeTimers();
  const logger = memoryLogger();
  const hanging: RingProgress = {
    ringStarted: () => new Promise<void>(() => {}),
    ringPassed: () => new Promise<void>(() => {}),
    ringFailed: async () => {},
  };
  const events = new RingEvents(hanging, logger);
  let done = false;
  const first = events.started(SOURCE, 0).then(() => (done = true));
  await jest.advanceTimersByTimeAsync(29_000);
  expect(done).toBe(false);
  await jest.advanceTimersByTimeAsync(1_000);
  await first;
  expect(done).toBe(true);
  const second = events.passed(SOURCE, 0);
  await jest.advanceTimersByTimeAsync(30_000);
  await second;
  expect(logger.lines.filter((line) => line.startsWith('warning:'))).toEqual([
    'warning: Ring progress listener failed on ringStarted for ring 1 (canary): no answer within 30 s. The rollout goes on; later listener failures are logged as debug.',
  ]);
  expect(logger.lines.filter((line) => line.startsWith('debug:'))).toHaveLength(1);
});
