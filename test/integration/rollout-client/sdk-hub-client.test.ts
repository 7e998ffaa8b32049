// SdkHubClient on the real azure-iothub SDK against a sandbox hub over real HTTPS (port 443 of a
// loopback address, a certificate from the test CA): deployments, paging, testQueries and both kinds
// of credentials. The sandbox runs 600× faster than real time and the client sleeps in sandbox time.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { memoryLogger } from '../../../src/logger.js';
import { ConflictError, PreconditionError, type NewDeployment } from '../../../src/rollout/hub-client.js';
import { HubRequestError } from '../../../src/rollout/hub-failure.js';
import { SdkHubClient } from '../../../src/rollout/sdk-hub-client.js';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { edgeContent } from '../../support/edge-deployments.js';
import { startTestHub } from '../../support/sandbox.js';
import { hubAccessToken, staticTokenCredential } from '../../support/tokens.js';
import { expectNoSecrets, sharedAccessKeyOf } from './secrets.js';

let hub: SandboxHub;
const logger = memoryLogger();

function clientOptions(sandbox: SandboxHub) {
  return { sleep: (ms: number) => sandbox.clock.sleep(ms), now: () => sandbox.clock.now(), logger };
}

function deployment(id: string, fields: Partial<NewDeployment> = {}): NewDeployment {
  return {
    id,
    labels: { app: 'demo', release: id },
    content: edgeContent(`registry.local/demo@sha256:${'a'.repeat(64)}`) as NewDeployment['content'],
    targetCondition: "tags.ring='canary'",
    priority: 10,
    ...fields,
  };
}

beforeAll(async () => {
  hub = await startTestHub({ devices: 'canary=5,fleet=20', throttle: false, timeScale: 600 });
});

afterAll(async () => {
  await hub.stop();
  expectNoSecrets(logger.lines, [sharedAccessKeyOf(hub.connectionString), hub.connectionString]);
});

describe('deployments with a connection string', () => {
  test('create, get, list, update with the etag, delete', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, clientOptions(hub));
    expect(client.hostName).toBe(hub.hostName);
    const metrics = { unhealthy: "SELECT deviceId FROM devices.modules WHERE moduleId='inference'" };
    const created = await client.createDeployment(deployment('crud-1_0_0', { metrics }));
    expect(created).toMatchObject({
      id: 'crud-1_0_0',
      schemaVersion: '1.0',
      priority: 10,
      labels: { app: 'demo', release: 'crud-1_0_0' },
      metrics: { queries: metrics },
    });
    expect(created.etag).toBeTruthy();
    expect(hub.model.getConfiguration('crud-1_0_0').schemaVersion).toBe('1.0');

    const read = await client.getDeployment('crud-1_0_0');
    expect(read).toMatchObject({ id: 'crud-1_0_0', etag: created.etag, content: created.content });
    expect(read?.systemMetrics?.queries).toHaveProperty('appliedCount');
    expect((await client.listDeployments()).map((d) => d.id)).toContain('crud-1_0_0');

    const widened = await client.updateDeployment(read!, {
      targetCondition: "tags.ring='canary' OR tags.ring='fleet'",
      labels: { ...read!.labels, ring: 'fleet' },
    });
    expect(widened).toMatchObject({
      targetCondition: "tags.ring='canary' OR tags.ring='fleet'",
      priority: 10,
      labels: { ring: 'fleet' },
      content: read!.content,
      metrics: { queries: metrics },
    });
    expect(widened.etag).not.toBe(read!.etag);

    await client.deleteDeployment('crud-1_0_0');
    expect(await client.getDeployment('crud-1_0_0')).toBeUndefined();
    await expect(client.deleteDeployment('crud-1_0_0')).resolves.toBeUndefined();
    expect(client.calls).toEqual({ reads: 3, writes: 4, queries: 0, retries: 0 });
  });

  test('an update with a stale etag is a PreconditionError, not retried', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, clientOptions(hub));
    const first = await client.createDeployment(deployment('stale-1_0_0'));
    await client.updateDeployment(first, { priority: 20 });
    const writesBefore = hub.counters().writes;
    await expect(client.updateDeployment(first, { priority: 21 })).rejects.toThrow(PreconditionError);
    // One request reached the hub: the 412 was not repeated.
    expect(hub.counters().writes - writesBefore).toBe(1);
    expect(client.calls.retries).toBe(0);
    expect((await client.getDeployment('stale-1_0_0'))?.priority).toBe(20);
  });

  test('creating an existing id is a ConflictError', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, clientOptions(hub));
    await client.createDeployment(deployment('dup-1_0_0'));
    const error = await client
      .createDeployment(deployment('dup-1_0_0', { priority: 11 }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/already exists/);
  });

  test('the hub’s other refusals are HubRequestErrors that say what the hub said', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, clientOptions(hub));
    const error = await client
      .createDeployment(deployment('bad-1_0_0', { targetCondition: 'tags.ring="canary"' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubRequestError);
    expect(error).toMatchObject({ status: 400, errorCode: 'InvalidConfigurationTargetCondition' });
    expect((error as Error).message).toMatch(
      /refused to create deployment 'bad-1_0_0': 400 .*[Dd]ouble quote/,
    );
  });
});

