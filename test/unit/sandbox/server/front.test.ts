// The request pipeline of the sandbox hub over plain HTTP with a fake model: status codes, error bodies,
// headers, counters, throttling, faults and the request log. The real SDK over HTTPS is in
// test/integration/sandbox/.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../../src/sandbox/clock.js';
import { FaultInjector } from '../../../../src/sandbox/faults.js';
import { HubError } from '../../../../src/sandbox/hub-types.js';
import {
  createHubRequestListener,
  emptyFrontCounters,
  type FrontCounters,
  type RequestLogEntry,
} from '../../../../src/sandbox/server.js';
import { HubThrottle } from '../../../../src/sandbox/throttle.js';
import { FakeHubModel } from '../../../support/fake-hub-model.js';
import { sasToken, secondsFromNow } from '../../../support/tokens.js';

const HOST = 'front-test.azure-devices.net';
const KEY = Buffer.from('front-test-key-front-test-key-00').toString('base64');
const AUTH = sasToken(HOST, 'iothubowner', KEY, secondsFromNow(3600));
const V = 'api-version=2021-04-12';

let server: Server;
let base: string;
let model: FakeHubModel;
let clock: ManualClock;
let throttle: HubThrottle;
let faults: FaultInjector;
let counters: FrontCounters;
let log: RequestLogEntry[];
let internalErrors: unknown[];

