// The sandbox hub's HTTPS front: what the unchanged `azure-iothub` SDK talks to (index.ts mounts it on
// an HTTPS server on port 443 of a loopback address). Each request goes through the same gates as on
// the service, in this order: api-version, authorization, injected faults, route, throttle, then the
// hub model. Errors carry the service's body
// `{"Message":"ErrorCode:<code>;<message>","ExceptionMessage":"Tracking ID:..."}` and the
// `iothub-errorcode` header, which is what the SDK's `translateError` and other SDKs parse.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { authorize, type AuthConfig } from './auth.js';
import type { Clock } from './clock.js';
import type { FaultInjector, FaultPlan } from './faults.js';
import { HubError, type HubCounters, type HubModelApi } from './hub-types.js';
import { argumentInvalid, matchRoute, type HubResponse, type RouteMatch } from './routes.js';
import type { HubThrottle } from './throttle.js';

/** The counters the front keeps; `evaluations` comes from the model. */
export type FrontCounters = Omit<HubCounters, 'evaluations'>;

export function emptyFrontCounters(): FrontCounters {
  return { writes: 0, queries: 0, reads: 0, throttled: 0 };
}

/** One line of the request log. Never holds headers, bodies or tokens. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  route?: string;
  /** HTTP status, or 0 when an injected fault reset the connection. */
  status: number;
  durationMs: number;
  fault?: 'error' | 'reset' | 'latency';
}

export interface HubFrontOptions {
  model: HubModelApi;
  /** Sandbox time: throttles, injected sandbox latency and error timestamps. */
  clock: Clock;
  auth: AuthConfig;
  throttle: HubThrottle;
  faults: FaultInjector;
  /** Mutated in place as requests are handled. */
  counters: FrontCounters;
  log?: (entry: RequestLogEntry) => void;
  /** Called with unexpected (non-HubError) failures, which are answered 500. Default: stderr. */
  onInternalError?: (error: unknown, route: string) => void;
}

/** api-versions the front accepts: the SDK's 2021-04-12, and the data-plane versions around it. */
export const OLDEST_API_VERSION = '2018-06-30';
export const NEWEST_API_VERSION = '2024-03-31';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

function checkApiVersion(version: string | null): void {
  // The service answers a missing or unknown api-version with 400 InvalidProtocolVersion
  // (Azure/azure-iot-sdk-node#617, Azure/Industrial-IoT#708).
  if (!version)
    throw new HubError(400, 'InvalidProtocolVersion', 'the api-version query parameter is required');
  const match = /^(\d{4}-\d{2}-\d{2})(-preview)?$/.exec(version);
  if (!match || match[1]! < OLDEST_API_VERSION || match[1]! > NEWEST_API_VERSION) {
    throw new HubError(400, 'InvalidProtocolVersion', `api-version '${version}' is not supported`);
  }
}

function trackingTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}

/** The service's error answer. The SDK splits `Message` at `;`, so the text itself must hold none. */
export function errorResponse(error: HubError, nowMs: number): HubResponse {
  const headers: Record<string, string> = { 'iothub-errorcode': error.code };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  const trackingId = randomBytes(16).toString('hex');
  return {
    status: error.status,
    headers,
    body: {
      Message: `ErrorCode:${error.code};${error.message.replace(/;/g, ',')}`,
      ExceptionMessage: `Tracking ID:${trackingId}-G:0-TimeStamp:${trackingTimestamp(nowMs)}`,
    },
  };
}

function send(res: ServerResponse, response: HubResponse): void {
  const payload = response.body === undefined ? undefined : JSON.stringify(response.body);
  const headers: Record<string, string | number> = { ...response.headers };
  if (payload !== undefined) {
    headers['content-type'] = JSON_CONTENT_TYPE;
    headers['content-length'] = Buffer.byteLength(payload);
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

/** Reads the body; answers 413-worthy bodies with a HubError after draining them. */
async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES)
    throw new HubError(413, 'MessageTooLarge', `the request body exceeds ${MAX_BODY_BYTES} bytes`);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw argumentInvalid('the request body is not valid JSON');
  }
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function applyDelays(plan: FaultPlan, clock: Clock): Promise<void> {
  for (const delay of plan.delays) {
    await (delay.clock === 'real' ? realSleep(delay.ms) : clock.sleep(delay.ms));
  }
}

