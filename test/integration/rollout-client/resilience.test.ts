// SdkHubClient survives what a real hub does under load, against a sandbox hub over real HTTPS:
// storms of 429 (the sandbox throttles like S1, in sandbox time), injected 5xx and dropped
// connections. The sandbox runs 60× faster than real time and the client waits in sandbox time, so a
// 60 s Retry-After is 1 s real. (Much faster and the bucket refills while 50 TLS handshakes are still
// under way: 20 a sandbox minute is 200 a real second at 600×.) Nothing credential-like may appear in
// any logged line.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { Registry } from 'azure-iothub';
import { memoryLogger } from '../../../src/logger.js';
import { ConflictError, type NewDeployment } from '../../../src/rollout/hub-client.js';
import { RetriesExhaustedError } from '../../../src/rollout/retry.js';
import { SdkHubClient, type SdkHubClientOptions } from '../../../src/rollout/sdk-hub-client.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { edgeContent } from '../../support/edge-deployments.js';
import { startTestHub } from '../../support/sandbox.js';
import { hubAccessToken, staticTokenCredential } from '../../support/tokens.js';
import { expectNoSecrets, sharedAccessKeyOf } from './secrets.js';

const TIME_SCALE = 60;
const logger = memoryLogger();
let hub: SandboxHub;

function options(extra: Partial<SdkHubClientOptions> = {}): SdkHubClientOptions {
  return { sleep: (ms) => hub.clock.sleep(ms), now: () => hub.clock.now(), logger, ...extra };
}

function deployment(id: string, labels: Record<string, string> = {}): NewDeployment {
  return {
    id,
    labels: { app: 'storm', ...labels },
    content: edgeContent('registry.local/storm:1') as NewDeployment['content'],
    targetCondition: "tags.ring='canary'",
    priority: 5,
  };
}

/** The client's Registry, to make one SDK call fail after it reached the hub (no sandbox fault can). */
function registryOf(client: SdkHubClient): Registry {
  return (client as unknown as { registry: Registry }).registry;
}

function connectionReset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

beforeAll(async () => {
  hub = await startTestHub({ devices: 'canary=5,fleet=20', timeScale: TIME_SCALE, units: 1 });
  hub.throttle.enabled = false;
  await SdkHubClient.fromConnectionString(hub.connectionString, options()).createDeployment(
    deployment('storm-base'),
  );
});

beforeEach(() => {
  hub.faults.clear();
  hub.throttle.enabled = false;
});

afterAll(async () => {
  await hub.stop();
  expectNoSecrets(logger.lines, [sharedAccessKeyOf(hub.connectionString), hub.connectionString]);
});

describe('a storm of 429s', () => {
  test('50 concurrent reads on a 20-per-minute budget all succeed, honouring Retry-After', async () => {
    hub.throttle.enabled = true;
    const client = SdkHubClient.fromConnectionString(
      hub.connectionString,
      options({ retry: { maxAttempts: 12 } }),
    );
    const throttledBefore = hub.counters().throttled;
    const sandboxStart = hub.clock.now();
    const reads = await Promise.all(Array.from({ length: 50 }, () => client.getDeployment('storm-base')));
    expect(reads.every((read) => read?.id === 'storm-base')).toBe(true);
    expect(client.calls.reads).toBe(50);
    expect(client.calls.retries).toBeGreaterThan(0);
    expect(hub.counters().throttled - throttledBefore).toBe(client.calls.retries);
    // 30 reads over the burst at 20 a minute take at least 90 s of sandbox time.
    expect(hub.clock.now() - sandboxStart).toBeGreaterThanOrEqual(85_000);
    expect(
      logger.lines.some((line) =>
        /^IoT Hub throttled the request \(429\); retrying in \d+s, attempt 2 of 12/.test(line),
      ),
    ).toBe(true);
  });

  test('concurrent queries and testQueries over the query budget succeed too (bearer token)', async () => {
    hub.throttle.enabled = true;
    const client = SdkHubClient.fromTokenCredential(
      hub.hostName,
      staticTokenCredential(),
      options({ retry: { maxAttempts: 12 } }),
    );
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? client.testQueries("tags.ring='fleet'")
          : client.query("SELECT COUNT() AS n FROM devices WHERE tags.ring='fleet'"),
      ),
    );
    expect(results.filter((r) => Array.isArray(r))).toEqual(Array(20).fill([{ n: 20 }]));
    expect(client.calls.queries).toBe(30);
    expect(client.calls.retries).toBeGreaterThan(0);
    expectNoSecrets(logger.lines, [hubAccessToken().split('.')[1]!]);
  });
});

