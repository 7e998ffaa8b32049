// `promote`: move a release one ring further, e.g. from a later job behind a GitHub environment
// approval. A held release (its ring passed) is widened at once; one still in progress first finishes
// its current ring's gate. Either way the next ring is gated before the command ends (held again, or
// completed after the last ring; rolled back on a failed gate).
import { drive, widen } from './engine-drive.js';
import { RolloutRefusedError } from './engine-errors.js';
import { readHubState } from './engine-hub-state.js';
import { blockingMessage, checkConditionsOnHub } from './engine-preflight.js';
import { describeState, ReleaseHandle, readReleaseState } from './engine-release.js';
import { selectRelease } from './engine-rollback.js';
import type { RolloutRun } from './engine-run.js';
import { checkSameRelease } from './engine-start.js';
import { isNeverMatching } from './target-condition.js';

export async function promoteCommand(run: RolloutRun): Promise<void> {
  await checkConditionsOnHub(run.hub, run.options.rings);
  const hubState = await readHubState(run.hub, run.app);
  const deployment = selectRelease(run, hubState, 'promote');
  const handle = new ReleaseHandle(run.hub, deployment, readReleaseState(deployment, run.app));
  run.track(handle);
  run.markPassedEarlier(handle.state);
  const { state } = handle;
  if (state.state === 'completed') {
    run.note(`${handle.id} completed already: every ring is in; nothing to promote.`);
    return;
  }
  if (state.state === 'rolled-back' || state.state === 'failed') {
    throw new RolloutRefusedError(
      `Release ${handle.id} is ${state.state} (${describeState(state)}); it cannot be promoted. Nothing was changed.`,
    );
  }
  checkSameRelease(run, handle);
  if (isNeverMatching(deployment.targetCondition)) {
    throw new RolloutRefusedError(
      `Release ${handle.id} has not targeted any device yet (its start stopped early): run start or auto for it to continue. Nothing was changed.`,
    );
  }
  const drivenElsewhere =
    state.state === 'in-progress' && state.lockOwner !== undefined && state.lockOwner !== run.options.runId;
  if (drivenElsewhere && !run.options.force) {
    throw new RolloutRefusedError(`Release ${handle.id} cannot be promoted now; nothing was changed:`, [
      blockingMessage({ deploymentId: handle.id, state }, handle.id),
    ]);
  }
  if (state.state === 'held') {
    await widen(run, handle);
    await drive(run, handle, 0);
  } else {
    await drive(run, handle, 1);
  }
}
