// How often a gate may poll the hub. IoT Hub throttles queries at 20/min/unit on S1 and S2 and
// 1000/min/unit on S3 (reference §1.11), each result page counting as one query. Other tools share the
// hub, so a rollout uses only part of it (half by default). Polling faster than the hub's state changes
// buys nothing either, so there is a floor. On 429 the delay backs off exponentially and never undercuts
// the service's Retry-After. Jitter is deterministic (seeded) so runs and tests are reproducible, and
// only ever lengthens a delay so the budget holds.

export type HubTier = 'S1' | 'S2' | 'S3';

export const QUERIES_PER_MINUTE_PER_UNIT: Readonly<Record<HubTier, number>> = { S1: 20, S2: 20, S3: 1000 };

export interface QueryBudget {
  /** Hub units (the `hub-units` input). */
  units: number;
  tier?: HubTier;
  /** Share of the hub's query budget this rollout may use; default 0.5. */
  share?: number;
}

export interface PollSchedule {
  intervalMs: number;
  maxDelayMs: number;
  /** Up to this fraction is added to each delay. */
  jitter: number;
  seed: string;
}

export const DEFAULT_BUDGET_SHARE = 0.5;
/** The hub's twin state moves with device reports; polling more often than this only burns budget. */
export const MIN_POLL_INTERVAL_MS = 15_000;
/** Backoff ceiling: one hub evaluation cycle. */
export const MAX_POLL_DELAY_MS = 5 * 60_000;
export const DEFAULT_JITTER = 0.1;

/** Queries per minute this rollout may spend. */
export function queriesPerMinute(budget: QueryBudget): number {
  const { units, tier = 'S1', share = DEFAULT_BUDGET_SHARE } = budget;
  if (!Number.isInteger(units) || units < 1)
    throw new RangeError(`hub units must be a whole number ≥ 1, got ${units}`);
  if (!(share > 0 && share <= 1)) throw new RangeError(`budget share must be in (0, 1], got ${share}`);
  return QUERIES_PER_MINUTE_PER_UNIT[tier] * units * share;
}

/** Queries (pages) one query costs when it returns `rows` rows: COUNT() queries cost 1. */
export function queryCost(rows: number, pageSize: number): number {
  return Math.max(1, Math.ceil(rows / pageSize));
}

/** The shortest interval between observations that costs `queriesPerObservation` each. */
export function minPollIntervalMs(budget: QueryBudget, queriesPerObservation: number): number {
  if (!(queriesPerObservation > 0))
    throw new RangeError(`queries per observation must be positive, got ${queriesPerObservation}`);
  const budgetMs = Math.ceil((60_000 * queriesPerObservation) / queriesPerMinute(budget));
  return Math.max(MIN_POLL_INTERVAL_MS, budgetMs);
}

export function pollSchedule(
  budget: QueryBudget,
  queriesPerObservation: number,
  options: { seed?: string; jitter?: number; maxDelayMs?: number } = {},
): PollSchedule {
  const intervalMs = minPollIntervalMs(budget, queriesPerObservation);
  return {
    intervalMs,
    maxDelayMs: Math.max(intervalMs, options.maxDelayMs ?? MAX_POLL_DELAY_MS),
    jitter: options.jitter ?? DEFAULT_JITTER,
    seed: options.seed ?? 'ml-to-iot-edge',
  };
}

/** A number in [0, 1) from the seed and the poll number (FNV-1a), the same on every run. */
export function jitterFraction(seed: string, poll: number): number {
  let hash = 0x811c9dc5;
  for (const ch of `${seed}:${poll}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x1_0000_0000;
}

export interface PollOutcome {
  /** Sequence number of the poll about to be scheduled (feeds the jitter). */
  poll: number;
  /** 429 answers in a row just before this delay; 0 after a successful poll. */
  throttledInARow: number;
  /** The last 429's Retry-After, in ms. */
  retryAfterMs?: number;
}

/** Milliseconds to wait before the next observation. */
export function nextPollDelay(schedule: PollSchedule, outcome: PollOutcome): number {
  const backoff = schedule.intervalMs * 2 ** Math.min(outcome.throttledInARow, 16);
  const base = Math.min(schedule.maxDelayMs, backoff);
  const jittered = Math.round(base * (1 + schedule.jitter * jitterFraction(schedule.seed, outcome.poll)));
  return outcome.throttledInARow > 0 ? Math.max(jittered, outcome.retryAfterMs ?? 0) : jittered;
}

/**
 * Retry-After in milliseconds: delay-seconds (`120`) or an HTTP date, relative to `nowMs`. Undefined
 * when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