function decodedPath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}

function defaultInternalError(error: unknown, route: string): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`sandbox hub: unexpected failure in ${route}: ${detail}\n`);
}

type Outcome = { response: HubResponse; route?: string; fault?: RequestLogEntry['fault'] } | { reset: true };

/** The request pipeline without the transport, so it can serve plain HTTP in unit tests too. */
export function createHubRequestListener(options: HubFrontOptions): RequestListener {
  const { clock, counters } = options;
  const onInternalError = options.onInternalError ?? defaultInternalError;

  /** HubErrors are answers; anything else is a sandbox bug: reported, and answered 500 ServerError. */
  function asHubError(error: unknown, where: string): HubError {
    if (error instanceof HubError) return error;
    onInternalError(error, where);
    return new HubError(500, 'ServerError', 'the sandbox hub failed unexpectedly');
  }

  async function respond(req: IncomingMessage, url: URL): Promise<Outcome> {
    const method = req.method ?? 'GET';
    checkApiVersion(url.searchParams.get('api-version'));
    const auth = authorize(req.headers.authorization, options.auth);
    if (!auth.ok) throw new HubError(401, 'IotHubUnauthorizedAccess', auth.reason);
    const body = await readBody(req);

    const plan = options.faults.plan(method, decodedPath(url.pathname));
    await applyDelays(plan, clock);
    const latency = plan.delays.length ? ('latency' as const) : undefined;
    if (plan.outcome?.fault === 'reset') return { reset: true };
    if (plan.outcome?.fault === 'error') {
      const error =
        plan.outcome.status === 503
          ? new HubError(503, 'ServiceUnavailable', 'the service is unavailable (injected fault)')
          : new HubError(500, 'ServerError', 'the service ran into an internal error (injected fault)');
      return { response: errorResponse(error, clock.now()), fault: 'error' };
    }

    const match: RouteMatch | undefined = matchRoute(method, url.pathname);
    if (!match) {
      throw new HubError(404, 'NotFound', `no resource ${method} ${decodedPath(url.pathname)} on this hub`);
    }
    const { route, params } = match;
    const decision = options.throttle.take(route.throttle);
    if (!decision.allowed) {
      counters.throttled++;
      // 429001 ThrottlingException: "throttling limits are exceeded for the requested operation"
      // (MicrosoftDocs/azure-docs articles/iot-hub/troubleshoot-error-codes.md).
      const error = new HubError(
        429,
        'ThrottlingException',
        `the ${route.throttle} throttle of this hub is exceeded, retry after ${decision.retryAfterSeconds} s`,
        decision.retryAfterSeconds,
      );
      return { response: errorResponse(error, clock.now()), route: route.name, fault: latency };
    }
    if (route.counter) counters[route.counter]++;
    try {
      const response = route.handle(options.model, params, {
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      return { response, route: route.name, fault: latency };
    } catch (error) {
      return {
        response: errorResponse(asHubError(error, route.name), clock.now()),
        route: route.name,
        fault: latency,
      };
    }
  }

  return (req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'https://sandbox-hub');
    const finish = (outcome: Outcome) => {
      if ('reset' in outcome) req.socket.destroy();
      else send(res, outcome.response);
      options.log?.({
        time: new Date().toISOString(),
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        route: 'reset' in outcome ? undefined : outcome.route,
        status: 'reset' in outcome ? 0 : outcome.response.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        fault: 'reset' in outcome ? 'reset' : outcome.fault,
      });
    };
    respond(req, url).then(finish, (error: unknown) =>
      finish({ response: errorResponse(asHubError(error, 'request'), clock.now()) }),
    );
  };
}
