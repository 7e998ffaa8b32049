// The exact IoT Hub query strings a rollout runs. The gate uses COUNT() forms: each costs one query
// and returns one row whatever the fleet size, so hub calls per poll do not grow with the fleet,
// whereas `select deviceId` lists cost one query per result page. Lists are only used for a few
// samples (TOP n) to explain failures, and for the one-off plan.
//
// Success and failure are the hub's own system-metric definitions (reference §1.9): on the $edgeAgent
// module twin, the deployment is Applied, edgeAgent has reported the current desired version, and the
// reported status code is 200 (or not). Module health reads `modules.<name>.runtimeStatus` and
// `restartCount` reported by $edgeAgent (§1.10). Restarts are counted from the module's own counter:
// a release changes the module's image, so edgeAgent recreates the module and its count restarts at 0.
import type { ArchitectureCount } from './architectures.js';

const EDGE_AGENT = "moduleId = '$edgeAgent'";
const CURRENT_VERSION = 'properties.desired.$version = properties.reported.lastDesiredVersion';
const NOT_CURRENT_VERSION =
  '(NOT IS_DEFINED(properties.reported.lastDesiredVersion) OR properties.desired.$version != properties.reported.lastDesiredVersion)';

function applied(deploymentId: string): string {
  return `configurations.[[${deploymentId}]].status = 'Applied'`;
}

/** A module name as a path segment: `[[name]]` when it is not a plain identifier (e.g. has a dash). */
function moduleSegment(moduleName: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName) ? moduleName : `[[${moduleName}]]`;
}

function modulePath(moduleName: string, property: string): string {
  return `properties.reported.modules.${moduleSegment(moduleName)}.${property}`;
}

/** The hub's system-metric queries for a deployment, exactly as the service writes them (§1.9). */
export function systemMetricQueries(deploymentId: string): {
  appliedCount: string;
  reportedSuccessfulCount: string;
  reportedFailedCount: string;
} {
  const appliedQuery = `select deviceId from devices.modules where moduleId = '$edgeAgent' and ${applied(deploymentId)}`;
  const current = `${appliedQuery} and properties.desired.$version = properties.reported.lastDesiredVersion`;
  return {
    appliedCount: appliedQuery,
    reportedSuccessfulCount: `${current} and properties.reported.lastDesiredStatus.code = 200`,
    reportedFailedCount: `${current} and properties.reported.lastDesiredStatus.code != 200`,
  };
}

/** The devices a target condition reaches, as the hub's targetedCount evaluates it. */
export function targetedQuery(condition: string): string {
  return `select deviceId from devices where capabilities.iotEdge = true and (${condition})`;
}

export interface GateQueryOptions {
  deploymentId: string;
  /** The release's current target condition. */
  condition: string;
  moduleName: string;
  maxRestarts: number;
  requireRunning: boolean;
}

/** One COUNT() query per gate observation field; the row is `{ count: n }`. */
export interface GateQueries {
  targeted: string;
  applied: string;
  reportedSuccess: string;
  reportedFailure: string;
  unhealthy?: string;
  restartsExceeded: string;
  offline: string;
}

function countModules(where: string): string {
  return `SELECT COUNT() AS count FROM devices.modules WHERE ${where}`;
}

function successWhere(deploymentId: string): string {
  return `${EDGE_AGENT} AND ${applied(deploymentId)} AND ${CURRENT_VERSION} AND properties.reported.lastDesiredStatus.code = 200`;
}

function failureWhere(deploymentId: string): string {
  return `${EDGE_AGENT} AND ${applied(deploymentId)} AND ${CURRENT_VERSION} AND properties.reported.lastDesiredStatus.code != 200`;
}

function notRunning(moduleName: string): string {
  const status = modulePath(moduleName, 'runtimeStatus');
  return `(NOT IS_DEFINED(${status}) OR ${status} != 'running')`;
}

function tooManyRestarts(options: GateQueryOptions): string {
  const running = options.requireRunning
    ? `${modulePath(options.moduleName, 'runtimeStatus')} = 'running' AND `
    : '';
  return `${running}${modulePath(options.moduleName, 'restartCount')} > ${options.maxRestarts}`;
}

/**
 * The gate's queries: 6 COUNT() queries per observation (7 with the running check). `unhealthy`
 * and `restartsExceeded` are disjoint, as the gate expects: restarts are only counted on running modules.
 */
