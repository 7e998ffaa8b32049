// Configurations (IoT Edge deployments) through the UNCHANGED azure-iothub SDK, over real HTTPS, against a
// sandbox hub on port 443 of a loopback address: the calls and the errors a rollout relies on.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import iothub, { type Configuration } from 'azure-iothub';
import type { SandboxHub } from '../../../src/sandbox/index.js';
import { edgeDeployment } from '../../support/edge-deployments.js';
import { hubErrorCode, hubRequest, startTestHub } from '../../support/sandbox.js';
import { expectSdkError } from '../../support/sdk-errors.js';
import { staticTokenCredential } from '../../support/tokens.js';

const { Registry } = iothub;
let hub: SandboxHub;
let registry: InstanceType<typeof Registry>;

beforeAll(async () => {
  hub = await startTestHub({ devices: 'canary=2,fleet=3', throttle: false });
  registry = Registry.fromConnectionString(hub.connectionString);
});

afterAll(() => hub.stop());

describe('create, read, update, delete', () => {
  test('addConfiguration → getConfiguration → updateConfiguration with the etag', async () => {
    const created = await registry.addConfiguration(
      edgeDeployment('demo-1_0_0', 'registry.local/demo@sha256:aa'),
    );
    expect(created.httpResponse.statusCode).toBe(200);
    const stored = created.responseBody as Configuration;
    expect(stored).toMatchObject({ id: 'demo-1_0_0', priority: 10, targetCondition: "tags.ring='canary'" });
    expect(stored.etag).toBeTruthy();
    expect(created.httpResponse.headers.etag).toBe(`"${stored.etag}"`);

    const read = (await registry.getConfiguration('demo-1_0_0')).responseBody as Configuration;
    expect(read.etag).toBe(stored.etag);
    expect(read.systemMetrics?.queries).toHaveProperty('appliedCount');

    const widened = { ...read, targetCondition: "tags.ring='canary' OR tags.ring='fleet'", priority: 11 };
    const updated = (await registry.updateConfiguration(widened)).responseBody as Configuration;
    expect(updated).toMatchObject({ targetCondition: widened.targetCondition, priority: 11 });
    expect(updated.etag).not.toBe(read.etag);
  });

  test('an update with a stale etag is InvalidEtagError (412); forceUpdate (If-Match *) passes', async () => {
    await registry.addConfiguration(edgeDeployment('demo-stale', 'registry.local/demo:1'));
    const first = (await registry.getConfiguration('demo-stale')).responseBody as Configuration;
    await registry.updateConfiguration({ ...first, priority: 20 });
    await expectSdkError(
      registry.updateConfiguration({ ...first, priority: 21 }),
      'InvalidEtagError',
      412,
      'PreconditionFailed',
    );
    const forced = (await registry.updateConfiguration({ ...first, priority: 22 }, true))
      .responseBody as Configuration;
    expect(forced.priority).toBe(22);
  });

  test('creating an existing id is a 409 conflict (ConfigurationAlreadyExists)', async () => {
    await registry.addConfiguration(edgeDeployment('demo-dup', 'registry.local/demo:1'));
    await expectSdkError(
      registry.addConfiguration(edgeDeployment('demo-dup', 'registry.local/demo:2')),
      'DeviceAlreadyExistsError',
      409,
      'ConfigurationAlreadyExists',
    );
  });

  test('changing the content of an existing configuration is ArgumentError (400)', async () => {
    await registry.addConfiguration(edgeDeployment('demo-immutable', 'registry.local/demo:1'));
    const current = (await registry.getConfiguration('demo-immutable')).responseBody as Configuration;
    const changed = { ...current, content: edgeDeployment('x', 'registry.local/demo:2').content };
    await expectSdkError(registry.updateConfiguration(changed), 'ArgumentError', 400, 'ArgumentInvalid');
  });

  test("ids with '()!* survive the SDK's encoding both ways", async () => {
    const id = "demo-1_4_0'(rc)!*";
    await registry.addConfiguration(edgeDeployment(id, 'registry.local/demo:rc'));
    expect(((await registry.getConfiguration(id)).responseBody as Configuration).id).toBe(id);
    expect((await registry.removeConfiguration(id)).httpResponse.statusCode).toBe(204);
  });

  test('getConfigurations lists them; removeConfiguration deletes; a missing one is 404', async () => {
    await registry.addConfiguration(edgeDeployment('demo-gone', 'registry.local/demo:1'));
    const ids = ((await registry.getConfigurations()).responseBody as Configuration[]).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['demo-1_0_0', 'demo-gone']));
    await registry.removeConfiguration('demo-gone');
    // The SDK maps a 404 that is not DeviceNotFound to a plain Error('Not found').
    await expectSdkError(registry.getConfiguration('demo-gone'), 'Error', 404, 'ConfigurationNotFound');
    await expectSdkError(registry.removeConfiguration('demo-gone'), 'Error', 404, 'ConfigurationNotFound');
  });
});