beforeAll(async () => {
  server = createServer((req, res) =>
    createHubRequestListener({
      model,
      clock,
      throttle,
      faults,
      counters,
      auth: { hostName: HOST, policies: [{ keyName: 'iothubowner', key: KEY }], trustedIssuers: [] },
      log: (entry) => log.push(entry),
      onInternalError: (error) => internalErrors.push(error),
    })(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  model = new FakeHubModel();
  clock = new ManualClock(0);
  throttle = new HubThrottle({ clock });
  faults = new FaultInjector(1);
  counters = emptyFrontCounters();
  log = [];
  internalErrors = [];
});

async function call(
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json; charset=utf-8', ...init.headers },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

function errorCode(body: unknown): string {
  return /^ErrorCode:([^;]+);/.exec((body as { Message: string }).Message)![1]!;
}

describe('gates before the model', () => {
  test('a missing api-version is 400 InvalidProtocolVersion in the service error shape', async () => {
    const response = await call('GET', '/configurations/a');
    expect(response.status).toBe(400);
    expect(response.headers.get('iothub-errorcode')).toBe('InvalidProtocolVersion');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.body).toEqual({
      Message: 'ErrorCode:InvalidProtocolVersion;the api-version query parameter is required',
      ExceptionMessage: expect.stringMatching(
        /^Tracking ID:[0-9a-f]{32}-G:0-TimeStamp:\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/,
      ),
    });
    expect(model.calls).toEqual([]);
  });

  test.each(['2021-04-12', '2020-09-30', '2024-03-31', '2020-06-30-preview'])(
    'api-version %s is accepted',
    async (v) => {
      expect((await call('GET', `/configurations/a?api-version=${v}`)).status).toBe(200);
    },
  );

  test.each(['2017-01-01', '2030-01-01', 'latest'])('api-version %s is rejected', async (v) => {
    const response = await call('GET', `/configurations/a?api-version=${v}`);
    expect([response.status, errorCode(response.body)]).toEqual([400, 'InvalidProtocolVersion']);
  });

  test('no or bad authorization is 401 IotHubUnauthorizedAccess with a reason', async () => {
    const missing = await call('GET', `/configurations/a?${V}`, { headers: { authorization: '' } });
    expect([missing.status, errorCode(missing.body)]).toEqual([401, 'IotHubUnauthorizedAccess']);
    const wrongKey = sasToken(
      HOST,
      'iothubowner',
      Buffer.from('x'.repeat(32)).toString('base64'),
      secondsFromNow(60),
    );
    const bad = await call('GET', `/configurations/a?${V}`, { headers: { authorization: wrongKey } });
    expect(bad.status).toBe(401);
    expect((bad.body as { Message: string }).Message).toMatch(
      /does not match the key of policy 'iothubowner'/,
    );
    expect(model.calls).toEqual([]);
  });

  test('an unknown path or method is 404 NotFound', async () => {
    for (const [method, path] of [
      ['GET', `/jobs/v2/x?${V}`],
      ['POST', `/configurations/a?${V}`],
      ['GET', `/?${V}`],
    ] as const) {
      const response = await call(method, path);
      expect([response.status, errorCode(response.body)]).toEqual([404, 'NotFound']);
    }
  });

  test('a body that is not JSON is 400 ArgumentInvalid', async () => {
    const response = await call('PUT', `/configurations/a?${V}`, { body: '{not json' });
    expect([response.status, errorCode(response.body)]).toEqual([400, 'ArgumentInvalid']);
  });
});

describe('routes', () => {
  test("ids are percent-decoded, including the SDK's strict encoding of '()!*", async () => {
    const id = "app-1.4.0'(a)!*%:=@;";
    const strict = encodeURIComponent(id).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16));
    await call('GET', `/configurations/${strict}?${V}`);
    await call('GET', `/configurations/${encodeURIComponent(id)}?${V}`);
    expect(model.calls.map((c) => c.args[0])).toEqual([id, id]);
  });

  test('an id holding an encoded slash stays one segment', async () => {
    await call('GET', `/twins/${encodeURIComponent('a/b')}?${V}`);
    expect(model.calls).toEqual([{ method: 'getTwin', args: ['a/b'] }]);
  });

  test('PUT without If-Match creates, with If-Match updates; both answer the quoted etag', async () => {
    const created = await call('PUT', `/configurations/a?${V}`, { body: { id: 'a', priority: 3 } });
    const updated = await call('PUT', `/configurations/a?${V}`, {
      body: { id: 'a' },
      headers: { 'if-match': '"MQ=="' },
    });
    expect(model.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['createConfiguration', 'a', { id: 'a', priority: 3 }],
      ['updateConfiguration', 'a', { id: 'a' }, '"MQ=="'],
    ]);
    expect([created.status, created.headers.get('etag')]).toEqual([200, '"MQ=="']);
    expect([updated.status, updated.headers.get('etag')]).toEqual([200, '"Mg=="']);
  });

  test('DELETE and applyConfigurationContent answer 204 without a body', async () => {
    const deleted = await call('DELETE', `/configurations/a?${V}`);
    const applied = await call('POST', `/devices/dev-1/applyConfigurationContent?${V}`, {
      body: { modulesContent: {} },
    });
    expect([deleted.status, deleted.body, applied.status, applied.body]).toEqual([
      204,
      undefined,
      204,
      undefined,
    ]);
    expect(model.calls.map((c) => c.method)).toEqual(['deleteConfiguration', 'applyConfigurationContent']);
  });

  test('GET /configurations passes top; a bad top is 400', async () => {
    expect((await call('GET', `/configurations?top=5&${V}`)).status).toBe(200);
    expect((await call('GET', `/configurations?${V}`)).status).toBe(200);
    expect((await call('GET', `/configurations?top=zero&${V}`)).status).toBe(400);
    expect(model.calls.map((c) => c.args)).toEqual([[5], [undefined]]);
  });

  test('queries page with x-ms-max-item-count / x-ms-continuation and say the item type', async () => {
    model.queryItems = Array.from({ length: 250 }, (_, i) => ({ deviceId: `d${i}` }));
    const first = await call('POST', `/devices/query?${V}`, { body: { query: 'SELECT * FROM devices' } });
    expect(first.headers.get('x-ms-item-type')).toBe('twin');
    expect((first.body as unknown[]).length).toBe(100);
    const cont = first.headers.get('x-ms-continuation')!;
    const second = await call('POST', `/devices/query?${V}`, {
      body: { query: 'SELECT deviceId FROM devices' },
      headers: { 'x-ms-max-item-count': '200', 'x-ms-continuation': cont },
    });
    expect(second.headers.get('x-ms-item-type')).toBe('raw');
    expect(second.headers.get('x-ms-continuation')).toBeNull();
    expect((second.body as unknown[]).length).toBe(150);
    const bad = await call('POST', `/devices/query?${V}`, {
      body: { query: 'SELECT * FROM devices' },
      headers: { 'x-ms-max-item-count': '0' },
    });
    expect(bad.status).toBe(400);
    const noQuery = await call('POST', `/devices/query?${V}`, { body: { sql: 'x' } });
    expect(noQuery.status).toBe(400);
  });

  test('twin and module twin reads and patches pass If-Match through', async () => {
    await call('GET', `/twins/dev-1?${V}`);
    const patched = await call('PATCH', `/twins/dev-1?${V}`, {
      body: { tags: { ring: 'canary' } },
      headers: { 'if-match': '"AAAAAAAAAAE="' },
    });
    await call('GET', `/twins/dev-1/modules/%24edgeAgent?${V}`);
    await call('PATCH', `/twins/dev-1/modules/%24edgeAgent?${V}`, { body: { properties: { desired: {} } } });
    await call('GET', `/devices/dev-1?${V}`);
    expect(patched.headers.get('etag')).toBe('"AAAAAAAAAAI="');
    expect(model.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['getTwin', 'dev-1'],
      ['patchTwin', 'dev-1', { tags: { ring: 'canary' } }, '"AAAAAAAAAAE="'],
      ['getModuleTwin', 'dev-1', '$edgeAgent'],
      ['patchModuleTwin', 'dev-1', '$edgeAgent', { properties: { desired: {} } }, undefined],
      ['getDevice', 'dev-1'],
    ]);
  });

  test("the model's HubErrors keep their status and code; ';' never splits the SDK's parse", async () => {
    model.failNext = new HubError(412, 'PreconditionFailed', 'etag "x" does not match; reload');
    const response = await call('PUT', `/configurations/a?${V}`, {
      body: {},
      headers: { 'if-match': '"x"' },
    });
    expect(response.status).toBe(412);
    expect((response.body as { Message: string }).Message).toBe(
      'ErrorCode:PreconditionFailed;etag "x" does not match, reload',
    );
  });

  test('an unexpected failure is 500 ServerError and reported', async () => {
    model.failNext = new Error('bug');
    const response = await call('GET', `/configurations/a?${V}`);
    expect([response.status, errorCode(response.body)]).toEqual([500, 'ServerError']);
    expect(internalErrors).toHaveLength(1);
  });
});

