// The shapes of an IoT Edge deployment manifest (reference §2) as this engine reads and writes them.
// Manifests from templates can hold anything JSON allows, so the types stay structural: JSON values
// plus names for the parts the engine touches.

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** What `az iot edge deployment create --content` and the service's `content` take. */
export interface DeploymentManifest {
  modulesContent: Record<string, JsonObject>;
}

export type RestartPolicy = 'never' | 'on-failure' | 'on-unhealthy' | 'always';
export type ModuleStatus = 'running' | 'stopped';
export type ImagePullPolicy = 'on-create' | 'never';
/** Docker create options: an object, or the JSON text of one. */
export type CreateOptions = JsonObject | string;
/** An edgeHub route: the route text, or (edgeHub schema 1.1+) the text with a priority and a time to live. */
export type Route = string | { route: string; priority?: number; timeToLiveSecs?: number };
export type EnvValues = Readonly<Record<string, string | number | boolean>>;

/** The edge runtime the generated manifests target (IoT Edge 1.5, the current LTS). */
export const EDGE_AGENT_SCHEMA_VERSION = '1.1';
export const EDGE_HUB_SCHEMA_VERSION = '1.2';
export const DEFAULT_EDGE_AGENT_IMAGE = 'mcr.microsoft.com/azureiotedge-agent:1.5';
export const DEFAULT_EDGE_HUB_IMAGE = 'mcr.microsoft.com/azureiotedge-hub:1.5';

/** Module names, module twin names (reference §1.4). */
export const MODULE_NAME = /^[a-zA-Z0-9_-]+$/;
/** Registry credential and route names (reference §1.4): no '.', '$', '#' or space. */
export const CREDENTIAL_OR_ROUTE_NAME = /^[^.$# ]+$/;
/** The names of the two runtime modules, which only `systemModules` may use. */
export const SYSTEM_MODULE_NAMES: readonly string[] = ['edgeAgent', 'edgeHub'];
/** The key prefix that makes a manifest layered (reference §1.7). */
export const LAYERED_PREFIX = 'properties.desired.';
export const DESIRED = 'properties.desired';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
