// Device identities, device and module twins, twin patches and queries over the live twins.
import { describe, expect, test } from '@jest/globals';
import type { JsonObject } from '../../../../src/sandbox/hub-types.js';
import { errorOf, newHub, queryAll } from './helpers.js';

function hubWithDevices() {
  const test = newHub();
  test.hub.addEdgeDevices([
    { deviceId: 'edge-1', tags: { ring: 'canary', site: { city: 'Oslo' } }, architecture: 'aarch64' },
    { deviceId: 'edge-2', tags: { ring: 'pilot' } },
  ]);
  return test;
}

describe('devices and twins', () => {
  test('getDevice answers the identity: edge capability, SAS authentication without keys', () => {
    const { hub } = hubWithDevices();
    const device = hub.getDevice('edge-1');
    expect(device).toMatchObject({
      deviceId: 'edge-1',
      status: 'enabled',
      connectionState: 'Connected',
      capabilities: { iotEdge: true },
      authentication: { type: 'sas' },
    });
    expect(device.generationId).toMatch(/^\d+$/);
    expect(typeof device.etag).toBe('string');
    expect(JSON.stringify(device)).not.toMatch(/primaryKey|symmetricKey/);
    expect(errorOf(() => hub.getDevice('nope'))).toMatchObject({ status: 404, code: 'DeviceNotFound' });
  });

  test('a device twin carries the spec tags and edge capability; duplicates are 409', () => {
    const { hub } = hubWithDevices();
    expect(hub.getTwin('edge-1')).toMatchObject({
      deviceId: 'edge-1',
      version: expect.any(Number),
      capabilities: { iotEdge: true },
      tags: { ring: 'canary', site: { city: 'Oslo' } },
      properties: { desired: { $version: 1 }, reported: { $version: 1 } },
      configurations: {},
    });
    expect(() => hub.addEdgeDevice({ deviceId: 'edge-1' })).toThrow(/already registered/);
    expect(errorOf(() => hub.getTwin('nope'))).toMatchObject({ status: 404, code: 'DeviceNotFound' });
  });

  test('every edge device has $edgeAgent (reporting its platform, not yet configured) and $edgeHub twins', () => {
    const { hub } = hubWithDevices();
    const agent = hub.getModuleTwin('edge-1', '$edgeAgent');
    expect(agent).toMatchObject({
      deviceId: 'edge-1',
      moduleId: '$edgeAgent',
      connectionState: 'Connected',
      properties: {
        desired: { $version: 1 },
        reported: {
          runtime: { type: 'docker', platform: { os: 'linux', architecture: 'aarch64' } },
          systemModules: { edgeAgent: { runtimeStatus: 'running' } },
          lastDesiredVersion: 1,
          lastDesiredStatus: { code: 417 },
        },
      },
    });
    expect(hub.getModuleTwin('edge-2', '$edgeAgent').properties.reported).toMatchObject({
      runtime: { platform: { architecture: 'x86_64' } },
    });
    expect(hub.getModuleTwin('edge-1', '$edgeHub').moduleId).toBe('$edgeHub');
    expect(errorOf(() => hub.getModuleTwin('edge-1', 'inference'))).toMatchObject({
      status: 404,
      code: 'ModuleNotFound',
    });
    expect(errorOf(() => hub.getModuleTwin('nope', '$edgeAgent'))).toMatchObject({
      status: 404,
      code: 'DeviceNotFound',
    });
  });

  test('patchTwin merges tags and desired properties (null deletes) and bumps version and etag', () => {
    const { hub } = hubWithDevices();
    const before = hub.getTwin('edge-1');
    const after = hub.patchTwin(
      'edge-1',
      {
        tags: { ring: 'pilot', site: { city: null, country: 'NO' } },
        properties: { desired: { telemetry: { interval: 5 } } },
      },
      before.etag,
    );
    expect(after.tags).toEqual({ ring: 'pilot', site: { country: 'NO' } });
    expect(after.properties.desired).toEqual({ telemetry: { interval: 5 }, $version: 2 });
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.etag).not.toBe(before.etag);
    const again = hub.patchTwin(
      'edge-1',
      { properties: { desired: { telemetry: null } } },
      `"${after.etag}"`,
    );
    expect(again.properties.desired).toEqual({ $version: 3 });
  });

  test('patchTwin: stale If-Match is 412, reported properties and $-names are 400, unknown device 404', () => {
    const { hub } = hubWithDevices();
    const { etag } = hub.getTwin('edge-1');
    hub.patchTwin('edge-1', { tags: { x: 1 } });
    expect(errorOf(() => hub.patchTwin('edge-1', { tags: { x: 2 } }, etag))).toMatchObject({
      status: 412,
      code: 'PreconditionFailed',
    });
    expect(hub.patchTwin('edge-1', { tags: { x: 3 } }, '*').tags.x).toBe(3);
    expect(errorOf(() => hub.patchTwin('edge-1', { properties: { reported: { a: 1 } } }))).toMatchObject({
      status: 400,
    });
    expect(
      errorOf(() => hub.patchTwin('edge-1', { properties: { desired: { $version: 9 } } })),
    ).toMatchObject({
      status: 400,
    });
    expect(errorOf(() => hub.patchTwin('nope', { tags: {} }))).toMatchObject({ status: 404 });
  });

  test('patchModuleTwin merges desired properties and bumps $version; stale etag is 412', () => {
    const { hub } = hubWithDevices();
    const before = hub.getModuleTwin('edge-1', '$edgeHub');
    const after = hub.patchModuleTwin(
      'edge-1',
      '$edgeHub',
      { properties: { desired: { routes: { r: 'FROM /* INTO $upstream' } } } },
      before.etag,
    );
    expect(after.properties.desired).toEqual({ routes: { r: 'FROM /* INTO $upstream' }, $version: 2 });
    expect(
      errorOf(() => hub.patchModuleTwin('edge-1', '$edgeHub', { properties: { desired: {} } }, before.etag)),
    ).toMatchObject({
      status: 412,
    });
  });

  test('answers copies: changing what getTwin returned does not change the hub', () => {
    const { hub } = hubWithDevices();
    const twin = hub.getTwin('edge-1');
    (twin.tags.site as JsonObject).city = 'Bergen';
    twin.capabilities.iotEdge = false;
    const agent = hub.getModuleTwin('edge-1', '$edgeAgent');
    (agent.properties.reported.runtime as JsonObject).type = 'changed';
    expect(hub.getTwin('edge-1')).toMatchObject({
      tags: { site: { city: 'Oslo' } },
      capabilities: { iotEdge: true },
    });
    expect(hub.getModuleTwin('edge-1', '$edgeAgent').properties.reported.runtime).toMatchObject({
      type: 'docker',
    });
    expect(hub.getModuleTwin('edge-2', '$edgeAgent').properties.reported.runtime).toMatchObject({
      type: 'docker',
    });
  });
});

