// A 10k-device fleet: an evaluation cycle and the agents' reports finish in reasonable time, and the
// reports arrive through a handful of timer firings rather than one timer per device.
import { describe, expect, test } from '@jest/globals';
import { CYCLE, MINUTE, cachedMetrics, deployment, newHub } from './helpers.js';

const DEVICES = 10_000;

describe(`a fleet of ${DEVICES} devices`, () => {
  test('evaluates, reports and recounts within seconds', async () => {
    const { hub, clock } = newHub({
      fleet: {
        rings: [
          { name: 'canary', count: 100 },
          { name: 'fleet', count: DEVICES - 100 },
        ],
        behaviours: [{ select: { ring: 'fleet', every: 100 }, behaviour: 'reject-manifest' }],
      },
    });
    hub.createConfiguration(
      'app-1',
      deployment('app:1', { targetCondition: "tags.ring='canary' or tags.ring='fleet'", priority: 1 }),
    );
    hub.createConfiguration('app-2', deployment('app:2', { priority: 2 }));

    let started = performance.now();
    hub.runEvaluation();
    const firstCycleMs = performance.now() - started;
    expect(cachedMetrics(hub, 'app-1')).toMatchObject({
      targetedCount: DEVICES,
      appliedCount: DEVICES - 100,
    });

    let timers = 0;
    const setTimer = clock.setTimer.bind(clock);
    clock.setTimer = (ms, fn) => {
      timers += 1;
      return setTimer(ms, fn);
    };
    started = performance.now();
    await clock.advance(MINUTE);
    const reportsMs = performance.now() - started;
    expect(hub.pendingAgentReports).toBe(0);
    // 10k reports spread over 20–60 s arrive in batches: about one timer per second of spread.
    expect(timers).toBeLessThanOrEqual(45);

    started = performance.now();
    await clock.advance(CYCLE);
    const steadyCycleMs = performance.now() - started;
    expect(cachedMetrics(hub, 'app-1')).toMatchObject({
      reportedSuccessfulCount: DEVICES - 100 - 99,
      reportedFailedCount: 99,
    });
    expect(cachedMetrics(hub, 'app-2')).toMatchObject({ appliedCount: 100, reportedSuccessfulCount: 100 });

    // Generous bounds: they catch an accidental O(n²), not a slow CI machine.
    expect(firstCycleMs).toBeLessThan(5_000);
    expect(reportsMs).toBeLessThan(5_000);
    expect(steadyCycleMs).toBeLessThan(5_000);
  });
});
