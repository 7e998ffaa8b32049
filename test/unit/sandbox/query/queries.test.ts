import { describe, expect, test } from '@jest/globals';
import type { JsonObject } from '../../../../src/sandbox/hub-types.js';
import { compileQuery } from '../../../../src/sandbox/query/index.js';
import { deviceTwin, ids, moduleTwin } from './twins.js';

const devices: JsonObject[] = [
  deviceTwin('d1', { tags: { ring: 'canary', site: 'lyon' }, configurations: { 'rel-1-0': 'Applied' } }),
  deviceTwin('d2', { tags: { ring: 'pilot' }, reported: { arch: 'aarch64' } }),
  deviceTwin('d3', { tags: { ring: 'canary' } }),
  deviceTwin('d4', { tags: {} }),
  deviceTwin('d5', { tags: { ring: 'pilot' }, iotEdge: false }),
];

const modules: JsonObject[] = [
  moduleTwin('d1', '$edgeAgent'),
  moduleTwin('d1', '$edgeHub'),
  moduleTwin('d2', '$edgeAgent'),
];

describe('compileQuery: SELECT and FROM', () => {
  test.each([
    ['SELECT * FROM devices', 'devices'],
    ['select * from devices.modules', 'devices.modules'],
    ['Select * From Devices.Modules', 'devices.modules'],
  ])('%s reads %s', (sql, source) => {
    expect(compileQuery(sql).source).toBe(source);
  });

  test('SELECT * answers the matching documents themselves', () => {
    const rows = compileQuery("SELECT * FROM devices WHERE tags.ring = 'canary'").run(devices);
    expect(rows).toEqual([devices[0], devices[2]]);
    expect(rows[0]).toBe(devices[0]);
  });

  test('SELECT * without WHERE answers every document, from any iterable', () => {
    expect(ids(compileQuery('SELECT * FROM devices.modules').run(new Set(modules)))).toEqual([
      'd1',
      'd1',
      'd2',
    ]);
  });

  test.each<[string, JsonObject[]]>([
    ["SELECT deviceId FROM devices WHERE tags.ring = 'pilot'", [{ deviceId: 'd2' }, { deviceId: 'd5' }]],
    [
      "SELECT deviceId, tags.ring AS ring, tags.site FROM devices WHERE tags.ring = 'canary'",
      [
        { deviceId: 'd1', ring: 'canary', site: 'lyon' },
        { deviceId: 'd3', ring: 'canary' },
      ],
    ],
    [
      "SELECT DeviceId, LastActivityTime FROM devices WHERE deviceId = 'd4'",
      [{ deviceId: 'd4', lastActivityTime: '2025-01-01T00:00:00Z' }],
    ],
    ["SELECT properties.desired.$version FROM devices WHERE deviceId = 'd1'", [{ $version: 1 }]],
    [
      "SELECT deviceId, configurations.[[rel-1-0]].status FROM devices WHERE deviceId IN ['d1', 'd2']",
      [{ deviceId: 'd1', status: 'Applied' }, { deviceId: 'd2' }],
    ],
    [
      "SELECT deviceId, moduleId FROM devices.modules WHERE moduleId = '$edgeHub'",
      [{ deviceId: 'd1', moduleId: '$edgeHub' }],
    ],
    ['SELECT TOP 2 deviceId FROM devices', [{ deviceId: 'd1' }, { deviceId: 'd2' }]],
    ['SELECT TOP 0 * FROM devices', []],
  ])('%s', (sql, expected) => {
    expect(compileQuery(sql).run(sql.includes('devices.modules') ? modules : devices)).toEqual(expected);
  });
});

describe('compileQuery: COUNT() and GROUP BY', () => {
  test.each<[string, JsonObject[]]>([
    ['SELECT COUNT() AS n FROM devices', [{ n: 5 }]],
    ['SELECT COUNT() FROM devices WHERE capabilities.iotEdge = true', [{ $1: 4 }]],
    ["SELECT COUNT() AS n FROM devices WHERE tags.ring = 'fleet'", [{ n: 0 }]],
    ['SELECT COUNT(), COUNT() AS all, COUNT() FROM devices', [{ $1: 5, all: 5, $2: 5 }]],
    ["SELECT COUNT() AS agents FROM devices.modules WHERE moduleId = '$edgeAgent'", [{ agents: 2 }]],
    [
      'SELECT tags.ring, COUNT() AS n FROM devices GROUP BY tags.ring',
      [{ ring: 'canary', n: 2 }, { ring: 'pilot', n: 2 }, { n: 1 }],
    ],
    [
      'SELECT tags.ring AS r, COUNT() AS n FROM devices WHERE capabilities.iotEdge = true GROUP BY tags.ring',
      [{ r: 'canary', n: 2 }, { r: 'pilot', n: 1 }, { n: 1 }],
    ],
    [
      'SELECT COUNT() AS n, TAGS.RING FROM devices GROUP BY tags.ring',
      [{ n: 2, ring: 'canary' }, { n: 2, ring: 'pilot' }, { n: 1 }],
    ],
    ['SELECT tags.ring FROM devices GROUP BY tags.ring', [{ ring: 'canary' }, { ring: 'pilot' }, {}]],
    ['SELECT TOP 1 tags.ring, COUNT() AS n FROM devices GROUP BY tags.ring', [{ ring: 'canary', n: 2 }]],
    ["SELECT COUNT() AS n FROM devices WHERE tags.ring = 'fleet' GROUP BY tags.ring", []],
  ])('%s', (sql, expected) => {
    expect(compileQuery(sql).run(sql.includes('devices.modules') ? modules : devices)).toEqual(expected);
  });

  test('GROUP BY keeps values of different types apart', () => {
    const docs = [{ tags: { v: 1 } }, { tags: { v: '1' } }, { tags: { v: 1 } }, { tags: { v: null } }];
    const rows = compileQuery('SELECT tags.v, COUNT() AS n FROM devices GROUP BY tags.v').run(docs);
    expect(rows).toEqual([
      { v: 1, n: 2 },
      { v: '1', n: 1 },
      { v: null, n: 1 },
    ]);
  });

  test('GROUP BY on object values groups equal objects', () => {
    const docs = [{ tags: { o: { a: 1 } } }, { tags: { o: { a: 1 } } }, { tags: { o: { a: 2 } } }];
    const rows = compileQuery('SELECT COUNT() AS n FROM devices GROUP BY tags.o').run(docs);
    expect(rows).toEqual([{ n: 2 }, { n: 1 }]);
  });

  test('a compiled query runs again with fresh results', () => {
    const query = compileQuery('SELECT COUNT() AS n FROM devices');
    expect(query.run(devices)).toEqual([{ n: 5 }]);
    expect(query.run(devices.slice(0, 2))).toEqual([{ n: 2 }]);
  });
});