describe('queries', () => {
  function fleet(count: number) {
    const test = newHub();
    test.hub.addEdgeDevices(
      Array.from({ length: count }, (_, i) => ({
        deviceId: `d${String(i).padStart(3, '0')}`,
        tags: { ring: i % 2 ? 'odd' : 'even' },
      })),
    );
    return test;
  }

  test('pages with an opaque continuation token; default page size 100, capped at 10000', () => {
    const { hub } = fleet(250);
    const first = hub.query('select * from devices', 0);
    expect(first.items).toHaveLength(100);
    expect(first.continuation).toEqual(expect.any(String));
    const second = hub.query('select * from devices', 0, first.continuation);
    const third = hub.query('select * from devices', 0, second.continuation);
    expect(third.items).toHaveLength(50);
    expect(third.continuation).toBeUndefined();
    const ids = [...first.items, ...second.items, ...third.items].map((t) => (t as JsonObject).deviceId);
    expect(new Set(ids).size).toBe(250);
    expect(hub.query('select deviceId from devices', 50_000).items).toHaveLength(250);
    expect(queryAll(hub, "select deviceId from devices where tags.ring = 'odd'", 7)).toHaveLength(125);
  });

  test('runs over the live twins: a tag change shows in the next query', () => {
    const { hub } = fleet(4);
    const sql = "select deviceId from devices where tags.ring = 'blue'";
    expect(queryAll(hub, sql)).toEqual([]);
    hub.patchTwin('d002', { tags: { ring: 'blue' } });
    expect(queryAll(hub, sql)).toEqual([{ deviceId: 'd002' }]);
  });

  test('queries module twins, and answers copies of whole twins', () => {
    const { hub } = fleet(3);
    expect(
      queryAll(hub, "select deviceId, moduleId from devices.modules where moduleId = '$edgeAgent'"),
    ).toHaveLength(3);
    const [twin] = hub.query("select * from devices where deviceId = 'd000'", 10).items as JsonObject[];
    (twin!.tags as JsonObject).ring = 'changed';
    expect(hub.getTwin('d000').tags.ring).toBe('even');
  });

  test('a bad query is 400 naming the problem; a foreign or broken continuation token is 400', () => {
    const { hub } = fleet(5);
    expect(errorOf(() => hub.query('select from nowhere', 10))).toMatchObject({ status: 400 });
    const page = hub.query('select * from devices', 2);
    expect(errorOf(() => hub.query('select deviceId from devices', 2, page.continuation))).toMatchObject({
      status: 400,
    });
    expect(errorOf(() => hub.query('select * from devices', 2, 'not-a-token'))).toMatchObject({
      status: 400,
    });
  });
});