export function gateQueries(options: GateQueryOptions): GateQueries {
  const { deploymentId, condition } = options;
  const success = successWhere(deploymentId);
  const queries: GateQueries = {
    targeted: `SELECT COUNT() AS count FROM devices WHERE capabilities.iotEdge = true AND (${condition})`,
    applied: countModules(`${EDGE_AGENT} AND ${applied(deploymentId)}`),
    reportedSuccess: countModules(success),
    reportedFailure: countModules(failureWhere(deploymentId)),
    restartsExceeded: countModules(`${success} AND ${tooManyRestarts(options)}`),
    // Connection state of the $edgeAgent module twin: the agent is the device's runtime.
    offline: countModules(
      `${EDGE_AGENT} AND ${applied(deploymentId)} AND connectionState = 'Disconnected' AND ${NOT_CURRENT_VERSION}`,
    ),
  };
  if (options.requireRunning)
    queries.unhealthy = countModules(`${success} AND ${notRunning(options.moduleName)}`);
  return queries;
}

/** Queries one observation costs. */
export function gateQueryCount(queries: GateQueries): number {
  return Object.values(queries).filter((query) => query !== undefined).length;
}

/** A few devices that refused the deployment, with edgeAgent's status (code and description). */
export function failedSamplesQuery(deploymentId: string, limit: number): string {
  return `SELECT TOP ${limit} deviceId, properties.reported.lastDesiredStatus AS status FROM devices.modules WHERE ${failureWhere(deploymentId)}`;
}

/** A few devices whose model module is not running or restarts too often, with its exit code. */
export function unhealthySamplesQuery(options: GateQueryOptions, limit: number): string {
  const m = (property: string) => modulePath(options.moduleName, property);
  const bad = options.requireRunning
    ? `(${notRunning(options.moduleName)} OR ${tooManyRestarts(options)})`
    : tooManyRestarts(options);
  return (
    `SELECT TOP ${limit} deviceId, ${m('runtimeStatus')} AS status, ${m('restartCount')} AS restarts, ` +
    `${m('exitCode')} AS exitCode FROM devices.modules WHERE ${successWhere(options.deploymentId)} AND ${bad}`
  );
}

/** Module health of every device the deployment is applied to (paged; for per-device restart baselines). */
export function moduleHealthQuery(deploymentId: string, moduleName: string): string {
  const m = (property: string) => modulePath(moduleName, property);
  return (
    `SELECT deviceId, ${m('runtimeStatus')} AS status, ${m('restartCount')} AS restarts ` +
    `FROM devices.modules WHERE ${EDGE_AGENT} AND ${applied(deploymentId)}`
  );
}

const ARCHITECTURE = 'properties.reported.runtime.platform.architecture';

/**
 * Edge devices per reported architecture, one row per architecture. Module twins carry no device
 * tags, so this counts every edge device, or those a deployment is applied to when `deploymentId` is
 * given; the plan's per-ring coverage joins device lists instead (edgeAgentArchitecturesQuery).
 */
export function architectureQuery(deploymentId?: string): string {
  const where = deploymentId === undefined ? EDGE_AGENT : `${EDGE_AGENT} AND ${applied(deploymentId)}`;
  return `SELECT ${ARCHITECTURE} AS architecture, COUNT() AS devices FROM devices.modules WHERE ${where} GROUP BY ${ARCHITECTURE}`;
}

/** deviceId and architecture of every edge device (paged), for the plan. */
export function edgeAgentArchitecturesQuery(): string {
  return `SELECT deviceId, ${ARCHITECTURE} AS architecture FROM devices.modules WHERE ${EDGE_AGENT}`;
}

/** Edge devices with `tags` (and `reported` properties when a ring condition uses them), for the plan. */
export function edgeDevicesQuery(options: { reported?: boolean } = {}): string {
  return `SELECT deviceId, tags${options.reported ? ', properties.reported AS reported' : ''} FROM devices WHERE capabilities.iotEdge = true`;
}

/** The number in a COUNT() answer; an empty answer is 0. */
export function readCount(rows: readonly unknown[]): number {
  const row = rows[0];
  if (row === undefined) return 0;
  const value =
    typeof row === 'number'
      ? row
      : Object.values(row as Record<string, unknown>).find((v) => typeof v === 'number');
  if (typeof value !== 'number') throw new Error(`expected a COUNT() row, got ${JSON.stringify(row)}`);
  return value;
}

/** Rows of architectureQuery as counts; a missing architecture stays undefined. */
export function readArchitectureRows(rows: readonly unknown[]): ArchitectureCount[] {
  return rows.map((row) => {
    const { architecture, devices } = row as { architecture?: unknown; devices?: unknown };
    const count = typeof devices === 'number' ? devices : 0;
    return typeof architecture === 'string' ? { architecture, devices: count } : { devices: count };
  });
}
