// The queries the rollout gates run (reference §1.9), on a hand-made fleet with one device per case.
import { describe, expect, test } from '@jest/globals';
import type { JsonObject } from '../../../../src/sandbox/hub-types.js';
import { compileQuery } from '../../../../src/sandbox/query/index.js';
import { agentReport, deviceTwin, ids, moduleTwin } from './twins.js';

function metricQueries(id: string, targetCondition: string): Record<string, string> {
  const applied = `select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[${id}]].status = 'Applied'`;
  const current = `${applied} and properties.desired.$version = properties.reported.lastDesiredVersion`;
  return {
    targetedCount: `select deviceId from devices where capabilities.iotEdge = true and (${targetCondition})`,
    appliedCount: applied,
    reportedSuccessfulCount: `${current} and properties.reported.lastDesiredStatus.code = 200`,
    reportedFailedCount: `${current} and properties.reported.lastDesiredStatus.code != 200`,
  };
}

interface Case {
  deviceId: string;
  ring: string;
  iotEdge?: boolean;
  /** This deployment's status on the device; undefined = not targeted. */
  status?: 'Targeted' | 'Applied';
  desiredVersion?: number;
  report?: JsonObject;
}

// One device per outcome the gates must tell apart.
const cases: Case[] = [
  { deviceId: 'ok', ring: 'canary', status: 'Applied', desiredVersion: 4, report: agentReport(4, 200) },
  { deviceId: 'rejected', ring: 'pilot', status: 'Applied', desiredVersion: 4, report: agentReport(4, 400) },
  { deviceId: 'behind', ring: 'canary', status: 'Applied', desiredVersion: 5, report: agentReport(4, 200) },
  { deviceId: 'silent', ring: 'canary', status: 'Applied', desiredVersion: 4 },
  {
    deviceId: 'overridden',
    ring: 'pilot',
    status: 'Targeted',
    desiredVersion: 2,
    report: agentReport(2, 200),
  },
  { deviceId: 'other-ring', ring: 'fleet' },
  { deviceId: 'leaf', ring: 'canary', iotEdge: false },
];

function fleet(id: string): { devices: JsonObject[]; modules: JsonObject[] } {
  const devices = cases.map((c) =>
    deviceTwin(c.deviceId, {
      tags: { ring: c.ring },
      iotEdge: c.iotEdge ?? true,
      configurations: c.status ? { [id]: c.status } : {},
    }),
  );
  const modules = cases.flatMap((c) => {
    const configurations = c.status ? { [id]: c.status } : {};
    const agent = { desiredVersion: c.desiredVersion ?? 1, reported: c.report ?? {}, configurations };
    // $edgeHub carries the same deployment and a report that would count; the moduleId filter must drop it.
    const hub = { desiredVersion: 9, reported: agentReport(9, 200), configurations };
    return [moduleTwin(c.deviceId, '$edgeAgent', agent), moduleTwin(c.deviceId, '$edgeHub', hub)];
  });
  return { devices, modules };
}

const expected: Record<string, string[]> = {
  targetedCount: ['ok', 'rejected', 'behind', 'silent', 'overridden'],
  appliedCount: ['ok', 'rejected', 'behind', 'silent'],
  reportedSuccessfulCount: ['ok'],
  reportedFailedCount: ['rejected'],
};

describe.each([
  ['rel-1-0', "tags.ring='canary' OR tags.ring='pilot'"],
  ["app-1-4:+%_#*?!(),=@;'x", "tags.ring IN ['canary', 'pilot']"],
])('system metrics of deployment %s', (id, targetCondition) => {
  const { devices, modules } = fleet(id);
  const queries = metricQueries(id, targetCondition);

  test.each(Object.keys(expected))('%s', (metric) => {
    const query = compileQuery(queries[metric]!);
    const rows = query.run(query.source === 'devices' ? devices : modules);
    expect(ids(rows)).toEqual(expected[metric]);
    expect(rows.every((row) => Object.keys(row).join() === 'deviceId')).toBe(true);
  });
});

test('the exact metric strings of the brief evaluate', () => {
  const { devices, modules } = fleet('rel-1-0');
  const success = compileQuery(
    "select deviceId from devices.modules where moduleId = '$edgeAgent' and configurations.[[rel-1-0]].status = 'Applied' and properties.desired.$version = properties.reported.lastDesiredVersion and properties.reported.lastDesiredStatus.code = 200",
  );
  const targeted = compileQuery(
    "select deviceId from devices where capabilities.iotEdge = true and (tags.ring='canary' OR tags.ring='pilot')",
  );
  expect(ids(success.run(modules))).toEqual(['ok']);
  expect(targeted.run(devices)).toHaveLength(5);
});