describe('server failures and dropped connections', () => {
  test('503s, 500s and resets on reads, writes, pages and testQueries are retried', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, options({ pageSize: 10 }));
    hub.faults.add({ method: 'GET', path: '/configurations/*', fault: 'error', status: 503, times: 2 });
    hub.faults.add({ method: 'PUT', path: '/configurations/*', fault: 'reset', times: 1 });
    hub.faults.add({
      method: 'POST',
      path: '/configurations/testQueries',
      fault: 'error',
      status: 500,
      times: 2,
    });
    hub.faults.add({ method: 'POST', path: '/devices/query', fault: 'reset', probability: 0.5 });

    expect((await client.getDeployment('storm-base'))?.id).toBe('storm-base');
    const created = await client.createDeployment(deployment('storm-reset'));
    expect(created.id).toBe('storm-reset');
    expect(await client.testQueries("tags.ring='canary'")).toEqual({
      targetConditionError: '',
      customMetricQueryErrors: {},
    });
    // 25 devices in pages of 10 while half the page requests are dropped: a retried page is the same page.
    const rows = await client.query('SELECT deviceId FROM devices');
    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((row) => row.deviceId)).size).toBe(25);
    expect(client.calls.queries).toBe(4); // testQueries and three pages
    expect(client.calls.retries).toBeGreaterThanOrEqual(5);
    for (const pattern of [
      /^IoT Hub answered 503 ServiceUnavailable; retrying/,
      /^IoT Hub answered 500 ServerError; retrying/,
      /^The connection to IoT Hub failed \(ECONNRESET\); retrying/,
    ]) {
      expect(logger.lines.some((line) => pattern.test(line))).toBe(true);
    }
  });

  test('a hub that keeps failing ends in an error that says what was tried', async () => {
    const client = SdkHubClient.fromConnectionString(
      hub.connectionString,
      options({ retry: { maxAttempts: 3 } }),
    );
    hub.faults.add({ method: 'GET', path: '/configurations', fault: 'error', status: 503 });
    const error = await client.listDeployments().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).message).toMatch(
      /gave up on list deployments after 3 attempts .*\(503 ServiceUnavailable ×3\)\. Last failure: 503 ServiceUnavailable: .*Azure status page/,
    );
    expectNoSecrets([(error as Error).message], [sharedAccessKeyOf(hub.connectionString)]);
  });
});

describe('a write that reached the hub before its connection dropped', () => {
  test('a create retried into 409 returns the deployment when it is what was sent', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, options());
    const registry = registryOf(client);
    const realAdd = registry.addConfiguration.bind(registry);
    let calls = 0;
    registry.addConfiguration = (async (configuration: Parameters<typeof realAdd>[0]) => {
      const result = await realAdd(configuration);
      if (++calls === 1) throw connectionReset();
      return result;
    }) as typeof registry.addConfiguration;
    const created = await client.createDeployment(deployment('applied-1_0_0'));
    expect(created).toMatchObject({ id: 'applied-1_0_0', labels: { app: 'storm' } });
    expect(client.calls).toMatchObject({ writes: 1, reads: 1, retries: 1 });
  });

  test('an update retried into 412 returns the deployment when the hub shows the change', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, options());
    const current = await client.createDeployment(deployment('applied-2_0_0'));
    const registry = registryOf(client);
    const realUpdate = registry.updateConfiguration.bind(registry);
    let calls = 0;
    registry.updateConfiguration = (async (configuration: Parameters<typeof realUpdate>[0]) => {
      const result = await realUpdate(configuration);
      if (++calls === 1) throw connectionReset();
      return result;
    }) as typeof registry.updateConfiguration;
    const updated = await client.updateDeployment(current, { targetCondition: "tags.ring='fleet'" });
    expect(updated.targetCondition).toBe("tags.ring='fleet'");
    expect(updated.etag).not.toBe(current.etag);
  });

  test('a create retried into 409 is a ConflictError when someone else made a different one', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, options());
    const other = SdkHubClient.fromConnectionString(hub.connectionString, options());
    const registry = registryOf(client);
    const realAdd = registry.addConfiguration.bind(registry);
    let calls = 0;
    registry.addConfiguration = (async (configuration: Parameters<typeof realAdd>[0]) => {
      if (++calls === 1) {
        await other.createDeployment(deployment('raced-1_0_0', { run: 'someone-else' }));
        throw connectionReset();
      }
      return realAdd(configuration);
    }) as typeof registry.addConfiguration;
    await expect(client.createDeployment(deployment('raced-1_0_0'))).rejects.toThrow(ConflictError);
  });
});
