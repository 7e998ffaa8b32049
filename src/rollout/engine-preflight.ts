// Everything checked on the hub before a new release writes anything: the ring conditions (by the
// hub's own testQueries), how many devices each ring reaches, whether every device the rings reach
// has another deployment to fall back to, whether the image covers their architectures, the
// deployment quota (with what retention may delete) and the app's rollout lock. Every problem is
// collected so one run names them all. Cost: a fixed number of COUNT() queries, whatever the fleet
// size; only an architecture the image lacks makes it list device ids, to name the devices.
import { architectureCoverage } from './architectures.js';
import type { DeploymentInfo } from './deployments.js';
import { RolloutRefusedError } from './engine-errors.js';
import {
  countApplied,
  countDevices,
  deviceIds,
  fallbackCandidates,
  type HubState,
} from './engine-hub-state.js';
import { describeState } from './engine-release.js';
import type { HubClient } from './hub-client.js';
import { type Problem, RolloutInputError } from './problems.js';
import { plural } from './quantities.js';
import { architectureQuery, readArchitectureRows } from './queries.js';
import { planRetention, type RetentionPlan } from './retention.js';
import type { RingsConfig } from './rings.js';
import { findBlockingRollout, type ReleaseState } from './state-labels.js';
import { anyOf, allOf, cumulativeCondition, quote } from './target-condition.js';

const SAMPLE_SIZE = 3;

/** Every ring condition, each cumulative target and the app scope, checked by the hub's testQueries. */
export async function checkConditionsOnHub(hub: HubClient, rings: RingsConfig): Promise<void> {
  const checks = new Map<string, string>();
  if (rings.appScope) checks.set(rings.appScope, 'app-scope');
  rings.rings.forEach((ring, index) => {
    if (!checks.has(ring.condition)) checks.set(ring.condition, `rings[${index}] (${ring.name})`);
    const cumulative = cumulativeCondition(rings.rings, index + 1, rings.appScope);
    if (!checks.has(cumulative)) checks.set(cumulative, `rings 1..${index + 1} together`);
  });
  const problems: Problem[] = [];
  for (const [condition, path] of checks) {
    const { targetConditionError } = await hub.testQueries(condition);
    if (targetConditionError) {
      problems.push({
        path,
        message: `IoT Hub refuses the target condition ${condition}: ${targetConditionError}`,
        fix: 'correct the condition; IoT Hub accepts deviceId, tags.* and properties.reported.* with single-quoted values',
      });
    }
  }
  if (problems.length > 0) throw new RolloutInputError('rings', problems);
}

export interface NewReleaseCheck {
  hub: HubClient;
  state: HubState;
  app: string;
  deploymentId: string;
  rings: RingsConfig;
  runId: string;
  force: boolean;
  firstRelease: boolean;
  imagePlatforms?: readonly string[];
  keepReleases?: number;
  maxDeployments?: number;
}

export interface NewReleasePreflight {
  /** Devices each ring's cumulative target reaches now. */
  ringCounts: number[];
  retention: RetentionPlan;
  /** An active release of the app that `force` takes over from. */
  takeover?: ReleaseState;
  notes: string[];
}

/** The app's active release that another run holds, as a sentence that says how to proceed. */
export function blockingMessage(blocking: ReleaseState, deploymentId: string): string {
  const { state } = blocking;
  const same = blocking.deploymentId === deploymentId;
  const what = same
    ? `Release ${state.release} (${deploymentId}) is being rolled out by another run`
    : `Release ${state.release} of app '${state.app}' (${blocking.deploymentId}) is still rolling out`;
  return (
    `${what}: ${describeState(state)}${state.runUrl ? `, ${state.runUrl}` : ''}. ` +
    `Let it finish (promote it), roll it back (command: rollback, release: ${state.release}), ` +
    `or set force: true to take over${same ? '' : ` (${blocking.deploymentId} is then marked failed)`}.`
  );
}

