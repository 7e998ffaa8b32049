import { describe, expect, test } from '@jest/globals';
import {
  architectureCoverage,
  architectureQuery,
  countArchitectures,
  edgeAgentArchitecturesQuery,
  edgeDevicesQuery,
  failedSamplesQuery,
  gateQueries,
  gateQueryCount,
  moduleHealthQuery,
  normalisePlatform,
  platformOfArchitecture,
  readArchitectureRows,
  readCount,
  systemMetricQueries,
  targetedQuery,
  unhealthySamplesQuery,
  type GateQueryOptions,
} from '../../../src/rollout/index.js';
import type { JsonObject } from '../../../src/sandbox/hub-types.js';
import { compileQuery } from '../../../src/sandbox/query/index.js';

const ID = 'vision-1_4_0';

interface AgentSpec {
  applied?: boolean;
  /** edgeAgent's status code for the current desired version; undefined = not reported yet. */
  code?: number;
  connected?: boolean;
  module?: { runtimeStatus: string; restartCount: number; exitCode?: number };
  architecture?: string;
  moduleName?: string;
}

function deviceTwin(deviceId: string, ring: string, iotEdge = true): JsonObject {
  return { deviceId, capabilities: { iotEdge }, tags: { ring }, properties: { desired: {}, reported: {} } };
}

function edgeAgent(deviceId: string, spec: AgentSpec): JsonObject {
  const reported: JsonObject = { lastDesiredVersion: spec.code === undefined ? 6 : 7 };
  if (spec.code !== undefined)
    reported.lastDesiredStatus = {
      code: spec.code,
      description: spec.code === 200 ? '' : 'invalid configuration',
    };
  if (spec.module) reported.modules = { [spec.moduleName ?? 'model']: spec.module };
  if (spec.architecture) reported.runtime = { platform: { OS: 'linux', architecture: spec.architecture } };
  return {
    deviceId,
    moduleId: '$edgeAgent',
    connectionState: spec.connected === false ? 'Disconnected' : 'Connected',
    properties: { desired: { $version: 7 }, reported },
    configurations:
      spec.applied === false ? { [ID]: { status: 'Targeted' } } : { [ID]: { status: 'Applied' } },
  };
}

const running = { runtimeStatus: 'running', restartCount: 0 };
const AGENTS: Array<[string, AgentSpec]> = [
  ['ok', { code: 200, module: running, architecture: 'x86_64' }],
  [
    'backoff',
    {
      code: 200,
      module: { runtimeStatus: 'backoff', restartCount: 5, exitCode: 139 },
      architecture: 'aarch64',
    },
  ],
  ['restarts', { code: 200, module: { runtimeStatus: 'running', restartCount: 3 }, architecture: 'aarch64' }],
  ['refused', { code: 400, architecture: 'armv7l' }],
  ['offline', { connected: false }],
  ['pending', {}],
  ['overridden', { applied: false, code: 200, module: running }],
  ['no-module', { code: 200, architecture: 'x86_64' }],
];
const DEVICES = [
  ...AGENTS.map(([id]) => deviceTwin(id, 'canary')),
  deviceTwin('other', 'fleet'),
  deviceTwin('leaf', 'canary', false),
];
const MODULES = [...AGENTS.map(([id, spec]) => edgeAgent(id, spec)), edgeAgent('other', { applied: false })];

function run(sql: string): JsonObject[] {
  const query = compileQuery(sql);
  return query.run(query.source === 'devices' ? DEVICES : MODULES);
}

const OPTIONS: GateQueryOptions = {
  deploymentId: ID,
  condition: "tags.ring='canary'",
  moduleName: 'model',
  maxRestarts: 2,
  requireRunning: true,
};

describe('system metric queries', () => {
  test('are the hub’s own strings (reference §1.9)', () => {
    expect(systemMetricQueries(ID)).toEqual({
      appliedCount: `select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[${ID}]].status = 'Applied'`,
      reportedSuccessfulCount:
        `select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[${ID}]].status = 'Applied'` +
        ' and properties.desired.$version = properties.reported.lastDesiredVersion and properties.reported.lastDesiredStatus.code = 200',
      reportedFailedCount:
        `select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[${ID}]].status = 'Applied'` +
        ' and properties.desired.$version = properties.reported.lastDesiredVersion and properties.reported.lastDesiredStatus.code != 200',
    });
    expect(targetedQuery("tags.ring='canary'")).toBe(
      "select deviceId from devices where capabilities.iotEdge = true and (tags.ring='canary')",
    );
  });

  test.each([
    ['appliedCount', ['ok', 'backoff', 'restarts', 'refused', 'offline', 'pending', 'no-module']],
    ['reportedSuccessfulCount', ['ok', 'backoff', 'restarts', 'no-module']],
    ['reportedFailedCount', ['refused']],
  ] as [keyof ReturnType<typeof systemMetricQueries>, string[]][])(
    '%s lists the expected devices',
    (metric, ids) => {
      expect(run(systemMetricQueries(ID)[metric]).map((row) => row.deviceId)).toEqual(ids);
    },
  );
});

