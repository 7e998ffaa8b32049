// A small stand-in for the hub model, for unit tests of the HTTPS front: it records what reached it
// and answers with fixed shapes or the HubErrors a test asks for. The real model (hub-model.ts) is
// exercised by the integration tests.
import {
  HubError,
  type Configuration,
  type DeviceTwin,
  type HubModelApi,
  type JsonObject,
  type ModuleTwin,
  type QueryPage,
  type TestQueriesResult,
} from '../../src/sandbox/hub-types.js';

export interface RecordedCall {
  method: keyof HubModelApi;
  args: unknown[];
}

function configuration(id: string, body: JsonObject, etag: string): Configuration {
  return {
    id,
    schemaVersion: '1.0',
    labels: {},
    content: {},
    targetCondition: '',
    createdTimeUtc: '2026-01-01T00:00:00Z',
    lastUpdatedTimeUtc: '2026-01-01T00:00:00Z',
    priority: 0,
    systemMetrics: { queries: {}, results: {} },
    metrics: { queries: {}, results: {} },
    ...(body as Partial<Configuration>),
    etag,
  };
}

function twin(deviceId: string): DeviceTwin {
  return {
    deviceId,
    etag: 'AAAAAAAAAAE=',
    deviceEtag: 'NDE=',
    version: 2,
    status: 'enabled',
    connectionState: 'Connected',
    lastActivityTime: '2026-01-01T00:00:00Z',
    capabilities: { iotEdge: true },
    tags: {},
    properties: { desired: {}, reported: {} },
  };
}

function moduleTwin(deviceId: string, moduleId: string): ModuleTwin {
  const { etag, version, connectionState, lastActivityTime, properties } = twin(deviceId);
  return { deviceId, moduleId, etag, version, connectionState, lastActivityTime, properties };
}

export class FakeHubModel implements HubModelApi {
  readonly calls: RecordedCall[] = [];
  /** When set, the next call throws it. */
  failNext?: HubError | Error;
  /** Items `query` pages through. */
  queryItems: unknown[] = [];

  private record(method: keyof HubModelApi, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  createConfiguration(id: string, body: JsonObject): Configuration {
    this.record('createConfiguration', id, body);
    return configuration(id, body, 'MQ==');
  }
  updateConfiguration(id: string, body: JsonObject, ifMatch: string): Configuration {
    this.record('updateConfiguration', id, body, ifMatch);
    return configuration(id, body, 'Mg==');
  }
  getConfiguration(id: string): Configuration {
    this.record('getConfiguration', id);
    return configuration(id, {}, 'MQ==');
  }
  listConfigurations(top?: number): Configuration[] {
    this.record('listConfigurations', top);
    return [configuration('a', {}, 'MQ==')];
  }
  deleteConfiguration(id: string, ifMatch?: string): void {
    this.record('deleteConfiguration', id, ifMatch);
  }
  testQueries(body: JsonObject): TestQueriesResult {
    this.record('testQueries', body);
    return { targetConditionError: '', customMetricQueryErrors: {} };
  }
  getDevice(deviceId: string): JsonObject {
    this.record('getDevice', deviceId);
    return { deviceId, etag: 'NDE=', capabilities: { iotEdge: true } };
  }
  getTwin(deviceId: string): DeviceTwin {
    this.record('getTwin', deviceId);
    return twin(deviceId);
  }
  patchTwin(deviceId: string, patch: JsonObject, ifMatch?: string): DeviceTwin {
    this.record('patchTwin', deviceId, patch, ifMatch);
    return { ...twin(deviceId), etag: 'AAAAAAAAAAI=' };
  }
  getModuleTwin(deviceId: string, moduleId: string): ModuleTwin {
    this.record('getModuleTwin', deviceId, moduleId);
    return moduleTwin(deviceId, moduleId);
  }
  patchModuleTwin(deviceId: string, moduleId: string, patch: JsonObject, ifMatch?: string): ModuleTwin {
    this.record('patchModuleTwin', deviceId, moduleId, patch, ifMatch);
    return moduleTwin(deviceId, moduleId);
  }
  query(sql: string, pageSize: number, continuation?: string): QueryPage {
    this.record('query', sql, pageSize, continuation);
    const start = continuation ? Number(continuation) : 0;
    const items = this.queryItems.slice(start, start + pageSize);
    const next = start + pageSize;
    return next < this.queryItems.length ? { items, continuation: String(next) } : { items };
  }
  applyConfigurationContent(deviceId: string, content: JsonObject): void {
    this.record('applyConfigurationContent', deviceId, content);
  }
}

export function notFound(code: string, message: string): HubError {
  return new HubError(404, code, message);
}
