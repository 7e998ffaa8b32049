// The sandbox hub's REST surface: the service's paths (api-version 2021-04-12 shapes), what each costs
// against the throttles and counters, and how each maps onto the hub model. Transport concerns
// (TLS, auth, faults, status lines) live in server.ts.
import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './hub-queries.js';
import { HubError, type HubModelApi, type JsonObject } from './hub-types.js';
import type { ThrottleCategory } from './throttle.js';

export interface HubRequest {
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface HubResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Which `HubCounters` field a handled request adds to. */
export type CounterKind = 'writes' | 'queries' | 'reads';

export interface Route {
  name: string;
  method: string;
  /** Path segments; `:name` segments capture the (decoded) segment as a parameter. */
  segments: string[];
  throttle: ThrottleCategory;
  counter?: CounterKind;
  handle(model: HubModelApi, params: Record<string, string>, request: HubRequest): HubResponse;
}

/** 400 with the service's code for a body or parameter it cannot use (common error code 400004). */
export function argumentInvalid(message: string): HubError {
  return new HubError(400, 'ArgumentInvalid', message);
}

function header(request: HubRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function objectBody(request: HubRequest): JsonObject {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw argumentInvalid('the request body must be a JSON object');
  }
  return body as JsonObject;
}

function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function json(body: unknown, etag?: string): HubResponse {
  return { status: 200, body, headers: etag ? { etag: quoted(etag) } : undefined };
}

const NO_CONTENT: HubResponse = { status: 204 };

function positiveInteger(value: string | undefined, name: string, max?: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || (max !== undefined && number > max)) {
    const range = max === undefined ? 'of at least 1' : `from 1 to ${max}`;
    throw argumentInvalid(`${name} must be a whole number ${range}, got '${value}'`);
  }
  return number;
}

/** `SELECT * FROM devices` and `devices.modules` answer whole twins; projections and aggregates are raw. */
function queryItemType(sql: string): 'twin' | 'raw' {
  return /^\s*select\s+\*\s+from\s/i.test(sql) ? 'twin' : 'raw';
}

