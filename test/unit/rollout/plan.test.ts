import { describe, expect, test } from '@jest/globals';
import {
  computePlan,
  type DeploymentInfo,
  encodeLabels,
  parseRings,
  type Plan,
  type PlanDevice,
  type PlanInput,
  renderPlanMarkdown,
  renderPlanText,
  type RolloutState,
} from '../../../src/rollout/index.js';
import { compileCondition } from '../../../src/sandbox/query/index.js';

const RINGS = parseRings(`
app-scope: tags.app='vision'
rings:
  - {name: canary, tag: ring=canary}
  - {name: pilot, tag: ring=pilot}
  - {name: fleet, tag: ring=fleet}
`);

function device(
  deviceId: string,
  ring: string | undefined,
  architecture: string | null = 'x86_64',
  app = 'vision',
): PlanDevice {
  return { deviceId, tags: ring ? { app, ring } : { app }, ...(architecture ? { architecture } : {}) };
}

const DEVICES: PlanDevice[] = [
  device('c1', 'canary'),
  device('c2', 'canary', 'aarch64'),
  device('p1', 'pilot'),
  device('p2', 'pilot'),
  device('f1', 'fleet'),
  device('f2', 'fleet'),
  device('f3', 'fleet', 'armv7l'),
  device('loner', undefined),
  device('audio-1', 'canary', 'x86_64', 'audio'),
];

function releaseLabels(
  release: string,
  state: RolloutState['state'] = 'completed',
  app = 'vision',
): Record<string, string> {
  const time = Date.parse('2025-01-01T00:00:00Z');
  return encodeLabels({
    app,
    release,
    ringIndex: 2,
    ringName: 'fleet',
    ringCount: 3,
    state,
    startedAt: time,
    ringStartedAt: time,
    updatedAt: time,
  });
}

function deployment(
  id: string,
  priority: number,
  targetCondition: string,
  created: string,
  extra: Partial<DeploymentInfo> = {},
): DeploymentInfo {
  return { id, priority, targetCondition, createdTimeUtc: `2025-0${created}T00:00:00Z`, ...extra };
}

const PREVIOUS = deployment('vision-1_3_0', 10, "tags.app='vision'", '3-01', {
  labels: releaseLabels('1.3.0'),
});

function plan(overrides: Partial<PlanInput> = {}): Plan {
  return computePlan({
    release: { deploymentId: 'vision-1_4_0', app: 'vision', priority: 11 },
    rings: RINGS,
    deployments: [PREVIOUS],
    devices: DEVICES,
    compile: compileCondition,
    imagePlatforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
    ...overrides,
  });
}

function messages(result: Plan, severity: 'error' | 'warning'): string[] {
  return result.findings.filter((f) => f.severity === severity).map((f) => `${f.ring ?? '-'}: ${f.message}`);
}