describe('quota', () => {
  test('100 configurations fit; the 101st is 403 ConfigurationCountLimitExceeded', async () => {
    const existing = ((await registry.getConfigurations()).responseBody as Configuration[]).length;
    for (let i = existing; i < 100; i++) {
      await registry.addConfiguration(
        edgeDeployment(`quota-${i}`, 'registry.local/demo:1', { targetCondition: '' }),
      );
    }
    expect(((await registry.getConfigurations()).responseBody as Configuration[]).length).toBe(100);
    await expectSdkError(
      registry.addConfiguration(edgeDeployment('quota-101st', 'registry.local/demo:1')),
      'TooManyDevicesError',
      403,
      'ConfigurationCountLimitExceeded',
    );
    for (let i = existing; i < 100; i++) await registry.removeConfiguration(`quota-${i}`);
  });
});

describe('testQueries (not wrapped by the Registry: a direct HTTPS POST)', () => {
  test('a good target condition and metric query pass', async () => {
    const response = await hubRequest(hub, 'POST', '/configurations/testQueries?api-version=2021-04-12', {
      body: {
        targetCondition: "tags.ring='canary' AND tags.app='demo'",
        customMetricQueries: { healthy: "SELECT deviceId FROM devices.modules WHERE moduleId='$edgeAgent'" },
      },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ targetConditionError: '', customMetricQueryErrors: {} });
  });

  test('bad queries are reported per query, not as a failed request', async () => {
    const response = await hubRequest(hub, 'POST', '/configurations/testQueries?api-version=2021-04-12', {
      body: { targetCondition: 'tags.ring="canary"', customMetricQueries: { broken: 'SELECT FROM' } },
    });
    expect(response.status).toBe(200);
    const result = response.body as {
      targetConditionError: string;
      customMetricQueryErrors: Record<string, string>;
    };
    expect(result.targetConditionError).not.toBe('');
    expect(result.customMetricQueryErrors.broken).toBeTruthy();
  });
});

describe('Entra ID through Registry.fromTokenCredential', () => {
  test('a token from the trusted issuer is accepted', async () => {
    const viaEntra = Registry.fromTokenCredential(hub.hostName, staticTokenCredential());
    const list = (await viaEntra.getConfigurations()).responseBody as Configuration[];
    expect(list.map((c) => c.id)).toContain('demo-1_0_0');
  });

  test('a token from another issuer is UnauthorizedError (401)', async () => {
    const stranger = Registry.fromTokenCredential(
      hub.hostName,
      staticTokenCredential({ iss: 'https://evil.example/v2.0' }),
    );
    const error = await expectSdkError(
      stranger.getConfigurations(),
      'UnauthorizedError',
      401,
      'IotHubUnauthorizedAccess',
    );
    expect(error.message).toMatch(/issuer 'https:\/\/evil.example\/v2.0' is not trusted/);
  });
});

test('the raw error body is the service shape', async () => {
  const response = await hubRequest(hub, 'GET', '/configurations/nope?api-version=2021-04-12');
  expect(response.status).toBe(404);
  expect(hubErrorCode(response.body)).toBe('ConfigurationNotFound');
  expect(response.headers['iothub-errorcode']).toBe('ConfigurationNotFound');
});