describe('gate queries', () => {
  const queries = gateQueries(OPTIONS);

  test.each([
    ['targeted', 8],
    ['applied', 7],
    ['reportedSuccess', 4],
    ['reportedFailure', 1],
    ['unhealthy', 2],
    ['restartsExceeded', 1],
    ['offline', 1],
  ] as [keyof typeof queries, number][])('%s counts %d devices', (field, count) => {
    expect(readCount(run(queries[field]!))).toBe(count);
  });

  test('cost one query each: 7 per observation, 6 without the running check', () => {
    expect(gateQueryCount(queries)).toBe(7);
    expect(gateQueryCount(gateQueries({ ...OPTIONS, requireRunning: false }))).toBe(6);
  });

  test('without the running check, restarts count whatever the status', () => {
    expect(readCount(run(gateQueries({ ...OPTIONS, requireRunning: false }).restartsExceeded))).toBe(2);
  });

  test('a module name with a dash is bracketed', () => {
    const dashed = gateQueries({ ...OPTIONS, moduleName: 'my-model' });
    expect(dashed.unhealthy).toContain('properties.reported.modules.[[my-model]].runtimeStatus');
    expect(() => compileQuery(dashed.unhealthy!)).not.toThrow();
  });

  test('samples name the failing devices', () => {
    expect(run(failedSamplesQuery(ID, 5))).toEqual([
      { deviceId: 'refused', status: { code: 400, description: 'invalid configuration' } },
    ]);
    expect(run(unhealthySamplesQuery(OPTIONS, 5))).toEqual([
      { deviceId: 'backoff', status: 'backoff', restarts: 5, exitCode: 139 },
      { deviceId: 'restarts', status: 'running', restarts: 3 },
      { deviceId: 'no-module' },
    ]);
    expect(run(unhealthySamplesQuery(OPTIONS, 1))).toHaveLength(1);
  });

  test('module health lists every applied device', () => {
    expect(run(moduleHealthQuery(ID, 'model')).map((row) => row.deviceId)).toHaveLength(7);
  });

  test.each([
    [[{ count: 3 }], 3],
    [[{ numberOfDevices: 0 }], 0],
    [[], 0],
    [[5], 5],
  ])('readCount(%j) = %d', (rows, count) => {
    expect(readCount(rows)).toBe(count);
  });

  test('readCount refuses a row without a number', () => {
    expect(() => readCount([{ deviceId: 'x' }])).toThrow(/COUNT/);
  });
});

describe('architecture queries', () => {
  test('group edge agents by reported architecture', () => {
    const counts = readArchitectureRows(run(architectureQuery()));
    expect(counts).toEqual(
      expect.arrayContaining([
        { architecture: 'x86_64', devices: 2 },
        { architecture: 'aarch64', devices: 2 },
        { architecture: 'armv7l', devices: 1 },
        { devices: 4 },
      ]),
    );
    const applied = readArchitectureRows(run(architectureQuery(ID)));
    expect(applied.reduce((sum, row) => sum + row.devices, 0)).toBe(7);
  });

  test('plan listing queries parse', () => {
    expect(run(edgeAgentArchitecturesQuery())).toHaveLength(MODULES.length);
    expect(run(edgeDevicesQuery()).map((row) => row.deviceId)).not.toContain('leaf');
    expect(run(edgeDevicesQuery({ reported: true }))[0]).toHaveProperty('reported');
  });
});

describe('architectures and platforms', () => {
  test.each([
    ['x86_64', 'linux/amd64'],
    ['AMD64', 'linux/amd64'],
    ['x64', 'linux/amd64'],
    ['aarch64', 'linux/arm64'],
    ['arm64', 'linux/arm64'],
    ['armv7l', 'linux/arm/v7'],
    ['arm32v7', 'linux/arm/v7'],
    ['armhf', 'linux/arm/v7'],
    ['mips', undefined],
    ['', undefined],
  ])('architecture %j needs %j', (architecture, platform) => {
    expect(platformOfArchitecture(architecture)).toBe(platform);
  });

  test.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm/v7', 'linux/arm/v7'],
    ['linux/arm', 'linux/arm/v7'],
    ['arm32v7', 'linux/arm/v7'],
    ['amd64', 'linux/amd64'],
    ['Linux/ARM64', 'linux/arm64'],
    ['windows/amd64', 'windows/amd64'],
  ])('platform %j is %j', (platform, canonical) => {
    expect(normalisePlatform(platform)).toBe(canonical);
  });

  test('coverage splits devices into covered, missing and unknown', () => {
    const counts = countArchitectures(['x86_64', 'aarch64', 'x86_64', undefined, 'armv7l', 'sparc']);
    expect(architectureCoverage(counts, ['linux/amd64', 'linux/arm64/v8'])).toEqual({
      covered: [
        { architecture: 'x86_64', platform: 'linux/amd64', devices: 2 },
        { architecture: 'aarch64', platform: 'linux/arm64', devices: 1 },
      ],
      missing: [{ architecture: 'armv7l', platform: 'linux/arm/v7', devices: 1 }],
      unknown: [{ devices: 1 }, { architecture: 'sparc', devices: 1 }],
    });
  });
});
