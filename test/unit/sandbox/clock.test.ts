import { describe, expect, test } from '@jest/globals';
import { ManualClock, ScaledClock } from '../../../src/sandbox/clock.js';

describe('ManualClock', () => {
  test('fires timers in time order, including ones scheduled by a timer', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push('c'));
    clock.setTimer(100, () => {
      fired.push('a');
      clock.setTimer(50, () => fired.push('b'));
    });
    const late = clock.setTimer(1000, () => fired.push('never'));
    late.cancel();
    await clock.advance(999);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(999);
  });
});

describe('ScaledClock', () => {
  test('runs sandbox time faster than real time', async () => {
    const clock = new ScaledClock(1000);
    const start = clock.now();
    const realStart = Date.now();
    await clock.sleep(60_000); // one sandbox minute
    expect(Date.now() - realStart).toBeLessThan(1000);
    expect(clock.now() - start).toBeGreaterThanOrEqual(59_000);
  });

  test('rejects a scale that is not positive', () => {
    expect(() => new ScaledClock(0)).toThrow(/positive/);
  });
});
