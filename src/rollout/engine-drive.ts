// Driving a release ring by ring: gate the current ring, then widen the same deployment's target to
// the next ring with one etag-checked update (content never changes, nothing is deleted), until the
// last ring passes (completed, then retention) or a gate fails (rollback). `start` stops after its
// ring passes (state held, waiting for a promote), `promote` widens once, `auto` goes to the end.
import { rollBack } from './engine-rollback.js';
import { retentionWithLiveCounts } from './engine-preflight.js';
import { readHubState } from './engine-hub-state.js';
import type { ReleaseHandle } from './engine-release.js';
import type { RolloutRun } from './engine-run.js';
import { watchRing } from './observe-ring.js';
import { plural } from './quantities.js';

/** Widens the release to the next ring: target rings 1..k+1, labels at ring k+1 in progress. */
export async function widen(run: RolloutRun, handle: ReleaseHandle): Promise<void> {
  const next = handle.state.ringIndex + 1;
  const now = run.now();
  await handle.write(
    {
      ...handle.state,
      state: 'in-progress',
      ringIndex: next,
      ringName: run.rings[next]!.name,
      ringStartedAt: now,
      updatedAt: now,
      lockOwner: run.options.runId,
    },
    run.condition(next),
  );
  run.track(handle);
  run.logger.info(
    `${handle.id} now targets rings 1..${next + 1} (${run.rings[next]!.name}): ${run.condition(next)}`,
  );
  await run.ringStarted(handle, next);
}

/**
 * Gates the release's current ring (in progress), widening at most `widenings` times after a pass.
 * Ends held (a ring passed, more to go), completed, or rolled back.
 */
export async function drive(run: RolloutRun, handle: ReleaseHandle, widenings: number): Promise<void> {
  for (let left = widenings; ; left--) {
    const index = handle.state.ringIndex;
    const ring = run.rings[index]!;
    const title = `Ring ${index + 1}/${run.rings.length}: ${ring.name}`;
    const outcome = await run.logger.group(title, () =>
      watchRing(run.deps, {
        ring,
        index,
        ringCount: run.rings.length,
        deploymentId: handle.id,
        condition: run.condition(index),
        moduleName: run.options.moduleName,
        ringStartedAt: handle.state.ringStartedAt,
        budget: run.budget(),
        ...(run.options.signal ? { signal: run.options.signal } : {}),
      }),
    );
    run.recordRing(outcome.report);
    if (outcome.verdict === 'fail') {
      const reason = `ring ${index + 1} (${ring.name}) failed its gate: ${outcome.result.reasons[0] ?? 'see the log'}`;
      run.logger.error(`${handle.id}: ${reason} Rolling back.`);
      // Reported before the rollback so the ring's status turns at the verdict, not minutes later.
      await run.ringFailed(handle, index, reason);
      const report = await run.logger.group(`Rollback of ${handle.id}`, () => rollBack(run, handle, reason));
      run.result.rollback = report;
      run.result.failure =
        `Release ${handle.id} was rolled back: ${reason}` +
        (report.fallbackId
          ? report.verified
            ? ` Every device is back on ${report.fallbackId}, reporting success.`
            : ` The return to ${report.fallbackId} is not verified: ${report.details.at(-1)}`
          : '');
      return;
    }
    await run.ringPassed(handle, index);
    if (index === run.rings.length - 1) return complete(run, handle);
    if (left <= 0) {
      await handle.write({ ...handle.state, state: 'held', updatedAt: run.now() });
      run.track(handle);
      run.note(
        `Ring ${index + 1} (${ring.name}) passed; ${handle.id} holds there until a promote widens it to ${run.rings[index + 1]!.name}.`,
      );
      return;
    }
    await widen(run, handle);
  }
}

/** The last ring passed: the release is completed, then old releases no device is on are deleted. */
export async function complete(run: RolloutRun, handle: ReleaseHandle): Promise<void> {
  await handle.write({ ...handle.state, state: 'completed', updatedAt: run.now() });
  run.track(handle);
  run.logger.info(`${handle.id} completed: every ring passed its gate.`);
  await applyRetention(run, handle.id);
}

/** Deletes what retention allows (never the fallback); a failure here does not undo the rollout. */
async function applyRetention(run: RolloutRun, releaseId: string): Promise<void> {
  try {
    const state = await readHubState(run.hub, run.app);
    const plan = await retentionWithLiveCounts(run.hub, {
      state,
      app: run.app,
      deploymentId: releaseId,
      ...(run.options.keepReleases === undefined ? {} : { keepReleases: run.options.keepReleases }),
      ...(run.options.maxDeployments === undefined ? {} : { maxDeployments: run.options.maxDeployments }),
    });
    await deleteReleases(
      run,
      plan.delete.map((d) => d.deploymentId),
    );
    const kept = plural(plan.keep.filter((k) => k.deploymentId !== releaseId).length, 'other release');
    const fallback = `fallback: ${plan.fallbackId ?? 'none'}`;
    const message =
      plan.delete.length > 0
        ? `Deleted ${plural(plan.delete.length, 'old release')} no device is on; kept ${kept} (${fallback}).`
        : `Nothing more to delete; kept ${kept} (${fallback}).`;
    // Deletions made before the start (to make room under the quota) stay in the report.
    const earlier = run.result.retention;
    run.result.retention = {
      deleted: [...(earlier?.deleted ?? []), ...plan.delete.map((d) => d.deploymentId)],
      message: earlier ? `${earlier.message} ${message}` : message,
    };
  } catch (error) {
    run.logger.warning(`Retention did not finish: ${(error as Error).message}`);
    run.note(
      `Retention did not finish (${(error as Error).message}); the next completed release tries again.`,
    );
  }
}

export async function deleteReleases(run: RolloutRun, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await run.hub.deleteDeployment(id);
    run.logger.info(`Retention: deleted ${id} (no device is on it).`);
  }
}
