// Retries for IoT Hub calls. The hub throttles configuration calls and queries per minute (429), has
// transient server failures (500/502/503/504) and drops connections; everything else (400, 401, 403,
// 404, 409, 412) is an answer that a repeat cannot change, so it is never retried.
//
// The delay before retry n is exponential backoff with "equal jitter" (between half and all of
// base × 2^(n-1), capped at maxDelayMs). When the hub sends Retry-After, the wait is never shorter
// than that. Jitter is deterministic (query-budget's hash of the operation and the retry number), so runs are
// reproducible and different operations still spread out. Waits use the injected `sleep`, so the
// sandbox's scaled clock shrinks them in tests.
import type { Logger } from '../logger.js';
import type { HubFailure } from './hub-failure.js';
import { formatDuration } from './quantities.js';
import { jitterFraction, parseRetryAfter } from './query-budget.js';

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** Backoff before the first retry; it doubles with each further retry. */
  baseDelayMs: number;
  /** Backoff ceiling. A longer Retry-After from the hub still wins (up to MAX_RETRY_AFTER_MS). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 60_000,
};

/** A Retry-After beyond this is treated as this: a bogus header must not stall a rollout for hours. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** Up to this share is added to a Retry-After, so callers told the same moment do not return together. */
const RETRY_AFTER_SPREAD = 0.2;

const RETRYABLE_STATUSES = new Set([500, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']);

export type RetryKind = 'throttled' | 'server' | 'connection';

export type RetryVerdict =
  | { retry: false }
  | {
      retry: true;
      kind: RetryKind;
      /** The start of the progress line, e.g. "IoT Hub throttled the request (429)". */
      reason: string;
      /** True when the hub may have carried the request out anyway (5xx, a dropped connection). */
      mayHaveApplied: boolean;
      /** What the hub's Retry-After asked for, in ms. */
      retryAfterMs?: number;
    };

function isConnectionFailure(failure: HubFailure): boolean {
  if (failure.status !== undefined) return false;
  if (failure.networkCode && RETRYABLE_NETWORK_CODES.has(failure.networkCode)) return true;
  return /socket hang up/i.test(failure.description);
}

/** Whether a failed request is worth repeating, and why. */
export function retryVerdict(failure: HubFailure, nowMs: number): RetryVerdict {
  const retryAfterMs = parseRetryAfter(failure.retryAfter, nowMs);
  if (failure.status === 429) {
    return {
      retry: true,
      kind: 'throttled',
      reason: 'IoT Hub throttled the request (429)',
      mayHaveApplied: false,
      retryAfterMs,
    };
  }
  if (failure.status !== undefined && RETRYABLE_STATUSES.has(failure.status)) {
    const label = [failure.status, failure.errorCode].filter(Boolean).join(' ');
    return {
      retry: true,
      kind: 'server',
      reason: `IoT Hub answered ${label}`,
      mayHaveApplied: true,
      retryAfterMs,
    };
  }
  if (isConnectionFailure(failure)) {
    const code = failure.networkCode ?? 'socket hang up';
    return {
      retry: true,
      kind: 'connection',
      reason: `The connection to IoT Hub failed (${code})`,
      mayHaveApplied: true,
    };
  }
  return { retry: false };
}

/** Backoff before retry `retry` (1 for the first retry): between half and all of the capped exponential. */
export function backoffDelayMs(retry: number, policy: RetryPolicy, jitter: number): number {
  const exponential = policy.baseDelayMs * 2 ** (retry - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + 0.5 * jitter));
}

/** The wait before retry `retry`: the backoff, but never shorter than the hub's Retry-After. */
export function retryDelayMs(
  verdict: { retryAfterMs?: number },
  retry: number,
  policy: RetryPolicy,
  jitter: number,
): number {
  const backoff = backoffDelayMs(retry, policy, jitter);
  if (verdict.retryAfterMs === undefined) return backoff;
  const asked = Math.min(verdict.retryAfterMs, MAX_RETRY_AFTER_MS);
  return Math.max(backoff, Math.round(asked * (1 + RETRY_AFTER_SPREAD * jitter)));
}

/** Checks a policy (merged over the default) and returns it. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry maxAttempts must be a whole number ≥ 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.baseDelayMs >= 0))
    throw new RangeError(`retry baseDelayMs must be ≥ 0, got ${policy.baseDelayMs}`);
  if (!(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError(
      `retry maxDelayMs must be ≥ baseDelayMs (${policy.baseDelayMs}), got ${policy.maxDelayMs}`,
    );
  }
  return policy;
}

const ADVICE: Record<RetryKind, string> = {
  throttled:
    "The hub's throttle stayed exhausted (about 20 configuration calls and 20 queries per minute per unit on " +
    'S1/S2): other clients may share it. Set hub-units to what the hub has, run fewer rollouts at once, or retry later.',
  server: 'The hub kept failing on its side: check the Azure status page and retry later.',
  connection: 'The connection kept failing: check the network path to the hub (proxy, firewall, DNS).',
};

/** Every attempt failed with a retryable failure. The message says what was tried; it holds no credentials. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly operation: string,
    readonly attempts: number,
    readonly lastFailure: HubFailure,
    readonly kind: RetryKind,
    elapsedMs: number,
    tally: string,
  ) {
    super(
      `IoT Hub: gave up on ${operation} after ${attempts} attempts over ${formatDuration(elapsedMs)} ` +
        `(${tally}). Last failure: ${lastFailure.description}. ${ADVICE[kind]}`,
    );
    this.name = 'RetriesExhaustedError';
  }
}

export interface AttemptContext {
  /** 1 for the first attempt. */
  number: number;
  /** An earlier attempt failed in a way the hub may still have carried out (5xx, dropped connection). */
  earlierMayHaveApplied: boolean;
}

