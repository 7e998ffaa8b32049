// `start` and `auto`: create the release's deployment and roll it out, or — when it exists — continue
// from its labels (a re-run of a killed job resumes; it never recreates). Everything is checked before
// the first write: ring conditions on the hub, device counts, fallback, architectures, quota and the
// app's lock (engine-preflight.ts).
import {
  claimApp,
  createWithoutTarget,
  markTakenOver,
  previousRelease,
  type NewRelease,
} from './engine-claim.js';
import { deleteReleases, drive, widen } from './engine-drive.js';
import { RolloutRefusedError } from './engine-errors.js';
import { readHubState, type HubState } from './engine-hub-state.js';
import { blockingMessage, checkConditionsOnHub, checkNewRelease } from './engine-preflight.js';
import { describeState, ReleaseHandle, readReleaseState } from './engine-release.js';
import type { RolloutRun } from './engine-run.js';
import { nextPriority } from './release-id.js';
import { sameJson } from './sdk-configuration.js';
import { findBlockingRollout } from './state-labels.js';
import { isNeverMatching } from './target-condition.js';

export async function startCommand(run: RolloutRun, mode: 'start' | 'auto'): Promise<void> {
  const { release, deploymentId } = run.requireRelease();
  Object.assign(run.result, { release, deploymentId });
  await checkConditionsOnHub(run.hub, run.options.rings);
  const state = await readHubState(run.hub, run.app, deploymentId);
  const handle = state.own ? await resume(run, state) : await begin(run, state, release, deploymentId);
  if (!handle) return;
  if (handle.state.state === 'held') {
    if (mode === 'start') {
      run.note(
        `${handle.id} holds after ring ${handle.state.ringIndex + 1} (${handle.state.ringName}); promote continues it.`,
      );
      return;
    }
    await widen(run, handle);
  }
  await drive(run, handle, mode === 'auto' ? Number.POSITIVE_INFINITY : 0);
}

/** Refuses when the rings or the content differ from what the release was started with. */
export function checkSameRelease(run: RolloutRun, handle: ReleaseHandle): void {
  const { state, deployment } = handle;
  const target = deployment.targetCondition;
  const sameRings =
    state.ringCount === run.rings.length &&
    run.rings[state.ringIndex]?.name === state.ringName &&
    (isNeverMatching(target) || target === run.condition(state.ringIndex));
  if (!sameRings) {
    throw new RolloutRefusedError(
      `The rings changed since release ${handle.id} started: its labels say ring ${state.ringIndex + 1}/${state.ringCount} (${state.ringName}) targeting ${target}, ` +
        `but the rings input has ${run.rings.length} rings (${run.rings.map((r) => r.name).join(', ')}). Continue it with the rings it started with; nothing was changed.`,
    );
  }
  if (run.options.content && !sameJson(deployment.content, run.options.content)) {
    throw new RolloutRefusedError(
      `Release ${handle.id} exists with other content than this run's manifest (a different image or setting). ` +
        "A deployment's content cannot change: give this build a new release version. Nothing was changed.",
    );
  }
}