export const ROUTES: Route[] = [
  {
    name: 'testQueries',
    method: 'POST',
    segments: ['configurations', 'testQueries'],
    // Not in the throttle table; it evaluates queries, so it is counted and throttled as one.
    throttle: 'queries',
    counter: 'queries',
    handle: (model, _params, request) => json(model.testQueries(objectBody(request))),
  },
  {
    name: 'listConfigurations',
    method: 'GET',
    segments: ['configurations'],
    throttle: 'configurations',
    counter: 'reads',
    // A top above the hub's configuration quota is not an error: the service caps it.
    handle: (model, _params, request) =>
      json(model.listConfigurations(positiveInteger(request.query.get('top') ?? undefined, 'top'))),
  },
  {
    name: 'getConfiguration',
    method: 'GET',
    segments: ['configurations', ':id'],
    throttle: 'configurations',
    counter: 'reads',
    handle: (model, { id }) => {
      const configuration = model.getConfiguration(id!);
      return json(configuration, configuration.etag);
    },
  },
  {
    name: 'putConfiguration',
    method: 'PUT',
    segments: ['configurations', ':id'],
    throttle: 'configurations',
    counter: 'writes',
    handle: (model, { id }, request) => {
      const body = objectBody(request);
      const ifMatch = header(request, 'if-match');
      // No If-Match creates; If-Match (an etag or *) updates: the service's create-or-update contract.
      const configuration = ifMatch
        ? model.updateConfiguration(id!, body, ifMatch)
        : model.createConfiguration(id!, body);
      return json(configuration, configuration.etag);
    },
  },
  {
    name: 'deleteConfiguration',
    method: 'DELETE',
    segments: ['configurations', ':id'],
    throttle: 'configurations',
    counter: 'writes',
    handle: (model, { id }, request) => {
      model.deleteConfiguration(id!, header(request, 'if-match'));
      return NO_CONTENT;
    },
  },
  {
    name: 'queryDevices',
    method: 'POST',
    segments: ['devices', 'query'],
    throttle: 'queries',
    counter: 'queries',
    handle: (model, _params, request) => {
      const { query } = objectBody(request);
      if (typeof query !== 'string' || !query.trim())
        throw argumentInvalid('the body must be {"query": "<sql>"}');
      const pageSize =
        positiveInteger(header(request, 'x-ms-max-item-count'), 'x-ms-max-item-count', MAX_PAGE_SIZE) ??
        DEFAULT_PAGE_SIZE;
      const page = model.query(query, pageSize, header(request, 'x-ms-continuation') || undefined);
      const headers: Record<string, string> = { 'x-ms-item-type': queryItemType(query) };
      if (page.continuation) headers['x-ms-continuation'] = page.continuation;
      return { status: 200, body: page.items, headers };
    },
  },
  {
    name: 'getDevice',
    method: 'GET',
    segments: ['devices', ':deviceId'],
    throttle: 'identityRegistry',
    handle: (model, { deviceId }) => {
      const device = model.getDevice(deviceId!);
      return json(device, typeof device.etag === 'string' ? device.etag : undefined);
    },
  },
  {
    name: 'applyConfigurationContent',
    method: 'POST',
    segments: ['devices', ':deviceId', 'applyConfigurationContent'],
    // It writes the device's module twins; the deployment engine's measurements (many devices per
    // minute on one S1 unit) rule out the 20/min configuration throttle.
    throttle: 'twinUpdates',
    counter: 'writes',
    handle: (model, { deviceId }, request) => {
      model.applyConfigurationContent(deviceId!, objectBody(request));
      return NO_CONTENT;
    },
  },
  {
    name: 'getTwin',
    method: 'GET',
    segments: ['twins', ':deviceId'],
    throttle: 'twinReads',
    handle: (model, { deviceId }) => {
      const twin = model.getTwin(deviceId!);
      return json(twin, twin.etag);
    },
  },
  {
    name: 'patchTwin',
    method: 'PATCH',
    segments: ['twins', ':deviceId'],
    throttle: 'twinUpdates',
    counter: 'writes',
    handle: (model, { deviceId }, request) => {
      const twin = model.patchTwin(deviceId!, objectBody(request), header(request, 'if-match'));
      return json(twin, twin.etag);
    },
  },
  {
    name: 'getModuleTwin',
    method: 'GET',
    segments: ['twins', ':deviceId', 'modules', ':moduleId'],
    throttle: 'twinReads',
    handle: (model, { deviceId, moduleId }) => {
      const twin = model.getModuleTwin(deviceId!, moduleId!);
      return json(twin, twin.etag);
    },
  },
  {
    name: 'patchModuleTwin',
    method: 'PATCH',
    segments: ['twins', ':deviceId', 'modules', ':moduleId'],
    throttle: 'twinUpdates',
    counter: 'writes',
    handle: (model, { deviceId, moduleId }, request) => {
      const twin = model.patchModuleTwin(
        deviceId!,
        moduleId!,
        objectBody(request),
        header(request, 'if-match'),
      );
      return json(twin, twin.etag);
    },
  },
];

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/**
 * Finds the route for a method and a raw (still percent-encoded) path. Segments are split before they
 * are decoded, so an id holding `/` (`%2F`) or `'()!*` stays one parameter. Literal segments win over
 * parameters (`/configurations/testQueries` is not a configuration named testQueries).
 */
export function matchRoute(
  method: string,
  rawPath: string,
  routes: Route[] = ROUTES,
): RouteMatch | undefined {
  const rawSegments = rawPath.split('/').filter((s, i) => i > 0 || s !== '');
  if (rawSegments.at(-1) === '') rawSegments.pop();
  const decoded = rawSegments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw argumentInvalid(`the path segment '${segment}' is not percent-encoded correctly`);
    }
  });
  const candidates = routes
    .filter((route) => route.method === method && route.segments.length === decoded.length)
    .map((route) => ({ route, literals: route.segments.filter((s) => !s.startsWith(':')).length }))
    .sort((a, b) => b.literals - a.literals);
  for (const { route } of candidates) {
    const params: Record<string, string> = {};
    const matched = route.segments.every((segment, i) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decoded[i]!;
        return decoded[i] !== '';
      }
      return segment === decoded[i];
    });
    if (matched) return { route, params };
  }
  return undefined;
}
