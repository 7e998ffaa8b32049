// The hub as a rollout decision sees it: every deployment (one list call), the app's releases decoded
// from their labels, the release's own deployment if it exists, and a few COUNT() helpers.
import { isLayered } from '../edge/index.js';
import { type AppRelease, type DeploymentInfo, releasesOfApp } from './deployments.js';
import type { HubClient, HubDeployment } from './hub-client.js';
import { readCount } from './queries.js';
import { isNeverMatching } from './target-condition.js';

export interface HubState {
  deployments: HubDeployment[];
  infos: DeploymentInfo[];
  /** The app's releases (by their labels), highest on the priority ladder first. */
  releases: AppRelease[];
  /** The release's own deployment, when it exists already. */
  own?: HubDeployment;
}

export function deploymentInfo(deployment: HubDeployment): DeploymentInfo {
  return {
    id: deployment.id,
    priority: deployment.priority,
    targetCondition: deployment.targetCondition,
    createdTimeUtc: deployment.createdTimeUtc,
    labels: deployment.labels,
    layered: isLayered(deployment.content),
  };
}

export async function readHubState(hub: HubClient, app: string, deploymentId?: string): Promise<HubState> {
  const deployments = await hub.listDeployments();
  const infos = deployments.map(deploymentInfo);
  const own = deploymentId === undefined ? undefined : deployments.find((d) => d.id === deploymentId);
  return { deployments, infos, releases: releasesOfApp(infos, app), ...(own ? { own } : {}) };
}

/** Standard deployments other than `exceptId` that target anything: what devices can fall back to. */
export function fallbackCandidates(infos: readonly DeploymentInfo[], exceptId: string): DeploymentInfo[] {
  return infos.filter(
    (info) => info.id !== exceptId && !info.layered && !isNeverMatching(info.targetCondition),
  );
}

/** Edge devices a target condition matches now. */
export async function countDevices(hub: HubClient, condition: string): Promise<number> {
  return readCount(
    await hub.query(
      `SELECT COUNT() AS count FROM devices WHERE capabilities.iotEdge = true AND (${condition})`,
    ),
  );
}

/**
 * Edge devices by the status the hub gives `deploymentId` on their $edgeAgent: 'Applied' where it won,
 * 'Targeted' where a higher-priority deployment wins.
 */
export function statusCountQuery(deploymentId: string, status: 'Applied' | 'Targeted'): string {
  return `SELECT COUNT() AS count FROM devices.modules WHERE moduleId = '$edgeAgent' AND configurations.[[${deploymentId}]].status = '${status}'`;
}

/** Edge devices the deployment is applied to (it won there) now. */
export async function countApplied(hub: HubClient, deploymentId: string): Promise<number> {
  return readCount(await hub.query(statusCountQuery(deploymentId, 'Applied')));
}

/** Device ids a query returns (every page). */
export async function deviceIds(hub: HubClient, sql: string): Promise<string[]> {
  return (await hub.query(sql)).map((row) => String(row.deviceId));
}