describe('counters and throttling', () => {
  test('writes, reads and queries count handled requests', async () => {
    await call('PUT', `/configurations/a?${V}`, { body: {} });
    await call('DELETE', `/configurations/a?${V}`);
    await call('PATCH', `/twins/d?${V}`, { body: {} });
    await call('POST', `/devices/d/applyConfigurationContent?${V}`, { body: {} });
    await call('GET', `/configurations/a?${V}`);
    await call('GET', `/configurations?${V}`);
    await call('POST', `/devices/query?${V}`, { body: { query: 'SELECT * FROM devices' } });
    await call('POST', `/configurations/testQueries?${V}`, {
      body: { targetCondition: "tags.ring='canary'" },
    });
    await call('GET', `/twins/d?${V}`);
    model.failNext = new HubError(404, 'ConfigurationNotFound', 'no such configuration');
    await call('GET', `/configurations/missing?${V}`);
    expect(counters).toEqual({ writes: 4, reads: 3, queries: 2, throttled: 0 });
  });

  test('over the configuration budget: 429 ThrottlingException with Retry-After, counted', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await call('GET', `/configurations/a?${V}`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    const throttled = await call('GET', `/configurations?${V}`);
    expect([throttled.status, errorCode(throttled.body), throttled.headers.get('retry-after')]).toEqual([
      429,
      'ThrottlingException',
      '3',
    ]);
    expect(counters.throttled).toBe(2);
    expect(counters.reads).toBe(20);
    await clock.advance(3_000);
    expect((await call('GET', `/configurations/a?${V}`)).status).toBe(200);
  });
});

describe('faults and the request log', () => {
  test('an injected 503 answers the hub error body without reaching the model', async () => {
    faults.add({ method: 'GET', path: '/configurations/*', fault: 'error', status: 503, times: 1 });
    const faulted = await call('GET', `/configurations/a?${V}`);
    expect([faulted.status, errorCode(faulted.body)]).toEqual([503, 'ServiceUnavailable']);
    expect((await call('GET', `/configurations/a?${V}`)).status).toBe(200);
    expect(model.calls).toHaveLength(1);
  });

  test('an injected reset destroys the connection', async () => {
    faults.add({ path: '/twins/**', fault: 'reset', times: 1 });
    await expect(call('GET', `/twins/dev-1?${V}`)).rejects.toThrow();
    expect((await call('GET', `/twins/dev-1?${V}`)).status).toBe(200);
  });

  test('injected real latency delays the answer', async () => {
    faults.add({ fault: 'latency', ms: 60, clock: 'real', times: 1 });
    const started = Date.now();
    expect((await call('GET', `/twins/dev-1?${V}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  test('the log has method, path, route, status and duration, never the authorization', async () => {
    await call('GET', `/configurations/a?${V}`);
    faults.add({ fault: 'reset', times: 1 });
    await call('GET', `/twins/d?${V}`).catch(() => undefined);
    await call('GET', `/nowhere?${V}`);
    expect(log).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `/configurations/a?${V}`,
        route: 'getConfiguration',
        status: 200,
      }),
      expect.objectContaining({ method: 'GET', path: `/twins/d?${V}`, status: 0, fault: 'reset' }),
      expect.objectContaining({ method: 'GET', path: `/nowhere?${V}`, status: 404 }),
    ]);
    expect(log.every((entry) => typeof entry.durationMs === 'number')).toBe(true);
    expect(JSON.stringify(log)).not.toMatch(/SharedAccessSignature|sig=/);
  });
});
