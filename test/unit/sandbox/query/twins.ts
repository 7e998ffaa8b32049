// Small hand-made twins for the query tests, shaped like the sandbox hub's DeviceTwin / ModuleTwin.
import type {
  ConfigurationStatus,
  DeviceTwin,
  JsonObject,
  ModuleTwin,
} from '../../../../src/sandbox/hub-types.js';

export interface DeviceOptions {
  tags?: JsonObject;
  iotEdge?: boolean;
  reported?: JsonObject;
  configurations?: Record<string, ConfigurationStatus>;
}

export function deviceTwin(deviceId: string, options: DeviceOptions = {}): JsonObject {
  const twin: DeviceTwin = {
    deviceId,
    etag: 'AAAAAAAAAAE=',
    deviceEtag: 'MQ==',
    version: 2,
    status: 'enabled',
    connectionState: 'Connected',
    lastActivityTime: '2025-01-01T00:00:00Z',
    capabilities: { iotEdge: options.iotEdge ?? true },
    tags: options.tags ?? {},
    properties: { desired: { $version: 1 }, reported: { $version: 1, ...options.reported } },
    configurations: statuses(options.configurations),
  };
  return twin as unknown as JsonObject;
}

export interface ModuleOptions {
  desiredVersion?: number;
  /** edgeAgent's report; omitted when the agent has not reported yet. */
  reported?: JsonObject;
  configurations?: Record<string, ConfigurationStatus>;
}

export function moduleTwin(deviceId: string, moduleId: string, options: ModuleOptions = {}): JsonObject {
  const twin: ModuleTwin = {
    deviceId,
    moduleId,
    etag: 'AAAAAAAAAAE=',
    version: 3,
    connectionState: 'Connected',
    lastActivityTime: '2025-01-01T00:00:00Z',
    properties: {
      desired: { $version: options.desiredVersion ?? 1 },
      reported: { $version: 1, ...options.reported },
    },
    configurations: statuses(options.configurations),
  };
  return twin as unknown as JsonObject;
}

/** edgeAgent's report of the desired version it last processed, with its status code. */
export function agentReport(lastDesiredVersion: number, code: number): JsonObject {
  return { lastDesiredVersion, lastDesiredStatus: { code, description: code === 200 ? '' : 'rejected' } };
}

function statuses(configurations: Record<string, ConfigurationStatus> = {}): DeviceTwin['configurations'] {
  return Object.fromEntries(Object.entries(configurations).map(([id, status]) => [id, { status }]));
}

export function ids(rows: JsonObject[]): unknown[] {
  return rows.map((row) => row.deviceId);
}
