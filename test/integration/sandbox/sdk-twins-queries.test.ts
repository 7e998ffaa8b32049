// Twins, queries and per-device content through the UNCHANGED azure-iothub SDK over HTTPS. Query
// semantics are tested in depth by the query engine's own tests; these prove the wire: paging with
// continuation tokens, item types, twin etags, and a rollout's system-metric query end to end.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import iothub, { type Configuration, type Twin } from 'azure-iothub';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { edgeContent, edgeDeployment } from '../../support/edge-deployments.js';
import { eventually, startTestHub } from '../../support/sandbox.js';
import { expectSdkError } from '../../support/sdk-errors.js';

const { Registry } = iothub;
let hub: SandboxHub;
let registry: InstanceType<typeof Registry>;

beforeAll(async () => {
  // 600× time: the 15 s first evaluation, 20–60 s agent reports and 5 min cycle take milliseconds.
  hub = await startTestHub({ devices: 'canary=50,fleet=200', timeScale: 600, throttle: false });
  registry = Registry.fromConnectionString(hub.connectionString);
});

afterAll(() => hub.stop());

async function allPages(sql: string, pageSize: number): Promise<unknown[][]> {
  const query = registry.createQuery(sql, pageSize);
  const pages: unknown[][] = [];
  // The promise form of next() must be given the token: next() with no argument sends none and so
  // restarts at the first page (azure-iothub 1.16.6 query.js); nextAsTwin() falls back to its own.
  while (query.hasMoreResults) pages.push((await query.next(query.continuationToken)).result as unknown[]);
  return pages;
}

describe('createQuery', () => {
  test('250 twins in pages of 100 come back as 100 + 100 + 50, following x-ms-continuation', async () => {
    const query = registry.createQuery('SELECT * FROM devices', 100);
    const first = await query.nextAsTwin();
    expect(first.result).toHaveLength(100);
    expect(first.message.headers['x-ms-item-type']).toBe('twin');
    expect(query.hasMoreResults).toBe(true);
    expect(query.continuationToken).toBeTruthy();
    const second = await query.nextAsTwin();
    const third = await query.nextAsTwin();
    expect([second.result.length, third.result.length, query.hasMoreResults]).toEqual([100, 50, false]);
    const ids = [...first.result, ...second.result, ...third.result].map((twin: Twin) => twin.deviceId);
    expect(new Set(ids).size).toBe(250);
    expect(hub.counters().queries).toBeGreaterThanOrEqual(3);
  });

  test('projections and aggregates are raw items', async () => {
    const pages = await allPages("SELECT COUNT() AS devices FROM devices WHERE tags.ring = 'fleet'", 10);
    expect(pages).toEqual([[{ devices: 200 }]]);
    const ids = await allPages("SELECT deviceId FROM devices WHERE tags.ring = 'canary'", 20);
    expect(ids.map((page) => page.length)).toEqual([20, 20, 10]);
  });

  test('a bad query is ArgumentError (400)', async () => {
    await expectSdkError(registry.createQuery('SELECT * FROM nowhere', 10).next(), 'ArgumentError', 400);
  });
});

describe('twins', () => {
  test('getTwin → updateTwin with its etag; a stale etag is InvalidEtagError (412)', async () => {
    const twin = (await registry.getTwin('edge-canary-0001')).responseBody;
    expect(twin.tags).toEqual({ ring: 'canary' });
    const patched = (await registry.updateTwin('edge-canary-0001', { tags: { site: 'plant-7' } }, twin.etag))
      .responseBody;
    expect(patched.tags).toEqual({ ring: 'canary', site: 'plant-7' });
    expect(patched.etag).not.toBe(twin.etag);
    await expectSdkError(
      registry.updateTwin('edge-canary-0001', { tags: { site: 'x' } }, twin.etag),
      'InvalidEtagError',
      412,
      'PreconditionFailed',
    );
  });

  test('a device the hub does not have is DeviceNotFoundError (404)', async () => {
    await expectSdkError(registry.getTwin('no-such-device'), 'DeviceNotFoundError', 404, 'DeviceNotFound');
  });

  test('module twins: $edgeAgent is readable; its etag comes back in the header', async () => {
    const response = await registry.getModuleTwin('edge-fleet-0001', '$edgeAgent');
    expect(response.responseBody).toMatchObject({ deviceId: 'edge-fleet-0001', moduleId: '$edgeAgent' });
    expect(response.httpResponse.headers.etag).toBe(`"${response.responseBody.etag}"`);
  });

  test('applyConfigurationContentOnDevice answers 204 and the device gets the modules', async () => {
    const response = await registry.applyConfigurationContentOnDevice(
      'edge-fleet-0002',
      edgeContent('registry.local/solo:7'),
    );
    expect(response.httpResponse.statusCode).toBe(204);
    const agent = (await registry.getModuleTwin('edge-fleet-0002', '$edgeAgent')).responseBody;
    expect(JSON.stringify(agent.properties.desired)).toContain('registry.local/solo:7');
  });
});

describe('a rollout step end to end', () => {
  test('the canary ring reports success for a deployment, seen through the system-metric query', async () => {
    const added = await registry.addConfiguration(
      edgeDeployment('demo-2_0_0', 'registry.local/demo:2.0.0', { priority: 5 }),
    );
    const configuration = added.responseBody as Configuration;
    const successQuery = configuration.systemMetrics!.queries!.reportedSuccessfulCount!;
    expect(successQuery).toContain("configurations.[[demo-2_0_0]].status = 'Applied'");
    const succeeded = await eventually(
      async () => {
        const pages = await allPages(successQuery, 100);
        const count = pages.flat().length;
        return count === 50 ? count : undefined;
      },
      15_000,
      'all 50 canary devices to report success',
    );
    expect(succeeded).toBe(50);
    expect(hub.counters().evaluations).toBeGreaterThan(0);
  });
});
