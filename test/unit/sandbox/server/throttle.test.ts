import { describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../../../src/sandbox/clock.js';
import { HubThrottle, TokenBucket, s1Limits } from '../../../../src/sandbox/throttle.js';

function takeMany(throttle: HubThrottle, category: Parameters<HubThrottle['take']>[0], count: number) {
  return Array.from({ length: count }, () => throttle.take(category));
}

describe('s1Limits', () => {
  test('documented S1 rates; minute-based throttles scale with units, twin throttles are flat', () => {
    expect(s1Limits(1).configurations).toEqual({ perSecond: 20 / 60, burst: 20 });
    expect(s1Limits(3).queries).toEqual({ perSecond: 1, burst: 60 });
    expect(s1Limits(2).identityRegistry).toEqual({ perSecond: 200 / 60, burst: 200 });
    expect(s1Limits(4).twinReads).toEqual({ perSecond: 100, burst: 100 });
    expect(s1Limits(4).twinUpdates).toEqual({ perSecond: 50, burst: 50 });
  });

  test.each([0, 1.5, -1, Number.NaN])('rejects %p units', (units) => {
    expect(() => s1Limits(units)).toThrow(/units must be a whole number/);
  });
});

describe('TokenBucket', () => {
  test('starts full, empties, refills continuously in clock time', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, clock);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()].every((r) => r.allowed)).toBe(true);
    expect(bucket.tryTake()).toEqual({ allowed: false, retryAfterMs: 500 });
    await clock.advance(250);
    expect(bucket.tryTake()).toEqual({ allowed: false, retryAfterMs: 250 });
    await clock.advance(250);
    expect(bucket.tryTake().allowed).toBe(true);
    await clock.advance(60_000);
    expect(
      [bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()].map((r) => r.allowed),
    ).toEqual([true, true, true, false]);
  });
});

describe('HubThrottle', () => {
  test('configuration calls: a burst of 20, then one every 3 sandbox seconds', async () => {
    const clock = new ManualClock(0);
    const throttle = new HubThrottle({ clock });
    expect(takeMany(throttle, 'configurations', 20).every((d) => d.allowed)).toBe(true);
    expect(throttle.take('configurations')).toEqual({ allowed: false, retryAfterSeconds: 3 });
    await clock.advance(2_000);
    expect(throttle.take('configurations')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await clock.advance(1_000);
    expect(throttle.take('configurations').allowed).toBe(true);
  });

  test('categories have separate buckets', () => {
    const throttle = new HubThrottle({ clock: new ManualClock(0) });
    takeMany(throttle, 'configurations', 20);
    expect(throttle.take('configurations').allowed).toBe(false);
    expect(throttle.take('queries').allowed).toBe(true);
    expect(throttle.take('twinReads').allowed).toBe(true);
  });

  test('units multiply the minute budgets', () => {
    const throttle = new HubThrottle({ clock: new ManualClock(0), units: 2 });
    expect(takeMany(throttle, 'queries', 40).every((d) => d.allowed)).toBe(true);
    expect(throttle.take('queries').allowed).toBe(false);
  });

  test('twin reads allow 100 at once and refill within a sandbox second', async () => {
    const clock = new ManualClock(0);
    const throttle = new HubThrottle({ clock });
    expect(takeMany(throttle, 'twinReads', 100).every((d) => d.allowed)).toBe(true);
    expect(throttle.take('twinReads')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await clock.advance(1_000);
    expect(takeMany(throttle, 'twinReads', 100).every((d) => d.allowed)).toBe(true);
  });

  test('disabled, it lets everything through; it can be switched at run time', () => {
    const throttle = new HubThrottle({ clock: new ManualClock(0), enabled: false });
    expect(takeMany(throttle, 'configurations', 500).every((d) => d.allowed)).toBe(true);
    throttle.enabled = true;
    expect(takeMany(throttle, 'configurations', 21).at(-1)!.allowed).toBe(false);
  });
});