export async function checkNewRelease(check: NewReleaseCheck): Promise<NewReleasePreflight> {
  const { hub, rings } = check;
  const reasons: string[] = [];
  const notes: string[] = [];

  const blocking = findBlockingRollout(
    check.state.releases.map(({ deployment, state }) => ({ deploymentId: deployment.id, state })),
    { app: check.app, deploymentId: check.deploymentId, runId: check.runId },
  );
  if (blocking && !check.force) reasons.push(blockingMessage(blocking, check.deploymentId));

  const ringCounts: number[] = [];
  for (let index = 0; index < rings.rings.length; index++) {
    const ring = rings.rings[index]!;
    const count = await countDevices(hub, cumulativeCondition(rings.rings, index + 1, rings.appScope));
    ringCounts.push(count);
    if (count < ring.gate.minDevices) {
      reasons.push(
        `Ring ${index + 1} (${ring.name}) would reach ${plural(count, 'edge device')} with the rings before it; its gate needs at least ${ring.gate.minDevices}. Check its target (${ring.condition}) and the devices' tags.`,
      );
    } else if (index > 0 && count === ringCounts[index - 1]) {
      notes.push(`Ring ${index + 1} (${ring.name}) adds no device to the rings before it.`);
    }
  }
  const everyRing = cumulativeCondition(rings.rings, rings.rings.length, rings.appScope);
  const total = ringCounts[ringCounts.length - 1] ?? 0;

  const fallbacks = fallbackCandidates(check.state.infos, check.deploymentId);
  const withoutFallback = await devicesWithoutFallback(hub, everyRing, total, fallbacks);
  if (withoutFallback > 0) {
    const text = `${plural(withoutFallback, 'device')} of the ${total} the rings reach ${withoutFallback === 1 ? 'has' : 'have'} no other deployment to fall back to`;
    if (check.firstRelease)
      notes.push(`${text} (first-release: a rollback leaves them running this release).`);
    else
      reasons.push(
        `${text}, so a rollback could not take ${withoutFallback === 1 ? 'it' : 'them'} back anywhere. Keep an earlier release (or a base deployment) targeting them, or set first-release: true for the app's first release.`,
      );
  }

  if (check.imagePlatforms)
    reasons.push(...(await architectureProblems(hub, everyRing, check.imagePlatforms)));

  const retention = await retentionWithLiveCounts(hub, check);
  if (!retention.quota.possible) {
    reasons.push(
      `The hub's deployment quota is full: ${retention.quota.message}. Delete deployments no device is on, or lower keep-releases.`,
    );
  }

  if (reasons.length > 0) {
    throw new RolloutRefusedError(
      `Release ${check.deploymentId} cannot start; nothing was written to the hub:`,
      reasons,
    );
  }
  return { ringCounts, retention, ...(blocking ? { takeover: blocking } : {}), notes };
}

/** Devices `condition` reaches that no other deployment targets (two COUNT() queries). */
async function devicesWithoutFallback(
  hub: HubClient,
  condition: string,
  total: number,
  fallbacks: readonly DeploymentInfo[],
): Promise<number> {
  if (total === 0) return 0;
  if (fallbacks.length === 0) return total;
  // Counted as a difference: NOT over undefined tags is undefined in the query language.
  const covered = await countDevices(hub, allOf([condition, anyOf(fallbacks.map((f) => f.targetCondition))]));
  return Math.max(0, total - covered);
}

/** Devices in the rings whose reported architecture the image lacks (named, with a few ids). */
async function architectureProblems(
  hub: HubClient,
  condition: string,
  platforms: readonly string[],
): Promise<string[]> {
  const coverage = architectureCoverage(
    readArchitectureRows(await hub.query(architectureQuery())),
    platforms,
  );
  if (coverage.missing.length === 0) return [];
  // Some edge device lacks its platform; only those in the rings matter (module twins have no tags).
  const inRings = new Set(
    await deviceIds(hub, `SELECT deviceId FROM devices WHERE capabilities.iotEdge = true AND (${condition})`),
  );
  const problems: string[] = [];
  for (const { architecture, platform } of coverage.missing) {
    const ids = (
      await deviceIds(
        hub,
        `SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND properties.reported.runtime.platform.architecture = ${quote(architecture)}`,
      )
    ).filter((id) => inRings.has(id));
    if (ids.length === 0) continue;
    problems.push(
      `${plural(ids.length, 'device')} in the rings ${ids.length === 1 ? 'reports' : 'report'} ${architecture} (e.g. ${ids.slice(0, SAMPLE_SIZE).join(', ')}), but the image has no ${platform} (platforms: ${platforms.join(', ')}). Build the image for ${platform} too, or leave those devices out of the rings.`,
    );
  }
  return problems;
}

/**
 * Retention as it would run before the release is created: candidates are found with every applied
 * count at 0, then only those are counted live (no device may be on a deployment that is deleted).
 */
export async function retentionWithLiveCounts(
  hub: HubClient,
  input: {
    state: HubState;
    app: string;
    deploymentId: string;
    keepReleases?: number;
    maxDeployments?: number;
  },
): Promise<RetentionPlan> {
  const base = {
    app: input.app,
    releaseId: input.deploymentId,
    deployments: input.state.infos,
    ...(input.keepReleases === undefined ? {} : { keep: input.keepReleases }),
    ...(input.maxDeployments === undefined ? {} : { maxDeployments: input.maxDeployments }),
  };
  const candidates = planRetention({
    ...base,
    appliedCounts: Object.fromEntries(input.state.infos.map((info) => [info.id, 0])),
  }).delete;
  const appliedCounts: Record<string, number> = {};
  for (const { deploymentId } of candidates)
    appliedCounts[deploymentId] = await countApplied(hub, deploymentId);
  return planRetention({ ...base, appliedCounts });
}