export interface RetryContext {
  policy: RetryPolicy;
  sleep(ms: number): Promise<void>;
  now(): number;
  logger?: Logger;
  /** Reads a thrown value; its texts must already be redacted. */
  readFailure(error: unknown): HubFailure;
  /** Called once before each retry, e.g. to count it. */
  onRetry?(): void;
  /** Seeds the jitter (default: the operation); callers running the same operation at once pass distinct seeds. */
  jitterSeed?: string;
}

function failureLabel(failure: HubFailure): string {
  if (failure.status !== undefined) return [failure.status, failure.errorCode].filter(Boolean).join(' ');
  return failure.networkCode ?? 'connection failure';
}

function tallyOf(failures: HubFailure[]): string {
  const counts = new Map<string, number>();
  for (const failure of failures) {
    const label = failureLabel(failure);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => `${label} ×${count}`).join(', ');
}

/**
 * Runs `attempt` until it succeeds, fails with a failure that is not retryable (rethrown as is), or
 * has failed `policy.maxAttempts` times (RetriesExhaustedError). Each retry is logged as a progress line.
 */
export async function withRetries<T>(
  operation: string,
  attempt: (context: AttemptContext) => Promise<T>,
  context: RetryContext,
): Promise<T> {
  const { policy } = context;
  const started = context.now();
  const failures: HubFailure[] = [];
  let earlierMayHaveApplied = false;
  for (let number = 1; ; number++) {
    try {
      return await attempt({ number, earlierMayHaveApplied });
    } catch (error) {
      const failure = context.readFailure(error);
      const verdict = retryVerdict(failure, context.now());
      if (!verdict.retry) throw error;
      failures.push(failure);
      if (number >= policy.maxAttempts) {
        const elapsed = context.now() - started;
        throw new RetriesExhaustedError(operation, number, failure, verdict.kind, elapsed, tallyOf(failures));
      }
      earlierMayHaveApplied ||= verdict.mayHaveApplied;
      const delay = retryDelayMs(
        verdict,
        number,
        policy,
        jitterFraction(context.jitterSeed ?? operation, number),
      );
      context.logger?.info(
        `${verdict.reason}; retrying in ${formatDuration(delay)}, attempt ${number + 1} of ${policy.maxAttempts} (${operation})`,
      );
      context.onRetry?.();
      await context.sleep(delay);
    }
  }
}
