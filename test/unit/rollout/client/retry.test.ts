import { describe, expect, test } from '@jest/globals';
import { redactSecrets } from '../../../../src/azure/redact-secrets.js';
import { readHubFailure } from '../../../../src/rollout/hub-failure.js';
import { memoryLogger } from '../../../../src/logger.js';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  MAX_RETRY_AFTER_MS,
  RetriesExhaustedError,
  retryDelayMs,
  retryPolicy,
  retryVerdict,
  withRetries,
  type AttemptContext,
  type RetryPolicy,
} from '../../../../src/rollout/retry.js';
import { hubErrorBody, sdkHttpError, socketError } from './sdk-errors.js';

const read = (error: unknown) => readHubFailure(error, (text) => redactSecrets(text));
const NOW = Date.UTC(2026, 0, 1);

describe('which failures are retried', () => {
  test.each<[string, Error, false | { kind: string; mayHaveApplied: boolean }]>([
    [
      '429 throttled',
      sdkHttpError(429, {}, hubErrorBody('ThrottlingException', 'slow down')),
      { kind: 'throttled', mayHaveApplied: false },
    ],
    [
      '500 server error',
      sdkHttpError(500, {}, hubErrorBody('ServerError', 'oops')),
      { kind: 'server', mayHaveApplied: true },
    ],
    ['502 bad gateway', sdkHttpError(502), { kind: 'server', mayHaveApplied: true }],
    [
      '503 unavailable',
      sdkHttpError(503, {}, hubErrorBody('ServiceUnavailable', 'later')),
      { kind: 'server', mayHaveApplied: true },
    ],
    ['504 gateway timeout', sdkHttpError(504), { kind: 'server', mayHaveApplied: true }],
    [
      'ECONNRESET',
      socketError('ECONNRESET', 'read ECONNRESET'),
      { kind: 'connection', mayHaveApplied: true },
    ],
    [
      'socket hang up',
      socketError('ECONNRESET', 'socket hang up'),
      { kind: 'connection', mayHaveApplied: true },
    ],
    [
      'socket hang up without a code',
      new Error('socket hang up'),
      { kind: 'connection', mayHaveApplied: true },
    ],
    ['ETIMEDOUT', socketError('ETIMEDOUT'), { kind: 'connection', mayHaveApplied: true }],
    ['EPIPE', socketError('EPIPE', 'write EPIPE'), { kind: 'connection', mayHaveApplied: true }],
    ['400 bad request', sdkHttpError(400, {}, hubErrorBody('ArgumentInvalid', 'bad')), false],
    ['401 unauthorized', sdkHttpError(401, {}, hubErrorBody('IotHubUnauthorizedAccess', 'no')), false],
    ['403 quota', sdkHttpError(403, {}, hubErrorBody('ConfigurationCountLimitExceeded', 'full')), false],
    ['404 not found', sdkHttpError(404, {}, hubErrorBody('ConfigurationNotFound', 'gone')), false],
    ['408 device timeout', sdkHttpError(408), false],
    ['409 conflict', sdkHttpError(409, {}, hubErrorBody('ConfigurationAlreadyExists', 'dup')), false],
    ['412 stale etag', sdkHttpError(412, {}, hubErrorBody('PreconditionFailed', 'etag')), false],
    ['ENOTFOUND (wrong host name)', socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND myhub'), false],
    ['ECONNREFUSED', socketError('ECONNREFUSED'), false],
    ['an untrusted certificate', socketError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify'), false],
    ['a plain Error', new Error('something else'), false],
  ])('%s', (_name, error, expected) => {
    const verdict = retryVerdict(read(error), NOW);
    if (expected === false) expect(verdict).toEqual({ retry: false });
    else expect(verdict).toMatchObject({ retry: true, ...expected });
  });

  test('Retry-After comes from the SDK error’s response headers, in seconds or as an HTTP date', () => {
    const seconds = read(
      sdkHttpError(429, { 'retry-after': '12' }, hubErrorBody('ThrottlingException', 'x')),
    );
    expect(retryVerdict(seconds, NOW)).toMatchObject({ retryAfterMs: 12_000 });
    const date = read(sdkHttpError(503, { 'retry-after': new Date(NOW + 30_000).toUTCString() }));
    expect(retryVerdict(date, NOW)).toMatchObject({ retryAfterMs: 30_000 });
    expect(retryVerdict(read(sdkHttpError(429)), NOW)).toMatchObject({ retryAfterMs: undefined });
  });

  test('the hub’s error code is read from the iothub-errorcode header or the body', () => {
    expect(read(sdkHttpError(503, { 'iothub-errorcode': 'ServiceUnavailable' }))).toMatchObject({
      status: 503,
      errorCode: 'ServiceUnavailable',
    });
    expect(read(sdkHttpError(412, {}, hubErrorBody('PreconditionFailed', 'etag mismatch')))).toMatchObject({
      status: 412,
      errorCode: 'PreconditionFailed',
      description: '412 PreconditionFailed: etag mismatch',
    });
  });
});

describe('delays', () => {
  const policy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 30_000 };

  test.each([
    // retry, jitter, delay: between half and all of min(max, base × 2^(retry-1))
    [1, 0, 500],
    [1, 0.5, 750],
    [2, 0, 1_000],
    [3, 0.999, 3_998],
    [5, 0, 8_000],
    [6, 0, 15_000],
    [6, 0.999, 29_985],
    [7, 0, 15_000],
    [20, 0.999, 29_985],
  ])('retry %d with jitter %d waits %d ms', (retry, jitter, delay) => {
    expect(backoffDelayMs(retry, policy, jitter)).toBe(delay);
  });

  test('backoff never exceeds maxDelayMs', () => {
    for (let retry = 1; retry <= 40; retry++) {
      for (const jitter of [0, 0.3, 0.999]) {
        expect(backoffDelayMs(retry, policy, jitter)).toBeLessThanOrEqual(policy.maxDelayMs);
      }
    }
  });

  test.each([
    // Retry-After, retry, jitter → delay: never shorter than Retry-After (plus up to 20% spread), nor than the backoff
    [12_000, 1, 0, 12_000],
    [12_000, 1, 0.5, 13_200],
    [1_000, 6, 0, 15_000],
    [0, 1, 0, 500],
    [60 * 60_000, 1, 0, MAX_RETRY_AFTER_MS],
  ])('Retry-After %d ms on retry %d (jitter %d) waits %d ms', (retryAfterMs, retry, jitter, delay) => {
    expect(retryDelayMs({ retryAfterMs }, retry, policy, jitter)).toBe(delay);
  });

  test('a Retry-After beyond maxDelayMs is still honoured', () => {
    expect(retryDelayMs({ retryAfterMs: 90_000 }, 1, policy, 0)).toBe(90_000);
  });

  test('policies are checked', () => {
    expect(retryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(retryPolicy({ maxAttempts: 3 })).toMatchObject({ maxAttempts: 3, baseDelayMs: 2_000 });
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ baseDelayMs: -1 })).toThrow(/baseDelayMs/);
    expect(() => retryPolicy({ baseDelayMs: 5_000, maxDelayMs: 1_000 })).toThrow(/maxDelayMs/);
  });
});

