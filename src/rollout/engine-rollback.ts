// Rollback: withdraw the release so the previous release (lower priority, still present) takes its
// devices back, then verify that they report under it.
//
// Choice: a rollback withdraws the release from every ring (NEVER_MATCHING_CONDITION), not only from
// the ring that failed. A failed gate is evidence against the release itself; keeping the rings that
// had passed on it would leave the fleet split across two releases under a release labelled
// "rolled-back". After a rollback no device is on the release, which is what its state says, and
// retention may later delete it. (Narrowing to the passed rings is one `promote`-like write away for
// anyone who wants it, since the content is still there.)
import { byPrecedence, type DeploymentInfo } from './deployments.js';
import { RolloutRefusedError } from './engine-errors.js';
import { countDevices, fallbackCandidates, readHubState, type HubState } from './engine-hub-state.js';
import { ReleaseHandle, readReleaseState } from './engine-release.js';
import type { RolloutRun } from './engine-run.js';
import type { RollbackReport } from './engine-types.js';
import { verifyRollback } from './observe-rollback.js';
import { formatDuration, plural } from './quantities.js';
import { isActive } from './state-labels.js';
import { allOf, anyOf, isNeverMatching, NEVER_MATCHING_CONDITION } from './target-condition.js';

/**
 * The deployment the release's devices go back to: the app's newest completed release below it,
 * else the highest standard deployment below it that targets anything (e.g. a hand-made base).
 */
export function chooseFallback(state: HubState, release: DeploymentInfo): DeploymentInfo | undefined {
  const below = fallbackCandidates(state.infos, release.id)
    .filter((info) => byPrecedence(release, info) < 0)
    .sort(byPrecedence);
  const completed = new Set(
    state.releases.filter(({ state: s }) => s.state === 'completed').map(({ deployment }) => deployment.id),
  );
  return below.find((info) => completed.has(info.id)) ?? below[0];
}

/** Withdraws the release, records it as rolled back, and verifies the devices' return. */
export async function rollBack(
  run: RolloutRun,
  handle: ReleaseHandle,
  reason: string,
): Promise<RollbackReport> {
  const startedAt = run.now();
  const state = await readHubState(run.hub, run.app);
  const release = state.infos.find((info) => info.id === handle.id) ?? {
    id: handle.id,
    priority: handle.deployment.priority,
    targetCondition: handle.deployment.targetCondition,
    createdTimeUtc: handle.deployment.createdTimeUtc,
  };
  const fallback = chooseFallback(state, release);
  const previousTarget = handle.deployment.targetCondition;
  const { devicesLeft, withoutFallback } = await devicesLeaving(run, state, previousTarget, handle.id);
  const targetedRings = isNeverMatching(previousTarget) ? 0 : handle.state.ringIndex + 1;

  if (!isNeverMatching(previousTarget) || handle.state.state !== 'rolled-back') {
    await handle.write(
      { ...handle.state, state: 'rolled-back', updatedAt: run.now() },
      NEVER_MATCHING_CONDITION,
    );
    run.track(handle);
  }
  run.logger.info(
    `Rolled back ${handle.id}: its target is withdrawn (${plural(devicesLeft, 'device')} leave it)` +
      (fallback ? `; ${fallback.id} takes them back.` : '; no earlier deployment targets them.'),
  );
  // Every ring the release targeted lost it (a ring whose gate failed was reported already).
  for (let index = 0; index < Math.min(targetedRings, run.rings.length); index++)
    await run.ringFailed(handle, index, `rolled back: ${reason}`);

  const ring = run.rings[Math.min(handle.state.ringIndex, run.rings.length - 1)]!;
  const verdict = await verifyRollback(run.deps, {
    deploymentId: handle.id,
    ...(fallback ? { fallback: { id: fallback.id, condition: fallback.targetCondition } } : {}),
    moduleName: run.options.moduleName,
    startedAt,
    timeoutMs: ring.gate.timeoutMs,
    budget: run.budget(),
    ...(run.options.signal ? { signal: run.options.signal } : {}),
  });
  const details: string[] = [];
  if (withoutFallback > 0) {
    details.push(
      `${plural(withoutFallback, 'device')} had no earlier deployment: IoT Hub never stops modules, so they keep running this release until another deployment targets them.`,
    );
  }
  if (verdict.verified && fallback) {
    details.push(
      `Verified in ${formatDuration(verdict.durationMs)}: no device has ${handle.id} applied; all ${verdict.check.fallbackApplied} devices on ${fallback.id} report success${verdict.check.fallbackOffline ? ` (${verdict.check.fallbackOffline} offline, excluded)` : ''}.`,
    );
  } else if (verdict.verified) {
    details.push(`Verified in ${formatDuration(verdict.durationMs)}: no device has ${handle.id} applied.`);
  } else {
    details.push(
      `Not verified within ${formatDuration(ring.gate.timeoutMs)}: ${verdict.missing.join('; ')}.`,
    );
  }
  return {
    reason,
    ...(fallback ? { fallbackId: fallback.id } : {}),
    devicesLeft,
    withoutFallback,
    onFallback: verdict.check.fallbackSucceeded,
    verified: verdict.verified,
    durationMs: verdict.durationMs,
    details,
  };
}

