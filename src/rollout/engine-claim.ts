// Creating a release and claiming the app's rollout, so that two runs starting at once cannot both
// roll out. The release is created targeting no device (NEVER_MATCHING_CONDITION), then it claims the
// app with an etag-checked write, and only then does it target ring 1:
//   - the same release twice: the second create fails with ConflictError, and the loser finds the
//     winner's lock owner in the labels;
//   - two releases of an app that has one already: both write `ml-to-iot-edge.next = <their id>`
//     onto the app's newest earlier release with the etag they read it with; the hub takes one write
//     and answers the other with 412 (PreconditionError), whose run then reads the winner's claim;
//   - an app's very first releases (nothing to write onto): after creating, each lists the app's
//     releases again, and the one created later (the hub's creation time, then the id) withdraws.
// A loser deletes its own deployment, which never targeted a device, and reports the refusal.
import { RolloutRefusedError } from './engine-errors.js';
import { readHubState, type HubState } from './engine-hub-state.js';
import { blockingMessage } from './engine-preflight.js';
import { ReleaseHandle, readReleaseState } from './engine-release.js';
import { ConflictError, type HubClient, type HubDeployment, PreconditionError } from './hub-client.js';
import type { Logger } from '../logger.js';
import {
  encodeLabels,
  isActive,
  LABEL_PREFIX,
  mergeLabels,
  type ReleaseState,
  type RolloutState,
} from './state-labels.js';
import { NEVER_MATCHING_CONDITION } from './target-condition.js';

/** The label a starting release writes onto the app's newest earlier release to claim the app. */
export const NEXT_RELEASE_LABEL = `${LABEL_PREFIX}next`;
const MAX_CLAIM_ATTEMPTS = 3;

export interface ClaimContext {
  hub: HubClient;
  logger: Logger;
  app: string;
  now(): number;
}

export interface NewRelease {
  deploymentId: string;
  priority: number;
  content: { modulesContent: Record<string, unknown> };
  state: RolloutState;
  /** The app's newest release other than this one, as read before creating (with its etag). */
  previous?: HubDeployment;
  /** An active release `force` takes over from: it is marked failed by the claim. */
  takeover?: ReleaseState;
}

/** The app's newest release other than `deploymentId`, as the hub returned it. */
export function previousRelease(state: HubState, deploymentId: string): HubDeployment | undefined {
  const previous = state.releases.find(({ deployment }) => deployment.id !== deploymentId);
  return previous && state.deployments.find((d) => d.id === previous.deployment.id);
}

/** Creates the release targeting no device. ConflictError → the other run's lock, as a refusal. */
export async function createWithoutTarget(
  context: ClaimContext,
  release: NewRelease,
): Promise<ReleaseHandle> {
  try {
    const created = await context.hub.createDeployment({
      id: release.deploymentId,
      labels: encodeLabels(release.state),
      content: release.content,
      targetCondition: NEVER_MATCHING_CONDITION,
      priority: release.priority,
    });
    return new ReleaseHandle(context.hub, created, release.state);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const existing = await context.hub.getDeployment(release.deploymentId);
    if (!existing) throw error;
    const state = readReleaseState(existing, context.app);
    if (state.lockOwner === release.state.lockOwner) return new ReleaseHandle(context.hub, existing, state);
    throw new RolloutRefusedError(
      `Another run created release ${release.deploymentId} at the same moment (${error.message}); nothing else was written.`,
      [blockingMessage({ deploymentId: release.deploymentId, state }, release.deploymentId)],
    );
  }
}

/**
 * Claims the app for `handle`'s release (see the file comment). On losing, deletes the release
 * (it never targeted a device) and throws RolloutRefusedError naming the winner.
 */
export async function claimApp(
  context: ClaimContext,
  handle: ReleaseHandle,
  release: Pick<NewRelease, 'previous' | 'takeover'>,
): Promise<void> {
  const rival = release.previous
    ? await claimOnPrevious(context, handle.id, release.previous, release.takeover)
    : await earlierFirstRelease(context, handle);
  if (!rival) return;
  await context.hub.deleteDeployment(handle.id);
  throw new RolloutRefusedError(
    `Another run claimed app '${context.app}' first; release ${handle.id} was withdrawn before it targeted any device.`,
    [blockingMessage(rival, handle.id)],
  );
}