describe('queries', () => {
  let fleet: SandboxHub;
  beforeAll(async () => {
    fleet = await startTestHub({ devices: 'fleet=250', throttle: false, timeScale: 600 });
  });
  afterAll(() => fleet.stop());

  test('every page is read (250 devices in pages of 100: 3 queries), each device once', async () => {
    const client = SdkHubClient.fromConnectionString(fleet.connectionString, {
      ...clientOptions(fleet),
      pageSize: 100,
    });
    const before = fleet.counters().queries;
    const rows = await client.query('SELECT deviceId FROM devices');
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((row) => row.deviceId)).size).toBe(250);
    expect(client.calls.queries).toBe(3);
    expect(fleet.counters().queries - before).toBe(3);
  });

  test('a single-page aggregate is one query', async () => {
    const client = SdkHubClient.fromConnectionString(fleet.connectionString, clientOptions(fleet));
    expect(await client.query("SELECT COUNT() AS n FROM devices WHERE tags.ring='fleet'")).toEqual([
      { n: 250 },
    ]);
    expect(client.calls.queries).toBe(1);
  });
});

describe('testQueries', () => {
  test('a good condition and metric query have no errors', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, clientOptions(hub));
    const result = await client.testQueries("tags.ring='canary' OR tags.ring='fleet'", {
      healthy: "SELECT deviceId FROM devices.modules WHERE moduleId='inference'",
    });
    expect(result).toEqual({ targetConditionError: '', customMetricQueryErrors: {} });
    expect(client.calls.queries).toBe(1);
  });

  test('a condition with double quotes and a broken metric query are explained', async () => {
    const client = SdkHubClient.fromConnectionString(hub.connectionString, clientOptions(hub));
    const result = await client.testQueries('tags.ring="x"', { broken: 'SELECT FROM WHERE' });
    expect(result.targetConditionError).toMatch(/[Dd]ouble quote/);
    expect(Object.keys(result.customMetricQueryErrors)).toEqual(['broken']);
    expect(result.customMetricQueryErrors.broken).not.toBe('');
  });
});

describe('Entra ID bearer tokens', () => {
  test('fromTokenCredential creates, reads, queries and tests conditions', async () => {
    const client = SdkHubClient.fromTokenCredential(
      hub.hostName,
      staticTokenCredential(),
      clientOptions(hub),
    );
    const created = await client.createDeployment(deployment('entra-1_0_0'));
    expect((await client.getDeployment('entra-1_0_0'))?.etag).toBe(created.etag);
    expect(await client.query("SELECT COUNT() AS n FROM devices WHERE tags.ring='canary'")).toEqual([
      { n: 5 },
    ]);
    expect(await client.testQueries("tags.ring='canary'")).toEqual({
      targetConditionError: '',
      customMetricQueryErrors: {},
    });
  });

  test('a token from an untrusted issuer is a 401 that names what to check, without the token', async () => {
    const stranger = { iss: 'https://login.stranger.test/tenant/v2.0' };
    const client = SdkHubClient.fromTokenCredential(
      `https://${hub.hostName}/`,
      staticTokenCredential(stranger),
      clientOptions(hub),
    );
    for (const call of [() => client.listDeployments(), () => client.testQueries("tags.ring='canary'")]) {
      const error = (await call().catch((e: unknown) => e)) as HubRequestError;
      expect(error).toBeInstanceOf(HubRequestError);
      expect(error.status).toBe(401);
      expect(error.message).toMatch(/IoT Hub Data Contributor/);
      expectNoSecrets([error.message], [hubAccessToken(stranger).split('.')[1]!]);
    }
  });
});
