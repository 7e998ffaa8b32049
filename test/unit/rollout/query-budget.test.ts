import { describe, expect, test } from '@jest/globals';
import {
  jitterFraction,
  MAX_POLL_DELAY_MS,
  MIN_POLL_INTERVAL_MS,
  minPollIntervalMs,
  nextPollDelay,
  parseRetryAfter,
  pollSchedule,
  queriesPerMinute,
  queryCost,
  type QueryBudget,
} from '../../../src/rollout/index.js';

describe('query budget', () => {
  test.each<[QueryBudget, number]>([
    [{ units: 1 }, 10],
    [{ units: 2 }, 20],
    [{ units: 1, share: 1 }, 20],
    [{ units: 1, tier: 'S2', share: 0.25 }, 5],
    [{ units: 1, tier: 'S3' }, 500],
  ])('%j may spend %d queries a minute', (budget, perMinute) => {
    expect(queriesPerMinute(budget)).toBe(perMinute);
  });

  test.each<[QueryBudget, number, number]>([
    // 7 COUNT() queries per observation at 10/min: one observation every 42 s.
    [{ units: 1 }, 7, 42_000],
    [{ units: 1 }, 6, 36_000],
    [{ units: 2 }, 7, 21_000],
    [{ units: 4 }, 7, MIN_POLL_INTERVAL_MS],
    [{ units: 1, tier: 'S3' }, 7, MIN_POLL_INTERVAL_MS],
    [{ units: 1, share: 0.1 }, 7, 210_000],
  ])('%j with %d queries per observation polls every %d ms', (budget, queries, interval) => {
    expect(minPollIntervalMs(budget, queries)).toBe(interval);
  });

  test('a poll at the minimum interval stays within the budget', () => {
    for (const units of [1, 2, 3, 5, 10]) {
      for (const queries of [1, 4, 7, 13]) {
        const interval = minPollIntervalMs({ units }, queries);
        expect((queries * 60_000) / interval).toBeLessThanOrEqual(queriesPerMinute({ units }) + 1e-9);
      }
    }
  });

  test.each<[QueryBudget, number, RegExp]>([
    [{ units: 0 }, 7, /whole number ≥ 1/],
    [{ units: 1.5 }, 7, /whole number ≥ 1/],
    [{ units: 1, share: 0 }, 7, /share/],
    [{ units: 1, share: 1.5 }, 7, /share/],
    [{ units: 1 }, 0, /positive/],
  ])('refuses %j with %d queries', (budget, queries, message) => {
    expect(() => minPollIntervalMs(budget, queries)).toThrow(message);
  });

  test.each([
    [0, 100, 1],
    [1, 100, 1],
    [100, 100, 1],
    [101, 100, 2],
    [250, 100, 3],
  ])('a query of %d rows at %d per page costs %d', (rows, pageSize, cost) => {
    expect(queryCost(rows, pageSize)).toBe(cost);
  });
});

describe('nextPollDelay', () => {
  const schedule = pollSchedule({ units: 1 }, 7, { seed: 'run-1' });

  test('polls at the interval plus up to 10% jitter, never less', () => {
    for (let poll = 0; poll < 200; poll++) {
      const delay = nextPollDelay(schedule, { poll, throttledInARow: 0 });
      expect(delay).toBeGreaterThanOrEqual(42_000);
      expect(delay).toBeLessThan(42_000 * 1.1);
    }
  });

  test('jitter is deterministic per seed and poll, and differs between them', () => {
    expect(jitterFraction('run-1', 3)).toBe(jitterFraction('run-1', 3));
    expect(jitterFraction('run-1', 3)).not.toBe(jitterFraction('run-2', 3));
    const delays = new Set(
      Array.from({ length: 20 }, (_, poll) => nextPollDelay(schedule, { poll, throttledInARow: 0 })),
    );
    expect(delays.size).toBeGreaterThan(10);
    for (let poll = 0; poll < 1000; poll++) {
      const fraction = jitterFraction('x', poll);
      expect(fraction).toBeGreaterThanOrEqual(0);
      expect(fraction).toBeLessThan(1);
    }
  });

  test.each([
    [1, undefined, 84_000],
    [2, undefined, 168_000],
    [3, undefined, MAX_POLL_DELAY_MS],
    [30, undefined, MAX_POLL_DELAY_MS],
    [1, 600_000, 600_000],
    [1, 1_000, 84_000],
  ])('after %d 429s (Retry-After %j ms) waits at least %d ms', (throttledInARow, retryAfterMs, minimum) => {
    const outcome = { poll: 1, throttledInARow, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    const delay = nextPollDelay({ ...schedule, jitter: 0 }, outcome);
    expect(delay).toBe(minimum);
  });

  test('Retry-After is honoured even above the backoff ceiling', () => {
    expect(nextPollDelay(schedule, { poll: 0, throttledInARow: 1, retryAfterMs: 900_000 })).toBe(900_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-05-01T12:00:00Z');
  test.each<[string | undefined | null, number | undefined]>([
    ['120', 120_000],
    [' 0 ', 0],
    ['1.5', 1_500],
    ['Thu, 01 May 2025 12:00:30 GMT', 30_000],
    ['Thu, 01 May 2025 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
    [null, undefined],
  ])('%j → %j ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});