describe('computePlan', () => {
  test('with a fallback release: every ring moves its devices from the previous release', () => {
    const result = plan();
    expect(result.rings.map((r) => [r.name, r.targeted, r.added, r.onRelease])).toEqual([
      ['canary', 2, 2, 2],
      ['pilot', 4, 2, 4],
      ['fleet', 7, 3, 7],
    ]);
    expect(result.rings[0]!.condition).toBe("tags.ring='canary' AND tags.app='vision'");
    expect(result.rings[1]!.moves).toEqual([{ from: 'vision-1_3_0', to: 'vision-1_4_0', devices: 2 }]);
    expect(result.rings[2]!.fallback).toEqual({
      covered: 7,
      missing: 0,
      missingSample: [],
      by: [{ deploymentId: 'vision-1_3_0', devices: 7, sameApp: true }],
    });
    expect(result.inNoRing).toBe(2);
    expect(messages(result, 'error')).toEqual([]);
    expect(messages(result, 'warning')).toEqual([
      '-: 2 of 9 edge devices are in no ring and keep their current deployment',
    ]);
    expect(result.devices.find((d) => d.deviceId === 'f1')).toEqual({
      deviceId: 'f1',
      ring: 2,
      now: 'vision-1_3_0',
      after: 'vision-1_4_0',
      fallback: 'vision-1_3_0',
    });
    expect(result.devices.find((d) => d.deviceId === 'audio-1')).toEqual({ deviceId: 'audio-1' });
  });

  test('first release: no fallback is an error unless first-release is set', () => {
    const refused = plan({ deployments: [] });
    expect(messages(refused, 'error')).toEqual([
      'canary: 2 devices would have no deployment to fall back to on rollback (e.g. c1, c2)',
      'pilot: 4 devices would have no deployment to fall back to on rollback (e.g. c1, c2, p1, p2)',
      'fleet: 7 devices would have no deployment to fall back to on rollback (e.g. c1, c2, p1, p2, f1)',
    ]);
    expect(refused.rings[0]!.moves).toEqual([{ to: 'vision-1_4_0', devices: 2 }]);
    expect(messages(plan({ deployments: [], firstRelease: true }), 'error')).toEqual([]);
  });

  test('a fallback that misses some devices names them', () => {
    const partial = deployment('vision-1_3_0', 10, "tags.ring='canary' OR tags.ring='pilot'", '3-01', {
      labels: releaseLabels('1.3.0'),
    });
    const result = plan({ deployments: [partial] });
    expect(messages(result, 'error')).toEqual([
      'fleet: 3 devices would have no deployment to fall back to on rollback (e.g. f1, f2, f3)',
    ]);
    expect(result.rings[2]!.moves).toEqual([{ to: 'vision-1_4_0', devices: 3 }]);
  });

  test("another app's or a hand-made deployment is a fallback too, marked as not the same app", () => {
    const base = deployment('base-edge', 1, "tags.app='vision'", '1-01');
    const result = plan({ deployments: [base] });
    expect(result.rings[0]!.fallback.by).toEqual([{ deploymentId: 'base-edge', devices: 2, sameApp: false }]);
    expect(messages(result, 'error')).toEqual([]);
  });

  test('a higher-priority deployment keeps its devices', () => {
    const pin = deployment('pin-p1', 50, "deviceId='p1'", '2-01');
    const result = plan({ deployments: [PREVIOUS, pin] });
    expect(result.rings[1]).toMatchObject({
      targeted: 4,
      onRelease: 3,
      overriddenBy: [{ deploymentId: 'pin-p1', devices: 1 }],
    });
    expect(result.rings[1]!.moves).toEqual(
      expect.arrayContaining([{ from: 'vision-1_3_0', to: 'vision-1_4_0', devices: 1 }]),
    );
    expect(result.rings[1]!.moves).toHaveLength(1);
    expect(messages(result, 'warning')).toContain(
      "pilot: 1 targeted device stays on 'pin-p1', which has a higher priority",
    );
  });

  test('ties: the newest deployment wins, and a new release is the newest', () => {
    const older = deployment('old-5', 5, "tags.app='vision'", '1-01');
    const newer = deployment('new-5', 5, "tags.app='vision'", '2-01');
    const result = plan({
      deployments: [older, newer],
      release: { deploymentId: 'vision-1_4_0', app: 'vision', priority: 5 },
    });
    expect(result.devices.find((d) => d.deviceId === 'c1')).toMatchObject({
      now: 'new-5',
      after: 'vision-1_4_0',
      fallback: 'new-5',
    });
  });

  test('ties: an existing release loses to a newer deployment of the same priority', () => {
    const release = deployment('vision-1_4_0', 11, "tags.ring='canary'", '1-01', {
      labels: releaseLabels('1.4.0', 'in-progress'),
    });
    const newer = deployment('newer-11', 11, "deviceId='c2'", '4-01');
    const result = plan({ deployments: [PREVIOUS, release, newer] });
    expect(result.devices.find((d) => d.deviceId === 'c1')).toMatchObject({
      now: 'vision-1_4_0',
      after: 'vision-1_4_0',
      fallback: 'vision-1_3_0',
    });
    expect(result.devices.find((d) => d.deviceId === 'c2')).toMatchObject({
      now: 'newer-11',
      after: 'newer-11',
    });
    expect(result.rings[0]!.overriddenBy).toEqual([{ deploymentId: 'newer-11', devices: 1 }]);
  });

  test('layered deployments never win a device', () => {
    const layer = deployment('vision-layer', 100, "tags.app='vision'", '4-01', { layered: true });
    const result = plan({ deployments: [PREVIOUS, layer] });
    expect(result.rings[2]!.onRelease).toBe(7);
    expect(result.devices.find((d) => d.deviceId === 'c1')!.now).toBe('vision-1_3_0');
  });

  test('architecture coverage: a missing platform is an error, an unreported architecture a warning', () => {
    const devices = [...DEVICES, device('f4', 'fleet', null)];
    const result = plan({ devices, imagePlatforms: ['linux/amd64', 'linux/arm64/v8'] });
    expect(messages(result, 'error')).toEqual([
      'fleet: 1 device reports armv7l, but the image has no linux/arm/v7',
    ]);
    expect(messages(result, 'warning')).toContain(
      'fleet: 1 device reports no known architecture, so image coverage cannot be checked',
    );
    expect(result.rings[0]!.architectures!.covered).toEqual([
      { architecture: 'x86_64', platform: 'linux/amd64', devices: 1 },
      { architecture: 'aarch64', platform: 'linux/arm64', devices: 1 },
    ]);
    expect(plan({ imagePlatforms: undefined }).rings[0]!.architectures).toBeUndefined();
  });

  test.each([
    [94, 5, undefined],
    [96, 3, 'warning: only 3 of 100 deployments left after this release'],
    [99, 0, 'warning: only 0 of 100 deployments left after this release'],
    [100, -1, 'error: the hub would hold 101 deployments, over its quota of 100'],
  ] as [number, number, string | undefined][])(
    'quota: %d deployments on the hub',
    (total, headroom, finding) => {
      const filler = Array.from({ length: total - 1 }, (_, i) =>
        deployment(`other-${i}`, 1, "tags.x='none'", '1-01'),
      );
      const result = plan({ deployments: [PREVIOUS, ...filler] });
      expect(result.quota.headroom).toBe(headroom);
      const quotaFindings = result.findings
        .filter((f) => !f.message.includes('edge devices'))
        .map((f) => `${f.severity}: ${f.message}`);
      expect(quotaFindings).toEqual(finding ? [finding] : []);
      if (headroom < 0)
        expect(result.findings.find((f) => f.severity === 'error')!.fix).toMatch(/delete at least 1/);
    },
  );

  test('quota: an existing release takes no new slot', () => {
    const filler = Array.from({ length: 98 }, (_, i) => deployment(`other-${i}`, 1, '', '1-01'));
    const release = deployment('vision-1_4_0', 11, "tags.ring='canary'", '4-01');
    expect(plan({ deployments: [PREVIOUS, release, ...filler] }).quota).toEqual({
      deployments: 100,
      max: 100,
      afterRelease: 100,
      headroom: 0,
    });
  });

  test('a ring that reaches nothing, or adds nothing, is reported', () => {
    const rings = parseRings(`
rings:
  - {name: canary, tag: ring=canary}
  - {name: ghosts, tag: ring=ghosts}
  - {name: again, target-condition: "tags.ring='canary' AND tags.app='vision'"}
`);
    const visionDevices = DEVICES.filter((d) => d.deviceId !== 'audio-1');
    const result = plan({ rings, devices: visionDevices });
    expect(messages(result, 'error')).toEqual([]);
    expect(messages(result, 'warning')).toEqual(
      expect.arrayContaining([
        'ghosts: adds no device to the earlier rings',
        'again: adds no device to the earlier rings',
      ]),
    );
    const empty = plan({
      rings: parseRings('rings:\n  - {name: ghosts, tag: ring=ghosts}\n'),
      devices: visionDevices,
    });
    expect(messages(empty, 'error')).toEqual([
      'ghosts: would put 0 devices on the release; its gate needs at least 1',
    ]);
  });

  test('an unreadable or empty deployment condition matches no device', () => {
    const broken = deployment('broken', 90, 'tags.ring="canary"', '1-01');
    const empty = deployment('empty', 95, '', '1-01');
    const result = plan({ deployments: [PREVIOUS, broken, empty] });
    expect(result.rings[0]!.onRelease).toBe(2);
    expect(messages(result, 'warning')).toEqual(
      expect.arrayContaining([expect.stringMatching(/deployment 'broken' could not be evaluated locally/)]),
    );
  });

  test('with a tiny table of matches instead of a query engine', () => {
    const table: Record<string, string[]> = {
      "tags.app='vision'": ['c1', 'c2', 'p1', 'p2', 'f1', 'f2', 'f3', 'loner'],
      "tags.ring='canary' AND tags.app='vision'": ['c1', 'c2'],
    };
    const rings = parseRings("app-scope: tags.app='vision'\nrings:\n  - {name: canary, tag: ring=canary}\n");
    const result = plan({
      rings,
      compile: (condition) => (doc) => (table[condition] ?? []).includes(doc.deviceId),
    });
    expect(result.rings[0]).toMatchObject({ targeted: 2, onRelease: 2 });
  });
});