/**
 * Writes NEXT_RELEASE_LABEL with the etag the release was read with before creating, so a claim
 * written meanwhile by another run makes this one fail with 412; returns the winning rival then.
 */
async function claimOnPrevious(
  context: ClaimContext,
  ownId: string,
  readBefore: HubDeployment,
  takeover: ReleaseState | undefined,
): Promise<ReleaseState | undefined> {
  let previous: HubDeployment | undefined = readBefore;
  for (let attempt = 1; previous; attempt++) {
    if (previous.labels[NEXT_RELEASE_LABEL] === ownId && takeover?.deploymentId !== previous.id)
      return undefined;
    try {
      await context.hub.updateDeployment(previous, {
        labels: claimLabels(context, previous, ownId, takeover),
      });
      if (takeover && takeover.deploymentId !== previous.id) await markTakenOver(context, takeover, ownId);
      return undefined;
    } catch (error) {
      if (!(error instanceof PreconditionError) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
      context.logger.info(
        `The app's previous release changed while claiming the app (${error.message}); reading it again.`,
      );
    }
    previous = await context.hub.getDeployment(previous.id);
    const rival = previous && (await activeClaim(context, previous, ownId));
    if (rival) return rival;
  }
  return undefined; // deleted meanwhile: nothing left to race on
}

function claimLabels(
  context: ClaimContext,
  previous: HubDeployment,
  ownId: string,
  takeover: ReleaseState | undefined,
): Record<string, string> {
  const labels =
    takeover?.deploymentId === previous.id
      ? mergeLabels(previous.labels, { ...takeover.state, state: 'failed', updatedAt: context.now() })
      : { ...previous.labels };
  return { ...labels, [NEXT_RELEASE_LABEL]: ownId };
}

/** `force`: the release taken over is marked failed, so it no longer holds the app. */
export async function markTakenOver(
  context: ClaimContext,
  takeover: ReleaseState,
  ownId: string,
): Promise<void> {
  const deployment = await context.hub.getDeployment(takeover.deploymentId);
  if (!deployment) return;
  const handle = new ReleaseHandle(context.hub, deployment, readReleaseState(deployment, context.app));
  await handle.write({ ...handle.state, state: 'failed', updatedAt: context.now() });
  context.logger.warning(`force: release ${takeover.deploymentId} was marked failed; ${ownId} takes over.`);
}

/** The release named by NEXT_RELEASE_LABEL when it is another release that still holds the app. */
async function activeClaim(
  context: ClaimContext,
  previous: HubDeployment,
  ownId: string,
): Promise<ReleaseState | undefined> {
  const claimed = previous.labels[NEXT_RELEASE_LABEL];
  if (!claimed || claimed === ownId) return undefined;
  const deployment = await context.hub.getDeployment(claimed);
  if (!deployment) return undefined; // a claim whose release is gone is stale
  const state = readReleaseState(deployment, context.app);
  return isActive(state) ? { deploymentId: claimed, state } : undefined;
}

/** With no earlier release to write on: the active release of the app created before ours, if any. */
async function earlierFirstRelease(
  context: ClaimContext,
  handle: ReleaseHandle,
): Promise<ReleaseState | undefined> {
  const { releases } = await readHubState(context.hub, context.app);
  const own = releases.find(({ deployment }) => deployment.id === handle.id)?.deployment;
  if (!own) return undefined;
  const earlier = releases.find(
    ({ deployment, state }) =>
      deployment.id !== handle.id && isActive(state) && createdBefore(deployment, own),
  );
  return earlier ? { deploymentId: earlier.deployment.id, state: earlier.state } : undefined;
}

function createdBefore(
  a: { createdTimeUtc: string; id: string },
  b: { createdTimeUtc: string; id: string },
): boolean {
  const at = Date.parse(a.createdTimeUtc);
  const bt = Date.parse(b.createdTimeUtc);
  return at < bt || (at === bt && a.id < b.id);
}
