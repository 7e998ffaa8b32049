// THE gate between rings: a pure function of what the hub reports for the release and of time.
//
// Counting:
// - reachable = targeted − offline − overridden. Offline devices (disconnected and not yet reported
//   for this release) are excluded, not failed (reference §10): a device that is switched off says
//   nothing about the release. Overridden devices (a higher-priority deployment wins) never receive
//   the release. Both are named in the reasons, so a ring that "passes" on few devices shows it.
// - healthy = reported success minus devices whose model module is not running (when the ring
//   requires it) and minus devices whose module restarted more than `max-restarts` times.
// - failed = reported failure (edgeAgent refused the manifest) plus restarts exceeded (a crash loop).
//   A module that is merely not running right now is not a failure, since it may be starting or in
//   one allowed restart; it only keeps the ring from passing, and a timeout then names it.
//
// Rules, in order:
// 1. fail when failed > max-failed-devices (a count is a fact; no sample needed);
// 2. fail when failed > max-failures × reachable, or when so many failed that min-success can no
//    longer be reached — both are certain whatever the remaining devices do;
// 3. fail when at least min-sample devices reported and failed / reported > max-failures (the early
//    abort of AWS IoT jobs: the share among those that reported estimates the ring's share);
// 4. pass when healthy ≥ ⌈min-success × reachable⌉ and reachable ≥ min-devices, and that has held
//    for the soak time (the soak starts when the threshold is first met and restarts if it is lost);
// 5. otherwise fail once the ring has run for its timeout (a soak already under way may finish), with
//    the reasons saying what was missing; else wait.
import type { GateConfig } from './rings.js';
import { DEFAULT_MIN_SAMPLE } from './rings.js';
import { formatDuration, formatPercent, plural } from './quantities.js';

export interface DeviceIssue {
  deviceId: string;
  reason: string;
}

export interface GateObservation {
  /** Devices the release's target condition matches (direct query, not the 5-minute cached count). */
  targeted: number;
  /** Targeted devices the hub applied the release to. */
  applied: number;
  reportedSuccess: number;
  reportedFailure: number;
  /** Devices that reported success but whose model module is not `running` now. */
  unhealthy: number;
  /** Devices that reported success, whose module is running but restarted more than `max-restarts` times. */
  restartsExceeded: number;
  /** Targeted devices that are disconnected and have not reported for this release. */
  offline?: number;
  /** Targeted devices on which a higher-priority deployment wins. */
  overridden?: number;
  /** A few failed or unhealthy devices with the reason, for the log. */
  failureReasons?: readonly DeviceIssue[];
}

export interface GateTiming {
  /** Epoch ms when the ring's target was applied. */
  ringStartedAt: number;
  now: number;
  /** Epoch ms when the success threshold was first met and has held since; from the previous result. */
  soakStartedAt?: number;
}

export type GateVerdict = 'pass' | 'fail' | 'wait';

export interface GateCounts {
  reachable: number;
  required: number;
  healthy: number;
  failed: number;
  reported: number;
  sample: number;
}

export interface GateResult {
  verdict: GateVerdict;
  /** Human sentences for the log and the job summary, most important first. */
  reasons: string[];
  /** Pass back in the next timing while waiting; undefined when the threshold is not met. */
  soakStartedAt?: number;
  counts: GateCounts;
}

const MAX_SAMPLES_SHOWN = 3;

function countsOf(gate: GateConfig, observation: GateObservation): GateCounts {
  const reachable = Math.max(
    0,
    observation.targeted - (observation.offline ?? 0) - (observation.overridden ?? 0),
  );
  const notRunning = gate.health.requireRunning ? observation.unhealthy : 0;
  const reported = observation.reportedSuccess + observation.reportedFailure;
  return {
    reachable,
    // The epsilon keeps 0.95 × 20 at 19, not 19.000000000000004 → 20.
    required: Math.ceil(gate.minSuccess * reachable - 1e-9),
    healthy: Math.max(0, observation.reportedSuccess - notRunning - observation.restartsExceeded),
    failed: observation.reportedFailure + observation.restartsExceeded,
    reported,
    sample: Math.min(gate.minSample ?? DEFAULT_MIN_SAMPLE, reachable),
  };
}

function failureBreakdown(gate: GateConfig, observation: GateObservation): string {
  const parts: string[] = [];
  if (observation.reportedFailure > 0)
    parts.push(`${plural(observation.reportedFailure, 'device')} refused the deployment`);
  if (observation.restartsExceeded > 0) {
    parts.push(
      `the model module restarted more than ${plural(gate.health.maxRestarts, 'time')} on ${plural(observation.restartsExceeded, 'device')}`,
    );
  }
  return parts.join(' and ');
}

function samples(observation: GateObservation): string[] {
  const shown = (observation.failureReasons ?? []).slice(0, MAX_SAMPLES_SHOWN);
  return shown.map(({ deviceId, reason }) => `${deviceId}: ${reason}`);
}

function failureReason(
  gate: GateConfig,
  observation: GateObservation,
  counts: GateCounts,
): string | undefined {
  const { failed, reachable, required, reported, sample } = counts;
  if (failed === 0) return undefined;
  const what = `${plural(failed, 'device')} failed (${failureBreakdown(gate, observation)})`;
  if (gate.maxFailedDevices !== undefined && failed > gate.maxFailedDevices) {
    return `${what}; at most ${gate.maxFailedDevices} may fail.`;
  }
  const allowedOfRing = Math.floor(gate.maxFailures * reachable + 1e-9);
  if (failed > allowedOfRing) {
    return `${what}; at most ${allowedOfRing} of the ${reachable} reachable devices (${formatPercent(gate.maxFailures)}) may fail.`;
  }
  if (reachable - failed < required) {
    return `${what}; ${formatPercent(gate.minSuccess)} success (${required} of ${reachable}) can no longer be reached.`;
  }
  if (sample > 0 && reported >= sample && failed / reported > gate.maxFailures + 1e-9) {
    return `${what} out of ${reported} that reported (${formatPercent(failed / reported)}), more than the ${formatPercent(gate.maxFailures)} allowed.`;
  }
  return undefined;
}