/** withRetries with a fake clock: sleeping moves time, nothing waits. */
function harness(policy: Partial<RetryPolicy> = {}) {
  let now = NOW;
  const sleeps: number[] = [];
  const logger = memoryLogger();
  let retries = 0;
  const context = {
    policy: retryPolicy({ maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000, ...policy }),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    now: () => now,
    logger,
    readFailure: read,
    onRetry: () => retries++,
  };
  return { context, sleeps, logger, retries: () => retries };
}

/** An attempt function that throws `failures` in turn, then returns 'ok'. */
function failing(...failures: Error[]) {
  const seen: AttemptContext[] = [];
  const attempt = async (context: AttemptContext) => {
    seen.push(context);
    const failure = failures[context.number - 1];
    if (failure) throw failure;
    return 'ok';
  };
  return { attempt, seen };
}

describe('withRetries', () => {
  test('retries throttling, honours Retry-After and logs a progress line per retry', async () => {
    const h = harness();
    const throttled = sdkHttpError(429, { 'retry-after': '12' }, hubErrorBody('ThrottlingException', 'x'));
    const { attempt } = failing(throttled, throttled);
    await expect(withRetries("read deployment 'a'", attempt, h.context)).resolves.toBe('ok');
    expect(h.sleeps).toHaveLength(2);
    for (const ms of h.sleeps) expect(ms).toBeGreaterThanOrEqual(12_000);
    expect(h.retries()).toBe(2);
    expect(h.logger.lines[0]).toMatch(
      /^IoT Hub throttled the request \(429\); retrying in 1[2-5]s, attempt 2 of 4 \(read deployment 'a'\)$/,
    );
    expect(h.logger.lines[1]).toMatch(/attempt 3 of 4/);
  });

  test('an answer a retry cannot change is rethrown at once, untouched', async () => {
    const h = harness();
    const stale = sdkHttpError(412, {}, hubErrorBody('PreconditionFailed', 'etag'));
    const { attempt } = failing(stale);
    await expect(withRetries('update', attempt, h.context)).rejects.toBe(stale);
    expect(h.sleeps).toEqual([]);
    expect(h.logger.lines).toEqual([]);
  });

  test('gives up after maxAttempts with an error that says what was tried', async () => {
    const h = harness({ maxAttempts: 3 });
    const unavailable = sdkHttpError(503, {}, hubErrorBody('ServiceUnavailable', 'try later'));
    const { attempt } = failing(unavailable, socketError('ECONNRESET', 'socket hang up'), unavailable);
    const error = await withRetries("read deployment 'a'", attempt, h.context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    const message = (error as Error).message;
    expect(message).toMatch(/gave up on read deployment 'a' after 3 attempts over \d+s/);
    expect(message).toContain('503 ServiceUnavailable ×2, ECONNRESET ×1');
    expect(message).toContain('Last failure: 503 ServiceUnavailable: try later');
    expect(message).toMatch(/Azure status page/);
    expect(h.sleeps).toHaveLength(2);
  });

  test('tells later attempts whether an earlier one may have gone through', async () => {
    const throttled = sdkHttpError(429);
    const onlyThrottled = failing(throttled, throttled);
    await withRetries('create', onlyThrottled.attempt, harness().context);
    expect(onlyThrottled.seen.map((c) => c.earlierMayHaveApplied)).toEqual([false, false, false]);

    const reset = failing(throttled, socketError('ECONNRESET'), throttled);
    await withRetries('create', reset.attempt, harness().context);
    expect(reset.seen.map((c) => c.earlierMayHaveApplied)).toEqual([false, false, true, true]);
  });

  test('the same operation waits the same on every run (deterministic jitter)', async () => {
    const runs = await Promise.all(
      [1, 2].map(async () => {
        const h = harness();
        const { attempt } = failing(sdkHttpError(503), sdkHttpError(503), sdkHttpError(503));
        await withRetries('list deployments', attempt, h.context);
        return h.sleeps;
      }),
    );
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]![0]).toBeGreaterThanOrEqual(500);
    expect(runs[0]![2]).toBeGreaterThan(runs[0]![0]!);
  });
});
