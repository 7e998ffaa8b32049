// Deployments as the plan and retention see them, and the hub's rule for which one a device gets:
// the highest priority wins, on a tie the most recently created (reference §1.6). Layered
// deployments add to the winner rather than replace it, so they never win.
import { decodeLabels, type RolloutState } from './state-labels.js';

/** Deployments (layered ones included) a basic or standard hub holds (reference §1.11). */
export const MAX_DEPLOYMENTS = 100;

export interface DeploymentInfo {
  id: string;
  priority: number;
  targetCondition: string;
  /** ISO time, as the hub returns it. */
  createdTimeUtc: string;
  labels?: Readonly<Record<string, string>>;
  layered?: boolean;
}

function createdAt(deployment: DeploymentInfo): number {
  const time = Date.parse(deployment.createdTimeUtc);
  return Number.isNaN(time) ? 0 : time;
}

/** Orders deployments from the one that wins a device to the one that loses (sort comparator). */
export function byPrecedence(a: DeploymentInfo, b: DeploymentInfo): number {
  // The id only breaks exact ties so that results never depend on input order.
  return b.priority - a.priority || createdAt(b) - createdAt(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The standard deployment among `candidates` that a device they all target ends up with. */
export function winningDeployment<T extends DeploymentInfo>(candidates: Iterable<T>): T | undefined {
  let best: T | undefined;
  for (const candidate of candidates) {
    if (candidate.layered) continue;
    if (best === undefined || byPrecedence(candidate, best) < 0) best = candidate;
  }
  return best;
}

export interface AppRelease {
  deployment: DeploymentInfo;
  state: RolloutState;
}

/** The deployments this tool made for `app` (by their labels), highest on the ladder first. */
export function releasesOfApp(deployments: readonly DeploymentInfo[], app: string): AppRelease[] {
  const releases: AppRelease[] = [];
  for (const deployment of deployments) {
    const read = decodeLabels(deployment.labels);
    if (read.kind === 'rollout' && read.state.app === app) releases.push({ deployment, state: read.state });
  }
  return releases.sort((a, b) => byPrecedence(a.deployment, b.deployment));
}
