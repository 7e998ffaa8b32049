// What the front adds around the hub model, seen through the UNCHANGED azure-iothub SDK over HTTPS:
// authorization, api-version, throttling, injected faults, counters and the request log.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import iothub from 'azure-iothub';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { edgeDeployment } from '../../support/edge-deployments.js';
import { hubErrorCode, hubRequest, startTestHub } from '../../support/sandbox.js';
import { expectSdkError, sdkError } from '../../support/sdk-errors.js';

const { Registry } = iothub;
const logDir = mkdtempSync(join(tmpdir(), 'sandbox-front-test-'));
const requestLog = join(logDir, 'requests.jsonl');
let hub: SandboxHub;
let registry: InstanceType<typeof Registry>;

beforeAll(async () => {
  // 60×: one sandbox minute of throttle budget refills in one real second.
  hub = await startTestHub({ devices: 'canary=3', timeScale: 60, requestLog });
  registry = Registry.fromConnectionString(hub.connectionString);
  await registry.addConfiguration(edgeDeployment('front-1_0_0', 'registry.local/front:1'));
});

afterAll(async () => {
  await hub.stop();
  rmSync(logDir, { recursive: true, force: true });
});

beforeEach(() => {
  hub.faults.clear();
  hub.throttle.enabled = false;
});

describe('authorization', () => {
  test('a connection string with the wrong key is UnauthorizedError (401 IotHubUnauthorizedAccess)', async () => {
    const wrongKey = hub.connectionString.replace(
      /SharedAccessKey=[^;]+/,
      `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`,
    );
    const error = await expectSdkError(
      Registry.fromConnectionString(wrongKey).getConfiguration('front-1_0_0'),
      'UnauthorizedError',
      401,
      'IotHubUnauthorizedAccess',
    );
    expect(error.message).toMatch(/does not match the key of policy 'iothubowner'/);
  });

  test('a policy the hub does not have is UnauthorizedError', async () => {
    const otherPolicy = hub.connectionString.replace(
      'SharedAccessKeyName=iothubowner',
      'SharedAccessKeyName=service',
    );
    await expectSdkError(
      Registry.fromConnectionString(otherPolicy).getConfigurations(),
      'UnauthorizedError',
      401,
    );
  });
});

describe('protocol', () => {
  test('a missing api-version is 400 InvalidProtocolVersion; 2024-03-31 is served', async () => {
    const missing = await hubRequest(hub, 'GET', '/configurations/front-1_0_0');
    expect([missing.status, hubErrorCode(missing.body)]).toEqual([400, 'InvalidProtocolVersion']);
    const newer = await hubRequest(hub, 'GET', '/configurations/front-1_0_0?api-version=2024-03-31');
    expect(newer.status).toBe(200);
    expect(newer.headers.etag).toMatch(/^".+"$/);
  });

  test('an unknown route is 404 in the hub error shape', async () => {
    const response = await hubRequest(hub, 'GET', '/statistics/devices?api-version=2021-04-12');
    expect([response.status, hubErrorCode(response.body)]).toEqual([404, 'NotFound']);
  });
});

describe('throttling', () => {
  test('a burst of configuration reads ends in ThrottlingError (429, Retry-After) and is counted', async () => {
    hub.throttle.enabled = true;
    const throttledBefore = hub.counters().throttled;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => registry.getConfiguration('front-1_0_0')),
    );
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // A burst of 20, plus what refills (20 per real second at 60×) while the 30 calls are in flight.
    expect(results.length - rejected.length).toBeGreaterThanOrEqual(20);
    expect(results.length - rejected.length).toBeLessThanOrEqual(25);
    const error = rejected[0]!.reason as Error & {
      response: { statusCode: number; headers: Record<string, string> };
    };
    expect([error.name, error.response.statusCode]).toEqual(['ThrottlingError', 429]);
    expect(Number(error.response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(hub.counters().throttled - throttledBefore).toBe(rejected.length);
  });

  test('the budget refills in sandbox time (60× here: a sandbox minute is a real second)', async () => {
    hub.throttle.enabled = true;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(registry.getConfiguration('front-1_0_0')).resolves.toBeDefined();
  });
});

describe('injected faults', () => {
  test('503 and 500 surface as ServiceUnavailableError and InternalServerError', async () => {
    hub.faults.add({ method: 'GET', path: '/configurations/*', fault: 'error', status: 503, times: 1 });
    await expectSdkError(
      registry.getConfiguration('front-1_0_0'),
      'ServiceUnavailableError',
      503,
      'ServiceUnavailable',
    );
    hub.faults.add({ method: 'PATCH', path: '/twins/*', fault: 'error', status: 500, times: 1 });
    await expectSdkError(
      registry.updateTwin('edge-canary-0001', { tags: { a: 1 } }, '*'),
      'InternalServerError',
      500,
      'ServerError',
    );
    await expect(registry.getConfiguration('front-1_0_0')).resolves.toBeDefined();
  });

  test('a connection reset surfaces as a socket error, and the next call works', async () => {
    hub.faults.add({ path: '/devices/query', fault: 'reset', times: 1 });
    const error = await sdkError(registry.createQuery('SELECT * FROM devices', 10).nextAsTwin());
    expect(error.code ?? error.message).toMatch(/ECONNRESET|socket hang up/);
    expect((await registry.createQuery('SELECT * FROM devices', 10).nextAsTwin()).result).toHaveLength(3);
  });

  test('sandbox latency shrinks with the time scale: 60 sandbox seconds take about a real second', async () => {
    hub.faults.add({ method: 'GET', path: '/twins/**', fault: 'latency', ms: 60_000, times: 1 });
    const started = Date.now();
    await registry.getTwin('edge-canary-0002');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('counters and the request log', () => {
  test('each kind of call moves its own counter', async () => {
    const before = hub.counters();
    await registry.getConfiguration('front-1_0_0');
    await registry.getConfigurations();
    const current = (await registry.getConfiguration('front-1_0_0')).responseBody;
    await registry.updateConfiguration({ ...current, priority: 3 });
    await registry.updateTwin('edge-canary-0003', { tags: { site: 's' } }, '*');
    await registry.applyConfigurationContentOnDevice(
      'edge-canary-0003',
      edgeDeployment('x', 'registry.local/x:1').content!,
    );
    await registry.createQuery('SELECT * FROM devices', 2).nextAsTwin();
    await hubRequest(hub, 'POST', '/configurations/testQueries?api-version=2021-04-12', {
      body: { targetCondition: '' },
    });
    await registry.getTwin('edge-canary-0003');
    const after = hub.counters();
    expect({
      reads: after.reads - before.reads,
      writes: after.writes - before.writes,
      queries: after.queries - before.queries,
      throttled: after.throttled - before.throttled,
    }).toEqual({ reads: 3, writes: 3, queries: 2, throttled: 0 });
    expect(after.evaluations).toBeGreaterThanOrEqual(before.evaluations);
  });

  test('the request log is JSON lines without credentials', async () => {
    await registry.getConfiguration('front-1_0_0');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = readFileSync(requestLog, 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.at(-1)).toMatchObject({
      method: 'GET',
      path: '/configurations/front-1_0_0?api-version=2021-04-12',
      route: 'getConfiguration',
      status: 200,
    });
    expect(entries.some((e) => e.status === 401)).toBe(true);
    expect(text).not.toMatch(/SharedAccessSignature|sig=|Bearer|SharedAccessKey/);
  });
});
