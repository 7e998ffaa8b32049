// Watching one ring until its gate says pass or fail: observe, evaluate, log a progress line, sleep
// for the interval the query budget allows (longer after throttling), repeat. The soak and the
// timeout run on the rollout's clock from the time the ring started (kept in the labels, so a resumed
// run keeps the ring's timeout; the soak restarts, as nothing proves it held while no one watched).
import type { Logger } from '../logger.js';
import { evaluateGate, type GateObservation, type GateResult } from './gate.js';
import type { HubClient } from './hub-client.js';
import { sleepUnlessAborted, throwIfAborted } from './engine-errors.js';
import type { RingReport, RolloutClock } from './engine-types.js';
import { failureSamples, observe, observationQueries, queriesPerObservation } from './observe.js';
import { formatDuration } from './quantities.js';
import { sentences } from './report.js';
import { MAX_POLL_DELAY_MS, nextPollDelay, pollSchedule, type QueryBudget } from './query-budget.js';
import { RetriesExhaustedError } from './retry.js';
import type { Ring } from './rings.js';

export interface RingWatch {
  ring: Ring;
  index: number;
  ringCount: number;
  deploymentId: string;
  /** The release's target condition while this ring is in (rings 1..index+1). */
  condition: string;
  moduleName: string;
  ringStartedAt: number;
  budget: QueryBudget;
  signal?: AbortSignal;
}

export interface RingWatchDeps {
  hub: HubClient;
  clock: RolloutClock;
  logger: Logger;
}

export interface RingOutcome {
  verdict: 'pass' | 'fail';
  result: GateResult;
  report: RingReport;
}

function ringLabel(watch: RingWatch): string {
  return `${watch.ring.name} ${watch.index + 1}/${watch.ringCount}`;
}

function countsLine(observation: GateObservation): string {
  const parts = [
    `targeted ${observation.targeted}`,
    `applied ${observation.applied}`,
    `reported success ${observation.reportedSuccess}`,
    `failed ${observation.reportedFailure + observation.restartsExceeded}`,
    `unhealthy ${observation.unhealthy}`,
  ];
  if (observation.offline) parts.push(`offline ${observation.offline}`);
  if (observation.overridden) parts.push(`overridden ${observation.overridden}`);
  return parts.join(', ');
}

export function ringReport(
  watch: Pick<RingWatch, 'ring' | 'index' | 'condition'>,
  observation: GateObservation,
  result: GateResult,
  durationMs: number,
): RingReport {
  return {
    index: watch.index,
    name: watch.ring.name,
    condition: watch.condition,
    targeted: observation.targeted,
    applied: observation.applied,
    succeeded: result.counts.healthy,
    failed: result.counts.failed,
    unhealthy: observation.unhealthy,
    offline: observation.offline ?? 0,
    overridden: observation.overridden ?? 0,
    durationMs,
    verdict: result.verdict === 'wait' ? 'waiting' : result.verdict,
    reasons: result.reasons,
  };
}

/** Polls the ring's gate until it passes or fails. Throws RolloutAbortedError when `signal` fires. */
export async function watchRing(deps: RingWatchDeps, watch: RingWatch): Promise<RingOutcome> {
  const { hub, clock, logger } = deps;
  const queries = observationQueries({
    deploymentId: watch.deploymentId,
    condition: watch.condition,
    moduleName: watch.moduleName,
    maxRestarts: watch.ring.gate.health.maxRestarts,
    requireRunning: watch.ring.gate.health.requireRunning,
  });
  const schedule = pollSchedule(watch.budget, queriesPerObservation(queries), { seed: watch.deploymentId });
  logger.info(
    `Watching ring ${ringLabel(watch)} (${watch.condition}): a poll every ${formatDuration(schedule.intervalMs)} or more ` +
      `(${queriesPerObservation(queries)} queries each), soak ${formatDuration(watch.ring.gate.soakMs)}, timeout ${formatDuration(watch.ring.gate.timeoutMs)}`,
  );
  // The hub applies a change "shortly after" and devices report 20–60 s later: a ring that has just
  // started is first polled one interval in, which also leaves the query budget the checks before it spent.
  const sinceStart = clock.now() - watch.ringStartedAt;
  if (sinceStart < schedule.intervalMs) {
    await sleepUnlessAborted(clock, schedule.intervalMs - sinceStart, watch.signal, watch.deploymentId);
  }
  let soakStartedAt: number | undefined;
  let troubledInARow = 0;
  for (let poll = 1; ; poll++) {
    throwIfAborted(watch.signal, watch.deploymentId);
    const retriesBefore = hub.calls.retries;
    let observation: GateObservation;
    try {
      observation = await observe(hub, queries);
    } catch (error) {
      // The client already retried this call; the gate keeps its own timeout and simply polls later.
      if (!(error instanceof RetriesExhaustedError)) throw error;
      if (clock.now() - watch.ringStartedAt > watch.ring.gate.timeoutMs + MAX_POLL_DELAY_MS) throw error;
      troubledInARow++;
      logger.warning(`Ring ${ringLabel(watch)}: this poll failed (${error.message}); polling again later.`);
      await sleepUnlessAborted(
        clock,
        nextPollDelay(schedule, { poll, throttledInARow: troubledInARow }),
        watch.signal,
        watch.deploymentId,
      );
      continue;
    }
    // Retries inside the poll mean the hub is busy or throttling: space the next poll out.
    troubledInARow = hub.calls.retries > retriesBefore ? troubledInARow + 1 : 0;
    const timing = { ringStartedAt: watch.ringStartedAt, now: clock.now(), soakStartedAt };
    let result = evaluateGate(watch.ring.gate, observation, timing);
    if (result.verdict === 'fail') {
      observation = { ...observation, failureReasons: await failureSamples(hub, queries, observation) };
      result = evaluateGate(watch.ring.gate, observation, timing);
    }
    soakStartedAt = result.soakStartedAt;
    const elapsed = clock.now() - watch.ringStartedAt;
    logger.info(
      `[${ringLabel(watch)} ${formatDuration(elapsed)}] ${countsLine(observation)} → ${result.verdict}: ${sentences(result.reasons)}`,
    );
    if (result.verdict !== 'wait') {
      return { verdict: result.verdict, result, report: ringReport(watch, observation, result, elapsed) };
    }
    await sleepUnlessAborted(
      clock,
      nextPollDelay(schedule, { poll, throttledInARow: troubledInARow }),
      watch.signal,
      watch.deploymentId,
    );
  }
}
