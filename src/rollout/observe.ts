// What the gate sees: one observation is a fixed set of COUNT() queries run directly on the hub (the
// system-metric definitions and module health of queries.ts), never the hub's cached 5-minute
// counts, so its cost does not grow with the fleet. Samples of failed devices (TOP n) are only
// fetched when there is something to explain.
//
// Restarts: a crash-looping module spends most of its time in `backoff`, so restarts are counted
// whatever the module's status (the gate treats "restarted more than max-restarts" as a failure), and
// "not running" keeps only the modules that have not restarted too often. Both come from the
// queries of gateQueries with and without the running requirement:
//   exceeded (any status) − exceeded while running = exceeded while not running, which the
//   not-running count also holds and is taken out of it, so the two counts stay disjoint.
import type { DeviceIssue, GateObservation } from './gate.js';
import { statusCountQuery } from './engine-hub-state.js';
import type { HubClient } from './hub-client.js';
import {
  failedSamplesQuery,
  gateQueries,
  readCount,
  unhealthySamplesQuery,
  type GateQueryOptions,
} from './queries.js';

const SAMPLE_SIZE = 3;

export interface ObservationQueries {
  options: GateQueryOptions;
  counts: Record<string, string>;
}

/** The COUNT() queries of one observation of `deploymentId` while it targets `condition`. */
export function observationQueries(options: GateQueryOptions): ObservationQueries {
  const strict = gateQueries(options);
  const anyStatus = gateQueries({ ...options, requireRunning: false });
  const counts: Record<string, string> = {
    targeted: strict.targeted,
    applied: strict.applied,
    reportedSuccess: strict.reportedSuccess,
    reportedFailure: strict.reportedFailure,
    offline: strict.offline,
    overridden: statusCountQuery(options.deploymentId, 'Targeted'),
    restartsExceeded: anyStatus.restartsExceeded,
  };
  if (strict.unhealthy) {
    counts.notRunning = strict.unhealthy;
    counts.exceededWhileRunning = strict.restartsExceeded;
  }
  return { options, counts };
}

export function queriesPerObservation(queries: ObservationQueries): number {
  return Object.keys(queries.counts).length;
}

/** Runs the queries (one after the other, gentle on the throttle) and builds the gate's observation. */
export async function observe(hub: HubClient, queries: ObservationQueries): Promise<GateObservation> {
  const count: Record<string, number> = {};
  for (const [name, sql] of Object.entries(queries.counts)) count[name] = readCount(await hub.query(sql));
  const restartsExceeded = count.restartsExceeded!;
  const exceededWhileNotRunning = restartsExceeded - (count.exceededWhileRunning ?? restartsExceeded);
  return {
    targeted: count.targeted!,
    applied: count.applied!,
    reportedSuccess: count.reportedSuccess!,
    reportedFailure: count.reportedFailure!,
    unhealthy: Math.max(0, (count.notRunning ?? 0) - exceededWhileNotRunning),
    restartsExceeded,
    offline: count.offline!,
    overridden: count.overridden!,
  };
}

interface FailedRow {
  deviceId?: unknown;
  status?: { code?: unknown; description?: unknown };
}

interface UnhealthyRow {
  deviceId?: unknown;
  status?: unknown;
  restarts?: unknown;
  exitCode?: unknown;
}

/** A few devices that refused the release or whose model module is unhealthy, with edgeAgent's words. */
export async function failureSamples(
  hub: HubClient,
  queries: ObservationQueries,
  observation: GateObservation,
): Promise<DeviceIssue[]> {
  const issues: DeviceIssue[] = [];
  const { options } = queries;
  if (observation.reportedFailure > 0) {
    const rows = (await hub.query(failedSamplesQuery(options.deploymentId, SAMPLE_SIZE))) as FailedRow[];
    for (const row of rows) {
      const code = row.status?.code ?? '?';
      const description = typeof row.status?.description === 'string' ? `: ${row.status.description}` : '';
      issues.push({ deviceId: String(row.deviceId), reason: `edgeAgent answered ${code}${description}` });
    }
  }
  if (observation.unhealthy + observation.restartsExceeded > 0) {
    const sql = unhealthySamplesQuery({ ...options, requireRunning: true }, SAMPLE_SIZE);
    for (const row of (await hub.query(sql)) as UnhealthyRow[]) {
      const parts = [`model module ${typeof row.status === 'string' ? row.status : 'not reported'}`];
      if (typeof row.restarts === 'number') parts.push(`restarted ${row.restarts} times`);
      if (typeof row.exitCode === 'number' && row.exitCode !== 0) parts.push(`exit code ${row.exitCode}`);
      issues.push({ deviceId: String(row.deviceId), reason: parts.join(', ') });
    }
  }
  return issues;
}
