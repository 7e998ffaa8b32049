// Shapes shared by the sandbox IoT Hub's parts: the in-memory hub model, the query engine and the
// HTTPS front. They mirror the IoT Hub service's JSON (api-version 2021-04-12) so that the real
// `azure-iothub` SDK reads them unchanged.

export type JsonObject = { [key: string]: unknown };

/** An error the hub answers with: HTTP status plus the service's `ErrorCode:<code>;<message>`. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait, for 429 answers. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export type ConfigurationStatus = 'Targeted' | 'Applied';

/** A device twin as `GET /twins/{id}` and `POST /devices/query` return it. */
export interface DeviceTwin {
  deviceId: string;
  etag: string;
  deviceEtag: string;
  version: number;
  status: 'enabled' | 'disabled';
  connectionState: 'Connected' | 'Disconnected';
  lastActivityTime: string;
  capabilities: { iotEdge: boolean };
  tags: JsonObject;
  properties: { desired: JsonObject; reported: JsonObject };
  /** Automatic configurations that target (and are applied to) this device: `configurations.[[id]].status`. */
  configurations?: Record<string, { status: ConfigurationStatus }>;
}

/** A module twin (`$edgeAgent`, `$edgeHub`, custom modules) as `FROM devices.modules` returns it. */
export interface ModuleTwin {
  deviceId: string;
  moduleId: string;
  etag: string;
  version: number;
  connectionState: 'Connected' | 'Disconnected';
  lastActivityTime: string;
  properties: { desired: JsonObject; reported: JsonObject };
  configurations?: Record<string, { status: ConfigurationStatus }>;
}

export interface ConfigurationContent {
  modulesContent?: Record<string, JsonObject>;
  moduleContent?: JsonObject;
  deviceContent?: JsonObject;
}

export interface ConfigurationMetrics {
  queries: Record<string, string>;
  results: Record<string, number>;
}

/** An automatic configuration (IoT Edge deployment) as the service stores and returns it. */
export interface Configuration {
  id: string;
  schemaVersion: string;
  labels: Record<string, string>;
  content: ConfigurationContent;
  targetCondition: string;
  createdTimeUtc: string;
  lastUpdatedTimeUtc: string;
  priority: number;
  systemMetrics: ConfigurationMetrics;
  metrics: ConfigurationMetrics;
  etag: string;
}

/** How a simulated edge agent behaves when a deployment reaches it. */
export type DeviceBehaviour =
  | 'healthy'
  | 'crash-loop' // accepts the manifest (200) but the custom modules keep restarting (backoff)
  | 'reject-manifest' // edgeAgent answers 400 for the new desired version
  | 'offline' // never reports anything after the initial state; twin shows Disconnected
  | 'slow' // reports like a healthy device, but after a much longer latency
  | 'arch-mismatch'; // image has no variant for this device's architecture: modules fail to start

export const DEVICE_BEHAVIOURS: readonly DeviceBehaviour[] = [
  'healthy',
  'crash-loop',
  'reject-manifest',
  'offline',
  'slow',
  'arch-mismatch',
];

export type DeviceArchitecture = 'x86_64' | 'aarch64' | 'armv7l';

export interface EdgeDeviceSpec {
  deviceId: string;
  tags?: JsonObject;
  behaviour?: DeviceBehaviour;
  architecture?: DeviceArchitecture;
}

/** One page of a query answer; `continuation` is set when more pages follow. */
export interface QueryPage {
  items: unknown[];
  continuation?: string;
}

/** Counters that tests and benchmarks read to prove how many calls a client made. */
export interface HubCounters {
  /** Configuration creates/updates/deletes, twin patches, applyConfigurationContent. */
  writes: number;
  /** `POST /devices/query` pages and `testQueries` calls. */
  queries: number;
  /** Configuration reads (get and list). */
  reads: number;
  /** Requests answered 429. */
  throttled: number;
  /** Evaluation cycles of automatic configurations run so far. */
  evaluations: number;
}

export interface TestQueriesResult {
  targetConditionError: string;
  customMetricQueryErrors: Record<string, string>;
}

/**
 * The in-memory IoT Hub behind the sandbox's HTTPS front (src/sandbox/hub-model.ts implements it).
 * Every method throws `HubError` with the service's status and error code when the real hub would
 * answer with an error. `ifMatch` values may be quoted (`"MQ=="`) or `*`.
 */
export interface HubModelApi {
  createConfiguration(id: string, body: JsonObject): Configuration;
  updateConfiguration(id: string, body: JsonObject, ifMatch: string): Configuration;
  getConfiguration(id: string): Configuration;
  listConfigurations(top?: number): Configuration[];
  deleteConfiguration(id: string, ifMatch?: string): void;
  testQueries(body: JsonObject): TestQueriesResult;

  /** Device identity as `GET /devices/{id}` returns it. */
  getDevice(deviceId: string): JsonObject;
  getTwin(deviceId: string): DeviceTwin;
  /** Merges `tags` and `properties.desired` (null deletes a key), bumps version and etag. */
  patchTwin(deviceId: string, patch: JsonObject, ifMatch?: string): DeviceTwin;
  getModuleTwin(deviceId: string, moduleId: string): ModuleTwin;
  patchModuleTwin(deviceId: string, moduleId: string, patch: JsonObject, ifMatch?: string): ModuleTwin;
  /** Runs an IoT Hub query; `continuation` is the opaque token of a previous page. */
  query(sql: string, pageSize: number, continuation?: string): QueryPage;
  applyConfigurationContent(deviceId: string, content: JsonObject): void;
}
