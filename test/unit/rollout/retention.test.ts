import { describe, expect, test } from '@jest/globals';
import {
  type DeploymentInfo,
  encodeLabels,
  planRetention,
  type RetentionInput,
  type RolloutState,
} from '../../../src/rollout/index.js';

const TIME = Date.parse('2025-01-01T00:00:00Z');

function release(
  version: string,
  priority: number,
  state: RolloutState['state'] = 'completed',
  app = 'vision',
): DeploymentInfo {
  const labels = encodeLabels({
    app,
    release: version,
    ringIndex: 0,
    ringName: 'canary',
    ringCount: 3,
    state,
    startedAt: TIME,
    ringStartedAt: TIME,
    updatedAt: TIME,
  });
  return {
    id: `${app}-${version.replaceAll('.', '_')}`,
    priority,
    targetCondition: "tags.app='x'",
    createdTimeUtc: new Date(TIME + priority * 1000).toISOString(),
    labels,
  };
}

const HISTORY = [
  release('1.0', 10),
  release('1.1', 11),
  release('1.2', 12),
  release('1.3', 13, 'rolled-back'),
  release('1.4', 14),
  release('9.9', 20, 'completed', 'audio'),
  {
    id: 'hand-made-base',
    priority: 1,
    targetCondition: "tags.app='vision'",
    createdTimeUtc: '2024-01-01T00:00:00Z',
  },
];
const NONE_APPLIED = Object.fromEntries(HISTORY.map((d) => [d.id, 0]));

function retention(overrides: Partial<RetentionInput> = {}) {
  return planRetention({
    app: 'vision',
    releaseId: 'vision-1_5',
    deployments: HISTORY,
    appliedCounts: NONE_APPLIED,
    ...overrides,
  });
}

function summary(input: Partial<RetentionInput> = {}): Record<string, string> {
  const plan = retention(input);
  return Object.fromEntries([
    ...plan.keep.map((d) => [d.deploymentId, `keep: ${d.reason}`]),
    ...plan.delete.map((d) => [d.deploymentId, `delete: ${d.reason}`]),
  ]);
}

describe('planRetention', () => {
  test('keeps the fallback and the last 3, deletes older releases no device is on', () => {
    const plan = retention();
    expect(plan.fallbackId).toBe('vision-1_4');
    expect(summary()).toEqual({
      'vision-1_4': 'keep: the current fallback',
      'vision-1_3': 'keep: one of the last 3 releases',
      'vision-1_2': 'keep: one of the last 3 releases',
      'vision-1_1': 'delete: older than the last 3 releases and on no device',
      'vision-1_0': 'delete: older than the last 3 releases and on no device',
    });
  });

  test.each<[string, Partial<RetentionInput>, string, string]>([
    [
      'a release still applied somewhere',
      { appliedCounts: { ...NONE_APPLIED, 'vision-1_0': 5 } },
      'vision-1_0',
      'keep: still applied on 5 devices',
    ],
    [
      'an applied count that is unknown',
      { appliedCounts: { 'vision-1_1': 0 } },
      'vision-1_0',
      'keep: applied device count unknown',
    ],
    ['keep 1', { keep: 1 }, 'vision-1_3', 'delete: older than the last 1 releases and on no device'],
    ['keep 0 still keeps the fallback', { keep: 0 }, 'vision-1_4', 'keep: the current fallback'],
    ['keep 10 keeps everything', { keep: 10 }, 'vision-1_0', 'keep: one of the last 10 releases'],
    [
      'an older release still in progress',
      { deployments: [...HISTORY.filter((d) => d.id !== 'vision-1_0'), release('1.0', 10, 'held')] },
      'vision-1_0',
      'keep: rollout held',
    ],
    [
      'the release being rolled out, already on the hub',
      { deployments: [...HISTORY, release('1.5', 15, 'in-progress')] },
      'vision-1_5',
      'keep: the release being rolled out',
    ],
    [
      'a release above the one being rolled out',
      { releaseId: 'vision-1_2' },
      'vision-1_4',
      'keep: a newer release than the one being rolled out',
    ],
  ])('%s', (_what, input, id, expected) => {
    expect(summary(input)[id]).toBe(expected);
  });

  test('the fallback is the newest completed release, even beyond the last N', () => {
    const deployments = [
      release('1.0', 10),
      release('1.1', 11),
      release('1.2', 12, 'failed'),
      release('1.3', 13, 'rolled-back'),
      release('1.4', 14, 'failed'),
    ];
    const plan = retention({
      deployments,
      appliedCounts: Object.fromEntries(deployments.map((d) => [d.id, 0])),
    });
    expect(plan.fallbackId).toBe('vision-1_1');
    expect(plan.delete.map((d) => d.deploymentId)).toEqual(['vision-1_0']);
  });

  test('re-rolling an earlier release protects only what is below it as the fallback', () => {
    const plan = retention({ releaseId: 'vision-1_2' });
    expect(plan.fallbackId).toBe('vision-1_1');
  });

  test("never touches another app's or a hand-made deployment", () => {
    const ids = [...retention({ keep: 0 }).keep, ...retention({ keep: 0 }).delete].map((d) => d.deploymentId);
    expect(ids).not.toContain('audio-9_9');
    expect(ids).not.toContain('hand-made-base');
  });

  test('refuses a negative keep', () => {
    expect(() => retention({ keep: -1 })).toThrow(/keep must be/);
  });
});

describe('quota check', () => {
  const filler = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `other-${i}`,
      priority: 1,
      targetCondition: '',
      createdTimeUtc: '2024-01-01T00:00:00Z',
    }));

  test('room to spare', () => {
    expect(retention().quota).toEqual({
      deployments: 7,
      max: 100,
      toCreate: 1,
      mustDelete: 0,
      possible: true,
      message: '6 of 100 deployments after retention',
    });
  });

  test('at the quota, retention makes room', () => {
    const deployments = [...HISTORY, ...filler(93)];
    const quota = retention({ deployments }).quota;
    expect(quota).toMatchObject({ deployments: 100, mustDelete: 1, possible: true });
    expect(quota.message).toBe('1 deployments must be deleted to make room; retention deletes 2');
  });

  test('at the quota with nothing deletable, it says which keep-releases would fit', () => {
    const deployments = [...HISTORY, ...filler(93)];
    const quota = retention({ deployments, keep: 5 }).quota;
    expect(quota).toMatchObject({ mustDelete: 1, possible: false, keepThatFits: 4 });
    expect(quota.message).toBe(
      '1 deployments must be deleted to make room, but retention may delete only 0; keep-releases: 4 would make room',
    );
  });

  test('impossible even with keep 0 when every old release is still applied', () => {
    const deployments = [...HISTORY, ...filler(93)];
    const applied = Object.fromEntries(HISTORY.map((d) => [d.id, 1]));
    const quota = retention({ deployments, appliedCounts: applied }).quota;
    expect(quota.possible).toBe(false);
    expect(quota.keepThatFits).toBeUndefined();
  });

  test('an existing release needs no new slot', () => {
    const deployments = [...HISTORY, release('1.5', 15, 'in-progress'), ...filler(92)];
    expect(retention({ deployments }).quota).toMatchObject({
      deployments: 100,
      toCreate: 0,
      mustDelete: 0,
      possible: true,
    });
  });
});