/** What still keeps the ring from its success threshold, as sentences. */
function missing(gate: GateConfig, observation: GateObservation, counts: GateCounts): string[] {
  const { reachable, required, healthy, reported } = counts;
  const reasons: string[] = [];
  if (reachable < gate.minDevices) {
    reasons.push(`The ring reaches ${plural(reachable, 'device')}; it needs at least ${gate.minDevices}.`);
  }
  if (healthy < required || reachable === 0) {
    const notRunning = gate.health.requireRunning ? observation.unhealthy : 0;
    const detail =
      notRunning > 0
        ? ` (${observation.reportedSuccess} reported success, ${notRunning} with the model module not running)`
        : '';
    const noun = notRunning > 0 ? 'devices are healthy' : 'devices reported success';
    reasons.push(
      `${healthy}/${reachable} ${noun}${detail}; need ${required} (${formatPercent(gate.minSuccess)}).`,
    );
  }
  const pending = reachable - reported;
  if (pending > 0)
    reasons.push(`${plural(pending, 'device')} ${pending === 1 ? 'has' : 'have'} not reported yet.`);
  const notApplied = observation.targeted - (observation.overridden ?? 0) - observation.applied;
  if (notApplied > 0)
    reasons.push(`The hub has not applied the release to ${plural(notApplied, 'targeted device')} yet.`);
  return reasons;
}

function exclusions(observation: GateObservation): string[] {
  const reasons: string[] = [];
  if (observation.offline) reasons.push(`${plural(observation.offline, 'offline device')} excluded.`);
  if (observation.overridden)
    reasons.push(
      `${plural(observation.overridden, 'device')} excluded: a higher-priority deployment wins there.`,
    );
  return reasons;
}

export function evaluateGate(gate: GateConfig, observation: GateObservation, timing: GateTiming): GateResult {
  const counts = countsOf(gate, observation);
  const context = [...exclusions(observation), ...samples(observation)];

  const failure = failureReason(gate, observation, counts);
  if (failure) return { verdict: 'fail', reasons: [failure, ...context], counts };

  const met =
    counts.reachable >= gate.minDevices && counts.reachable > 0 && counts.healthy >= counts.required;
  if (met) {
    const soakStartedAt = timing.soakStartedAt ?? timing.now;
    const soaked = timing.now - soakStartedAt;
    const status = `${counts.healthy}/${counts.reachable} devices healthy (need ${counts.required}, ${formatPercent(gate.minSuccess)})`;
    if (soaked >= gate.soakMs) {
      return {
        verdict: 'pass',
        reasons: [`${status}, held for the ${formatDuration(gate.soakMs)} soak.`, ...context],
        soakStartedAt,
        counts,
      };
    }
    const left = `soaking, ${formatDuration(gate.soakMs - soaked)} of ${formatDuration(gate.soakMs)} left.`;
    return { verdict: 'wait', reasons: [`${status}; ${left}`, ...context], soakStartedAt, counts };
  }

  const reasons = missing(gate, observation, counts);
  const elapsed = timing.now - timing.ringStartedAt;
  if (elapsed >= gate.timeoutMs) {
    const [first = 'The success threshold was not met.', ...rest] = reasons;
    return {
      verdict: 'fail',
      reasons: [`Timed out after ${formatDuration(gate.timeoutMs)}: ${first}`, ...rest, ...context],
      counts,
    };
  }
  reasons.push(`${formatDuration(gate.timeoutMs - elapsed)} left before the ring times out.`);
  return { verdict: 'wait', reasons: [...reasons, ...context], counts };
}

export interface ModuleHealthRow {
  deviceId: string;
  /** The model module's `runtimeStatus` from `$edgeAgent` (running, stopped, failed, backoff, unhealthy). */
  status?: string;
  restarts?: number;
}

export interface ModuleHealthSummary {
  unhealthy: number;
  restartsExceeded: number;
  issues: DeviceIssue[];
}

/**
 * Turns per-device module health rows (of devices that reported success) into the gate's disjoint
 * counts: not running, else running but restarted more than `maxRestarts` times since `baseline`
 * (restart counts when the ring started; 0 when absent, as the release's new module starts at 0).
 */
export function summariseModuleHealth(
  rows: readonly ModuleHealthRow[],
  health: GateConfig['health'],
  baseline: ReadonlyMap<string, number> = new Map(),
): ModuleHealthSummary {
  const summary: ModuleHealthSummary = { unhealthy: 0, restartsExceeded: 0, issues: [] };
  for (const row of rows) {
    const restarts = Math.max(0, (row.restarts ?? 0) - (baseline.get(row.deviceId) ?? 0));
    if (health.requireRunning && row.status !== 'running') {
      summary.unhealthy++;
      summary.issues.push({ deviceId: row.deviceId, reason: `model module ${row.status ?? 'not reported'}` });
    } else if (restarts > health.maxRestarts) {
      summary.restartsExceeded++;
      summary.issues.push({
        deviceId: row.deviceId,
        reason: `model module restarted ${plural(restarts, 'time')}`,
      });
    }
  }
  return summary;
}