describe('plan rendering', () => {
  const result = plan({
    deployments: [PREVIOUS, deployment('pin-p1', 50, "deviceId='p1'", '2-01')],
    imagePlatforms: ['linux/amd64', 'linux/arm64'],
  });

  test('text', () => {
    const text = renderPlanText(result);
    expect(text).toContain('Plan for vision-1_4_0 (app vision, priority 11) over 9 edge devices');
    expect(text).toContain("Ring 1/3 canary: tags.ring='canary' AND tags.app='vision'");
    expect(text).toContain('  targets 4 devices (2 new); 3 on the release after this ring');
    expect(text).toContain('  moves 1: vision-1_3_0 → vision-1_4_0');
    expect(text).toContain('  stays on higher-priority pin-p1: 1');
    expect(text).toContain('  architectures: x86_64 2 ok, armv7l 1 MISSING linux/arm/v7');
    expect(text).toContain('Quota: 3 of 100 deployments after this release (97 free)');
    expect(text).toMatch(
      /Errors:\n {2}- ring 'fleet': 1 device reports armv7l, but the image has no linux\/arm\/v7 \(fix: build the image/,
    );
  });

  test('markdown', () => {
    const markdown = renderPlanMarkdown(result);
    expect(markdown).toContain(
      '| # | Ring | Target | Devices | New | On release | Moves | Fallback | Architectures |',
    );
    expect(markdown).toContain(
      "| 1 | canary | `tags.ring='canary' AND tags.app='vision'` | 2 | 2 | 2 | 2: vision-1_3_0 → vision-1_4_0 | 2/2 (vision-1_3_0 2) | x86_64 1 ok, aarch64 1 ok |",
    );
    expect(markdown).toContain("- **Error**: ring 'fleet': 1 device reports armv7l");
    expect(markdown).toContain("- Warning: ring 'pilot': 1 targeted device stays on 'pin-p1'");
  });
});
