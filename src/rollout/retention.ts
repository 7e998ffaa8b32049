// Which earlier releases of the app to delete, and whether the 100-deployment quota leaves room for
// the new one. Rules: only this app's deployments (by their labels) are ever considered; the release
// being rolled out, releases above it, active ones and the current fallback (the newest completed
// release below the new one) are always kept; the last `keep` releases below the new one are kept as
// fallbacks; an older one is deleted only when no device is on it (deleting a deployment does not stop
// its modules, so a device still on it would be left with an orphaned configuration).
import { byPrecedence, type DeploymentInfo, MAX_DEPLOYMENTS, releasesOfApp } from './deployments.js';
import { isActive } from './state-labels.js';

export const DEFAULT_KEEP_RELEASES = 3;

export interface RetentionInput {
  app: string;
  /** The release being rolled out; it may not exist on the hub yet. */
  releaseId: string;
  /** Every deployment on the hub. */
  deployments: readonly DeploymentInfo[];
  /** Devices each deployment is applied to now; a release missing here is never deleted. */
  appliedCounts: Readonly<Record<string, number>>;
  keep?: number;
  maxDeployments?: number;
}

export interface RetentionDecision {
  deploymentId: string;
  release: string;
  reason: string;
}

export interface QuotaCheck {
  deployments: number;
  max: number;
  /** 1 when the release does not exist yet. */
  toCreate: number;
  /** Deployments that must go before the release can be created. */
  mustDelete: number;
  possible: boolean;
  /** When not possible with `keep`, the largest keep-releases that would make room, if any. */
  keepThatFits?: number;
  message: string;
}

export interface RetentionPlan {
  keep: RetentionDecision[];
  delete: RetentionDecision[];
  fallbackId?: string;
  quota: QuotaCheck;
}

export function planRetention(input: RetentionInput): RetentionPlan {
  const plan = decide(input);
  if (!plan.quota.possible) {
    const keep = input.keep ?? DEFAULT_KEEP_RELEASES;
    for (let smaller = keep - 1; smaller >= 0; smaller--) {
      if (decide({ ...input, keep: smaller }).quota.possible) {
        plan.quota.keepThatFits = smaller;
        plan.quota.message += `; keep-releases: ${smaller} would make room`;
        break;
      }
    }
  }
  return plan;
}

function decide(input: RetentionInput): RetentionPlan {
  const keepCount = input.keep ?? DEFAULT_KEEP_RELEASES;
  if (!Number.isInteger(keepCount) || keepCount < 0)
    throw new RangeError(`keep must be a whole number ≥ 0, got ${keepCount}`);
  const releases = releasesOfApp(input.deployments, input.app);
  const current = releases.find(({ deployment }) => deployment.id === input.releaseId);
  const isBelow = (deployment: DeploymentInfo) =>
    !current || byPrecedence(current.deployment, deployment) < 0;
  const below = releases.filter(({ deployment }) => deployment.id !== input.releaseId && isBelow(deployment));
  const fallback = below.find(({ state }) => state.state === 'completed');

  const keep: RetentionDecision[] = [];
  const remove: RetentionDecision[] = [];
  for (const { deployment, state } of releases) {
    const decision = (reason: string) => ({ deploymentId: deployment.id, release: state.release, reason });
    const rank = below.findIndex((entry) => entry.deployment.id === deployment.id);
    const applied = input.appliedCounts[deployment.id];
    if (deployment.id === input.releaseId) keep.push(decision('the release being rolled out'));
    else if (rank < 0) keep.push(decision('a newer release than the one being rolled out'));
    else if (deployment === fallback?.deployment) keep.push(decision('the current fallback'));
    else if (isActive(state)) keep.push(decision(`rollout ${state.state}`));
    else if (rank < keepCount) keep.push(decision(`one of the last ${keepCount} releases`));
    else if (applied === undefined) keep.push(decision('applied device count unknown'));
    else if (applied > 0) keep.push(decision(`still applied on ${applied} devices`));
    else remove.push(decision(`older than the last ${keepCount} releases and on no device`));
  }
  const quota = quotaCheck(input, current === undefined ? 1 : 0, remove.length);
  return { keep, delete: remove, ...(fallback ? { fallbackId: fallback.deployment.id } : {}), quota };
}

function quotaCheck(input: RetentionInput, toCreate: number, deletable: number): QuotaCheck {
  const max = input.maxDeployments ?? MAX_DEPLOYMENTS;
  const deployments = input.deployments.length;
  const mustDelete = Math.max(0, deployments + toCreate - max);
  const possible = deletable >= mustDelete;
  const message =
    mustDelete === 0
      ? `${deployments + toCreate - deletable} of ${max} deployments after retention`
      : possible
        ? `${mustDelete} deployments must be deleted to make room; retention deletes ${deletable}`
        : `${mustDelete} deployments must be deleted to make room, but retention may delete only ${deletable}`;
  return { deployments, max, toCreate, mustDelete, possible, message };
}
