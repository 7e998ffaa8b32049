// Between the hub's configuration objects (as `azure-iothub` types them) and the HubClient's
// deployments: what a create sends, what an update sends (content exactly as read), what comes back,
// and whether a deployment on the hub already is what a write asked for.
import type { Configuration } from 'azure-iothub';
import type { DeploymentUpdate, HubDeployment, NewDeployment } from './hub-client.js';

/**
 * The configuration schema version this project writes. The SDK quietly fills in '1.0' when none is
 * given (and the CLI sends '2.0'); setting it here keeps what is sent independent of SDK defaults.
 */
export const DEPLOYMENT_SCHEMA_VERSION = '1.0';

/** The body of `addConfiguration` for a new deployment. */
export function newConfiguration(deployment: NewDeployment, schemaVersion: string): Configuration {
  return {
    id: deployment.id,
    schemaVersion,
    labels: { ...deployment.labels },
    content: deployment.content,
    targetCondition: deployment.targetCondition,
    priority: deployment.priority,
    metrics: { queries: { ...deployment.metrics } },
  };
}

/**
 * The body of `updateConfiguration`: the deployment as read, with its etag, and only the mutable
 * fields changed. The content goes back untouched, because the hub refuses any change to it.
 */
export function updatedConfiguration(current: HubDeployment, update: DeploymentUpdate): Configuration {
  if (!current.content) {
    throw new Error(
      `deployment '${current.id}' was passed to an update without its content: read it with getDeployment ` +
        'first, so the content can be sent back exactly as the hub holds it',
    );
  }
  return {
    id: current.id,
    schemaVersion: current.schemaVersion ?? DEPLOYMENT_SCHEMA_VERSION,
    labels: { ...(update.labels ?? current.labels) },
    content: current.content,
    targetCondition: update.targetCondition ?? current.targetCondition,
    priority: update.priority ?? current.priority,
    metrics: { queries: { ...current.metrics?.queries } },
    etag: current.etag,
  };
}

function metricsOf(
  metrics: Configuration['metrics'],
): { queries: Record<string, string>; results: Record<string, number> } | undefined {
  return metrics ? { queries: { ...metrics.queries }, results: { ...metrics.results } } : undefined;
}

/** A configuration as the hub returned it, as a HubDeployment. */
export function toHubDeployment(configuration: Configuration): HubDeployment {
  if (!configuration?.id || !configuration.etag) {
    throw new Error('IoT Hub returned a configuration without an id or etag; the answer cannot be used');
  }
  return {
    id: configuration.id,
    schemaVersion: configuration.schemaVersion,
    labels: { ...configuration.labels },
    content: configuration.content as HubDeployment['content'],
    targetCondition: configuration.targetCondition ?? '',
    priority: configuration.priority ?? 0,
    createdTimeUtc: configuration.createdTimeUtc ?? '',
    lastUpdatedTimeUtc: configuration.lastUpdatedTimeUtc,
    etag: configuration.etag,
    systemMetrics: metricsOf(configuration.systemMetrics),
    metrics: metricsOf(configuration.metrics),
  };
}

/** JSON with object keys sorted, so equal values compare equal whatever order the hub returns keys in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Whether the hub's deployment is exactly what creating `wanted` would have made. */
export function isCreatedAs(existing: HubDeployment, wanted: NewDeployment): boolean {
  return (
    existing.targetCondition === wanted.targetCondition &&
    existing.priority === wanted.priority &&
    sameJson(existing.labels, wanted.labels) &&
    sameJson(existing.content, wanted.content) &&
    sameJson(existing.metrics?.queries ?? {}, wanted.metrics ?? {})
  );
}

/** Whether the hub's deployment already shows `update` applied to `before` (content unchanged). */
export function isUpdatedAs(
  existing: HubDeployment,
  before: HubDeployment,
  update: DeploymentUpdate,
): boolean {
  return (
    existing.targetCondition === (update.targetCondition ?? before.targetCondition) &&
    existing.priority === (update.priority ?? before.priority) &&
    sameJson(existing.labels, update.labels ?? before.labels) &&
    sameJson(existing.content, before.content)
  );
}