/** Devices the release targets now, and how many of them no other deployment targets. */
async function devicesLeaving(
  run: RolloutRun,
  state: HubState,
  target: string,
  releaseId: string,
): Promise<{ devicesLeft: number; withoutFallback: number }> {
  if (isNeverMatching(target)) return { devicesLeft: 0, withoutFallback: 0 };
  const devicesLeft = await countDevices(run.hub, target);
  const others = fallbackCandidates(state.infos, releaseId);
  const covered =
    others.length === 0 || devicesLeft === 0
      ? 0
      : await countDevices(run.hub, allOf([target, anyOf(others.map((o) => o.targetCondition))]));
  return { devicesLeft, withoutFallback: Math.max(0, devicesLeft - covered) };
}

/** The `rollback` command: the given release, or the app's active one. */
export async function rollbackCommand(run: RolloutRun): Promise<void> {
  const state = await readHubState(run.hub, run.app);
  const target = selectRelease(run, state, 'rollback');
  const handle = new ReleaseHandle(run.hub, target, readReleaseState(target, run.app));
  run.track(handle);
  run.markPassedEarlier(handle.state);
  if (handle.state.state === 'rolled-back')
    run.note(`${handle.id} was rolled back already; checking that its devices are back.`);
  const fallback = chooseFallback(
    state,
    state.infos.find((info) => info.id === handle.id)!,
  );
  if (!fallback && !run.options.force && !isNeverMatching(handle.deployment.targetCondition)) {
    throw new RolloutRefusedError(
      `No earlier deployment would take the devices of ${handle.id} back: withdrawing it would leave them running it anyway (IoT Hub never stops modules). Nothing was changed; set force: true to withdraw it regardless.`,
    );
  }
  const report = await rollBack(run, handle, `rollback requested by run ${run.options.runId}`);
  run.result.rollback = report;
  if (!report.verified)
    run.result.failure = `Rollback of ${handle.id} is not verified: ${report.details.at(-1)}`;
}

/** The release a promote, rollback or status works on: the given one, else the app's active one. */
export function selectRelease(run: RolloutRun, state: HubState, command: string) {
  if (run.options.release?.trim()) {
    const { deploymentId } = run.requireRelease();
    const found = state.deployments.find((d) => d.id === deploymentId);
    if (!found) {
      throw new RolloutRefusedError(
        `Release ${run.options.release} of app '${run.app}' (deployment ${deploymentId}) is not on ${run.hub.hostName}; nothing to ${command}.`,
      );
    }
    return found;
  }
  const active = state.releases.find(({ state: s }) => isActive(s));
  if (!active) {
    const known = state.releases.slice(0, 3).map(({ state: s }) => `${s.release} (${s.state})`);
    throw new RolloutRefusedError(
      `App '${run.app}' has no release in progress to ${command}: set the release input${known.length ? ` (latest: ${known.join(', ')})` : ''}.`,
    );
  }
  return state.deployments.find((d) => d.id === active.deployment.id)!;
}
