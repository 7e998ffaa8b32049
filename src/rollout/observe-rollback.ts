// Verifying a rollback (the documented procedure's last step, reference §1.13: "verify that the
// devices now report under the second deployment"). Each poll runs a few COUNT() queries:
//   - no device has the withdrawn release applied any more (the hub has re-evaluated), and
//   - every device the fallback is applied to — the ones that left among them — reports success
//     for the fallback's current desired version (offline devices are excluded, not failed), and
//     none reports failure.
// Both must hold at once; until then it polls within the query budget, up to a timeout.
import type { Logger } from '../logger.js';
import { sleepUnlessAborted } from './engine-errors.js';
import { countApplied } from './engine-hub-state.js';
import type { RolloutClock } from './engine-types.js';
import type { HubClient } from './hub-client.js';
import { formatDuration, plural } from './quantities.js';
import { nextPollDelay, pollSchedule, type QueryBudget } from './query-budget.js';
import { gateQueries, readCount } from './queries.js';

export interface RollbackWatch {
  deploymentId: string;
  /** The deployment the devices fall back to; without one only the withdrawal is checked. */
  fallback?: { id: string; condition: string };
  moduleName: string;
  startedAt: number;
  timeoutMs: number;
  budget: QueryBudget;
  signal?: AbortSignal;
}

export interface RollbackCheck {
  stillOnRelease: number;
  fallbackApplied: number;
  fallbackSucceeded: number;
  fallbackFailed: number;
  fallbackOffline: number;
}

export interface RollbackVerdict {
  verified: boolean;
  check: RollbackCheck;
  durationMs: number;
  /** Why it is not verified (when it is not). */
  missing: string[];
}

function fallbackQueries(watch: RollbackWatch): Record<string, string> {
  if (!watch.fallback) return {};
  const queries = gateQueries({
    deploymentId: watch.fallback.id,
    condition: watch.fallback.condition,
    moduleName: watch.moduleName,
    maxRestarts: 0,
    requireRunning: false,
  });
  return {
    fallbackApplied: queries.applied,
    fallbackSucceeded: queries.reportedSuccess,
    fallbackFailed: queries.reportedFailure,
    fallbackOffline: queries.offline,
  };
}

async function checkOnce(hub: HubClient, watch: RollbackWatch): Promise<RollbackCheck> {
  const check: RollbackCheck = {
    stillOnRelease: await countApplied(hub, watch.deploymentId),
    fallbackApplied: 0,
    fallbackSucceeded: 0,
    fallbackFailed: 0,
    fallbackOffline: 0,
  };
  for (const [name, sql] of Object.entries(fallbackQueries(watch))) {
    check[name as keyof RollbackCheck] = readCount(await hub.query(sql));
  }
  return check;
}

function missingParts(check: RollbackCheck, fallbackId: string | undefined): string[] {
  const missing: string[] = [];
  if (check.stillOnRelease > 0)
    missing.push(
      `${plural(check.stillOnRelease, 'device')} still on the release (the hub has not re-evaluated yet)`,
    );
  if (!fallbackId) return missing;
  const pending =
    check.fallbackApplied - check.fallbackSucceeded - check.fallbackFailed - check.fallbackOffline;
  if (pending > 0) missing.push(`${plural(pending, 'device')} on ${fallbackId} not reported yet`);
  if (check.fallbackFailed > 0)
    missing.push(`${plural(check.fallbackFailed, 'device')} on ${fallbackId} reporting failure`);
  return missing;
}

export async function verifyRollback(
  deps: { hub: HubClient; clock: RolloutClock; logger: Logger },
  watch: RollbackWatch,
): Promise<RollbackVerdict> {
  const { hub, clock, logger } = deps;
  const queries = 1 + Object.keys(fallbackQueries(watch)).length;
  const schedule = pollSchedule(watch.budget, queries, { seed: `${watch.deploymentId}:rollback` });
  for (let poll = 1; ; poll++) {
    const check = await checkOnce(hub, watch);
    const missing = missingParts(check, watch.fallback?.id);
    const elapsed = clock.now() - watch.startedAt;
    const where = watch.fallback
      ? `, on ${watch.fallback.id}: ${check.fallbackSucceeded}/${check.fallbackApplied} report success`
      : '';
    logger.info(
      `[rollback ${formatDuration(elapsed)}] on the release: ${check.stillOnRelease}${where}${check.fallbackOffline ? ` (${check.fallbackOffline} offline)` : ''}`,
    );
    if (missing.length === 0) return { verified: true, check, durationMs: elapsed, missing };
    if (elapsed >= watch.timeoutMs) return { verified: false, check, durationMs: elapsed, missing };
    await sleepUnlessAborted(
      clock,
      Math.min(nextPollDelay(schedule, { poll, throttledInARow: 0 }), Math.max(1, watch.timeoutMs - elapsed)),
      watch.signal,
      watch.deploymentId,
    );
  }
}
