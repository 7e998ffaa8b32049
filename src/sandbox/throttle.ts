// S1-like operation throttles for the sandbox hub, as token buckets measured in SANDBOX time, so a
// time-scaled sandbox throttles per sandbox minute just as a real hub throttles per real minute.
//
// Rates are the S1 column of "IoT Hub quotas and throttling" (MicrosoftDocs/azure-docs,
// articles/iot-hub/iot-hub-devguide-quotas-throttling.md):
//   configurations and edge deployments (create, update, list, delete)  0.33/sec/unit (20/min/unit)
//   queries                                                               20/min/unit
//   identity registry operations (create, retrieve, list, update, delete) 100/min/unit
//   twin (device and module) reads                                        100/sec (flat on S1)
//   twin updates (device and module)                                      50/sec (flat on S1)
// Burst: the service applies throttles "in minute ranges" and, by traffic shaping, "accepts requests
// above the throttle for a limited time", so a bucket holds one period's allowance (20 × units
// configuration calls, 100 twin reads): an idle client may spend a whole minute's budget at once, and
// the sustained rate is the documented one. Where the hub would then queue requests for a while and
// finally answer 429 ThrottlingException, the sandbox answers 429 at once: stricter, so a client that
// stays within budget here stays within budget there. Retry-After is in sandbox seconds too, like every
// duration the sandbox hands out.
import type { Clock } from './clock.js';

export type ThrottleCategory =
  'configurations' | 'queries' | 'identityRegistry' | 'twinReads' | 'twinUpdates';

export interface BucketLimit {
  /** Sustained rate, in operations per sandbox second. */
  perSecond: number;
  /** Operations an idle client may send at once. */
  burst: number;
}

const MINUTE = 60;

/** The S1 limits for a hub of `units` units. */
export function s1Limits(units = 1): Record<ThrottleCategory, BucketLimit> {
  if (!(Number.isInteger(units) && units >= 1))
    throw new Error(`units must be a whole number ≥ 1, got ${units}`);
  const perMinute = (count: number): BucketLimit => ({ perSecond: count / MINUTE, burst: count });
  const perSecond = (count: number): BucketLimit => ({ perSecond: count, burst: count });
  return {
    configurations: perMinute(20 * units),
    queries: perMinute(20 * units),
    identityRegistry: perMinute(100 * units),
    twinReads: perSecond(100),
    twinUpdates: perSecond(50),
  };
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterMs: number };

/** A token bucket that refills continuously at `perSecond` up to `burst` tokens, starting full. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: BucketLimit,
    private readonly clock: Clock,
  ) {
    this.tokens = limit.burst;
    this.updatedAt = clock.now();
  }

  tryTake(): TakeResult {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: ((1 - this.tokens) / this.limit.perSecond) * 1000 };
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsedSeconds * this.limit.perSecond);
    this.updatedAt = now;
  }
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface HubThrottleOptions {
  clock: Clock;
  units?: number;
  /** False switches every limit off (for benchmarks of other things). Default true. */
  enabled?: boolean;
}

/** One bucket per category for one hub. */
export class HubThrottle {
  enabled: boolean;
  private readonly buckets: Record<ThrottleCategory, TokenBucket>;

  constructor(options: HubThrottleOptions) {
    this.enabled = options.enabled ?? true;
    const limits = s1Limits(options.units ?? 1);
    const bucket = (category: ThrottleCategory) => new TokenBucket(limits[category], options.clock);
    this.buckets = {
      configurations: bucket('configurations'),
      queries: bucket('queries'),
      identityRegistry: bucket('identityRegistry'),
      twinReads: bucket('twinReads'),
      twinUpdates: bucket('twinUpdates'),
    };
  }

  /** Spends one operation of `category`; when over the limit, says how long (sandbox seconds) to wait. */
  take(category: ThrottleCategory): ThrottleDecision {
    if (!this.enabled) return { allowed: true };
    const result = this.buckets[category].tryTake();
    if (result.allowed) return result;
    // Retry-After is whole seconds (rounded to the ms first, so float dust cannot add a second);
    // never 0, which would invite an immediate retry.
    const seconds = Math.ceil(Math.round(result.retryAfterMs) / 1000);
    return { allowed: false, retryAfterSeconds: Math.max(1, seconds) };
  }
}
