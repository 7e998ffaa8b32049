// `status`: every release of the app with its lineage from the labels (release, commit, model
// version, run URL, ring, state), the selected release (given, or the active one) counted live, the
// others by the hub's cached 5-minute metric results. No writes.
import type { AppRelease } from './deployments.js';
import { RolloutRefusedError } from './engine-errors.js';
import { readHubState, type HubState } from './engine-hub-state.js';
import { ReleaseHandle, readReleaseState } from './engine-release.js';
import type { RolloutRun } from './engine-run.js';
import type { ReleaseLine, RingVerdict } from './engine-types.js';
import type { HubDeployment } from './hub-client.js';
import { observe, observationQueries } from './observe.js';
import { deploymentId as deploymentIdOf } from './release-id.js';
import { isActive, type RolloutState } from './state-labels.js';

function lineOf({ deployment, state }: AppRelease): ReleaseLine {
  return {
    deploymentId: deployment.id,
    release: state.release,
    priority: deployment.priority,
    state: state.state,
    ringName: state.ringName,
    ringNumber: state.ringIndex + 1,
    ringCount: state.ringCount,
    ...(state.commit ? { commit: state.commit } : {}),
    ...(state.modelName ? { modelName: state.modelName } : {}),
    ...(state.modelVersion ? { modelVersion: state.modelVersion } : {}),
    ...(state.runUrl ? { runUrl: state.runUrl } : {}),
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
  };
}

function cachedCounts(deployment: HubDeployment | undefined): ReleaseLine['counts'] {
  const results = deployment?.systemMetrics?.results;
  if (!results) return undefined;
  return {
    source: 'cached',
    targeted: results.targetedCount ?? 0,
    applied: results.appliedCount ?? 0,
    succeeded: results.reportedSuccessfulCount ?? 0,
    failed: results.reportedFailedCount ?? 0,
  };
}

function selected(run: RolloutRun, hubState: HubState): AppRelease | undefined {
  if (run.options.release?.trim()) {
    const id = deploymentIdOf(run.app, run.options.release);
    const found = hubState.releases.find(({ deployment }) => deployment.id === id);
    if (!found) {
      throw new RolloutRefusedError(
        `Release ${run.options.release} of app '${run.app}' (deployment ${id}) is not on ${run.hub.hostName}.`,
      );
    }
    return found;
  }
  return hubState.releases.find(({ state }) => isActive(state)) ?? hubState.releases[0];
}

function sameRings(run: RolloutRun, state: RolloutState): boolean {
  return state.ringCount === run.rings.length && run.rings[state.ringIndex]?.name === state.ringName;
}

/** The rings input differs from the release's: its rows come from the labels (the current ring by name). */
function useRingsOfLabels(run: RolloutRun, state: RolloutState): void {
  run.result.rings = Array.from({ length: state.ringCount }, (_, index) => ({
    index,
    name: index === state.ringIndex ? state.ringName : `ring ${index + 1}`,
    condition: '',
    verdict: 'not-reached' as const,
    reasons: [],
  }));
  run.note(
    `The rings input differs from the ${state.ringCount} rings ${state.release} was started with: the table shows the rings of its labels.`,
  );
}

const VERDICT_OF_STATE: Record<string, RingVerdict> = {
  'in-progress': 'waiting',
  held: 'passed-earlier',
  completed: 'passed-earlier',
  'rolled-back': 'fail',
  failed: 'fail',
};

export async function statusCommand(run: RolloutRun): Promise<void> {
  const hubState = await readHubState(run.hub, run.app);
  const byId = new Map(hubState.deployments.map((d) => [d.id, d]));
  const lines = hubState.releases.map((release) => ({
    ...lineOf(release),
    counts: cachedCounts(byId.get(release.deployment.id)),
  }));
  const chosen = selected(run, hubState);
  run.result.releases = lines;
  if (!chosen) {
    run.note(`App '${run.app}' has no release on ${run.hub.hostName}.`);
    return;
  }
  const deployment = byId.get(chosen.deployment.id)!;
  const handle = new ReleaseHandle(run.hub, deployment, readReleaseState(deployment, run.app));
  run.track(handle);
  if (!sameRings(run, handle.state)) useRingsOfLabels(run, handle.state);
  run.markPassedEarlier(handle.state);
  const observation = await observe(
    run.hub,
    observationQueries({
      deploymentId: deployment.id,
      condition: deployment.targetCondition,
      moduleName: run.options.moduleName,
      maxRestarts: run.rings[handle.state.ringIndex]?.gate.health.maxRestarts ?? 0,
      requireRunning: run.rings[handle.state.ringIndex]?.gate.health.requireRunning ?? true,
    }),
  );
  // Succeeded as the gate counts it: reported success with a healthy model module.
  const succeeded = Math.max(
    0,
    observation.reportedSuccess - observation.unhealthy - observation.restartsExceeded,
  );
  const line = lines.find((l) => l.deploymentId === deployment.id)!;
  line.counts = {
    source: 'live',
    targeted: observation.targeted,
    applied: observation.applied,
    succeeded,
    failed: observation.reportedFailure + observation.restartsExceeded,
  };
  const ring = run.result.rings[handle.state.ringIndex];
  if (ring) {
    Object.assign(ring, {
      condition: deployment.targetCondition,
      targeted: observation.targeted,
      applied: observation.applied,
      succeeded,
      failed: observation.reportedFailure + observation.restartsExceeded,
      unhealthy: observation.unhealthy,
      offline: observation.offline ?? 0,
      overridden: observation.overridden ?? 0,
      durationMs: run.now() - handle.state.ringStartedAt,
      verdict: VERDICT_OF_STATE[handle.state.state] ?? 'waiting',
      reasons: [`Live counts now (state ${handle.state.state}).`],
    });
  }
}