/** Picks up an existing release from its labels; undefined when there is nothing left to do. */
async function resume(run: RolloutRun, hubState: HubState): Promise<ReleaseHandle | undefined> {
  const own = hubState.own!;
  const handle = new ReleaseHandle(run.hub, own, readReleaseState(own, run.app));
  run.track(handle);
  run.markPassedEarlier(handle.state);
  const { state } = handle;
  if (state.state === 'completed') {
    run.note(`${handle.id} completed already; nothing to do.`);
    return undefined;
  }
  if (state.state === 'rolled-back' || state.state === 'failed') {
    throw new RolloutRefusedError(
      `Release ${handle.id} is ${state.state} (${describeState(state)}). Its content cannot change, so give the fix a new release version; nothing was changed.`,
    );
  }
  checkSameRelease(run, handle);
  const blocking = findBlockingRollout(
    hubState.releases.map(({ deployment, state: s }) => ({ deploymentId: deployment.id, state: s })),
    { app: run.app, deploymentId: handle.id, runId: run.options.runId },
  );
  if (blocking && !run.options.force) {
    throw new RolloutRefusedError(`Release ${handle.id} cannot continue; nothing was changed:`, [
      blockingMessage(blocking, handle.id),
    ]);
  }
  run.logger.info(`Resuming ${handle.id} from its labels: ${describeState(state)}.`);
  if (blocking && blocking.deploymentId !== handle.id)
    await markTakenOver(run.claimContext(), blocking, handle.id);
  if (state.lockOwner !== run.options.runId) {
    await handle.write({ ...state, lockOwner: run.options.runId, updatedAt: run.now() });
    run.note(
      `This run (${run.options.runId}) took ${handle.id} over from run ${state.lockOwner ?? '(none)'}.`,
    );
  }
  if (isNeverMatching(handle.deployment.targetCondition)) {
    // Stopped between creating the release and targeting ring 1: claim the app again, then target.
    const previous = previousRelease(hubState, handle.id);
    await claimApp(run.claimContext(), handle, previous ? { previous } : {});
    await targetFirstRing(run, handle);
  }
  return handle;
}

/** A new release: preflight, retention if the quota needs room, create, claim, target ring 1. */
async function begin(
  run: RolloutRun,
  hubState: HubState,
  release: string,
  deploymentId: string,
): Promise<ReleaseHandle> {
  const content = run.options.content;
  if (!content) {
    throw new RolloutRefusedError(
      `Release ${deploymentId} does not exist yet and this run has no deployment manifest to create it with.`,
    );
  }
  const preflight = await checkNewRelease({
    hub: run.hub,
    state: hubState,
    app: run.app,
    deploymentId,
    rings: run.options.rings,
    runId: run.options.runId,
    force: run.options.force ?? false,
    firstRelease: run.options.firstRelease ?? false,
    ...(run.options.imagePlatforms ? { imagePlatforms: run.options.imagePlatforms } : {}),
    ...(run.options.keepReleases === undefined ? {} : { keepReleases: run.options.keepReleases }),
    ...(run.options.maxDeployments === undefined ? {} : { maxDeployments: run.options.maxDeployments }),
  });
  preflight.notes.forEach((note) => run.note(note));
  const priority = nextPriority(hubState.releases.map(({ deployment }) => deployment.priority));
  run.logger.info(
    `Preflight passed: rings reach ${preflight.ringCounts.join(' → ')} devices; ${preflight.retention.quota.message}.`,
  );

  // The first write happens here.
  if (preflight.retention.quota.mustDelete > 0) {
    run.logger.info(`The deployment quota needs room: ${preflight.retention.quota.message}.`);
    await deleteReleases(
      run,
      preflight.retention.delete.map((d) => d.deploymentId),
    );
    run.result.retention = {
      deleted: preflight.retention.delete.map((d) => d.deploymentId),
      message: `Made room under the quota before creating the release (${preflight.retention.quota.message}; fallback ${preflight.retention.fallbackId ?? 'none'} kept).`,
    };
  }
  const previous = previousRelease(hubState, deploymentId);
  const newRelease: NewRelease = {
    deploymentId,
    priority,
    content,
    state: run.initialState(release),
    ...(previous ? { previous } : {}),
    ...(preflight.takeover ? { takeover: preflight.takeover } : {}),
  };
  const handle = await createWithoutTarget(run.claimContext(), newRelease);
  run.track(handle);
  await claimApp(run.claimContext(), handle, newRelease);
  await targetFirstRing(run, handle);
  run.logger.info(
    `Created ${deploymentId} at priority ${priority}; it targets ring 1 (${run.rings[0]!.name}): ${run.condition(0)}`,
  );
  return handle;
}

async function targetFirstRing(run: RolloutRun, handle: ReleaseHandle): Promise<void> {
  const now = run.now();
  await handle.write({ ...handle.state, ringStartedAt: now, updatedAt: now }, run.condition(0));
  run.track(handle);
  await run.ringStarted(handle, 0);
}
