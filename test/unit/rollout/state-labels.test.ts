import { describe, expect, test } from '@jest/globals';
import {
  decodeLabels,
  decodeLabelText,
  encodeLabels,
  encodeLabelText,
  findBlockingRollout,
  LABEL_PREFIX,
  MAX_LABEL_LENGTH,
  mergeLabels,
  type RolloutState,
} from '../../../src/rollout/index.js';
import { checkLabels } from '../../../src/sandbox/naming-rules.js';

const T0 = Date.parse('2025-05-01T12:00:00.000Z');

function state(overrides: Partial<RolloutState> = {}): RolloutState {
  return {
    app: 'vision',
    release: '1.4.0+build.7',
    ringIndex: 1,
    ringName: 'pilot',
    ringCount: 3,
    state: 'in-progress',
    commit: '0123456789abcdef0123456789abcdef01234567',
    modelName: 'defect-detector',
    modelVersion: '12',
    runUrl: 'https://github.com/acme/vision/actions/runs/123456789/attempts/2',
    startedAt: T0,
    ringStartedAt: T0 + 600_000,
    updatedAt: T0 + 900_000,
    lockOwner: '123456789',
    ...overrides,
  };
}

describe('label text encoding', () => {
  test.each([
    'plain-text_1.2:3',
    'https://github.com/acme/vision/actions/runs/1',
    '100% sure',
    '%41 is not A',
    'Zürich 東京 🚀',
    "it's (fine), #1 @home; a=b+c*d?e!",
    '',
    'a/b\\c"d$e&f<g>h[i]{j}|k~l^`m',
  ])('%j round-trips and only uses label characters', (text) => {
    const encoded = encodeLabelText(text);
    expect(decodeLabelText(encoded)).toBe(text);
    expect(encoded).toMatch(/^[A-Za-z0-9\-:.+%_#*?!(),=@;']*$/);
  });

  test('slashes become %2F and % becomes %25', () => {
    expect(encodeLabelText('a/b%c')).toBe('a%2Fb%25c');
  });

  test.each(['%', '%4', '%zz', 'a%2'])('refuses the malformed escape %j', (encoded) => {
    expect(() => decodeLabelText(encoded)).toThrow(/not followed by two hex digits/);
  });
});

describe('encodeLabels / decodeLabels', () => {
  test.each<[string, RolloutState]>([
    ['a full state', state()],
    [
      'no optional fields',
      state({
        commit: undefined,
        modelName: undefined,
        modelVersion: undefined,
        runUrl: undefined,
        lockOwner: undefined,
      }),
    ],
    ['the first ring, completed', state({ ringIndex: 0, ringName: 'canary', state: 'completed' })],
    ['the last ring, rolled back', state({ ringIndex: 2, ringName: 'fleet', state: 'rolled-back' })],
    ['held', state({ state: 'held' })],
    ['failed', state({ state: 'failed' })],
    [
      'a run URL longer than one label',
      state({ runUrl: `https://ghe.example.com/${'org/'.repeat(40)}runs/1` }),
    ],
    ['text needing escapes', state({ release: 'Release 2 (final)/β', modelName: 'name with spaces' })],
  ])('%s round-trips through labels the hub accepts', (_what, original) => {
    const labels = encodeLabels(original);
    expect(() => checkLabels(labels)).not.toThrow();
    for (const [key, value] of Object.entries(labels)) {
      expect(key.startsWith(LABEL_PREFIX)).toBe(true);
      expect(value.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
    }
    const expected = Object.fromEntries(Object.entries(original).filter(([, value]) => value !== undefined));
    expect(decodeLabels(labels)).toEqual({ kind: 'rollout', state: expected });
  });

  test('long values are split into .2, .3 … without cutting an escape', () => {
    const runUrl = `https://x/${'ab/'.repeat(60)}`;
    const labels = encodeLabels(state({ runUrl }));
    expect(Object.keys(labels).filter((key) => key.includes('run-url'))).toEqual([
      `${LABEL_PREFIX}run-url`,
      `${LABEL_PREFIX}run-url.2`,
      `${LABEL_PREFIX}run-url.3`,
    ]);
    for (const [key, value] of Object.entries(labels))
      if (key.includes('run-url')) expect(value).not.toMatch(/%.?$/);
  });

  test('labels are readable in the portal', () => {
    expect(encodeLabels(state())).toMatchObject({
      [`${LABEL_PREFIX}app`]: 'vision',
      [`${LABEL_PREFIX}release`]: '1.4.0+build.7',
      [`${LABEL_PREFIX}ring-number`]: '2',
      [`${LABEL_PREFIX}ring-name`]: 'pilot',
      [`${LABEL_PREFIX}state`]: 'in-progress',
      [`${LABEL_PREFIX}started`]: '2025-05-01T12:00:00.000Z',
    });
  });

  test.each<[string, Partial<RolloutState>, RegExp]>([
    ['empty app', { app: '' }, /app is empty/],
    ['unknown state', { state: 'paused' as RolloutState['state'] }, /state 'paused'/],
    ['ring index past the rings', { ringIndex: 3 }, /ringIndex 3 is outside 0..2/],
    ['no rings', { ringCount: 0, ringIndex: 0 }, /ringCount 0/],
    ['bad time', { updatedAt: NaN }, /updatedAt is not a time/],
  ])('encodeLabels refuses %s', (_what, overrides, message) => {
    expect(() => encodeLabels(state(overrides))).toThrow(message);
  });

  test.each<[Record<string, string> | undefined]>([[undefined], [{}], [{ owner: 'ops', 'team.name': 'x' }]])(
    'foreign labels (%j) are not a rollout',
    (labels) => {
      expect(decodeLabels(labels)).toEqual({ kind: 'foreign' });
    },
  );

  // [what, change to the labels, path of the problem, message]
  test.each<[string, (labels: Record<string, string>) => void, string, RegExp]>([
    ['state missing', (l) => delete l[`${LABEL_PREFIX}state`], 'state', /is missing/],
    ['state unknown', (l) => (l[`${LABEL_PREFIX}state`] = 'done'), 'state', /'done' is not one of/],
    [
      'ring number not a number',
      (l) => (l[`${LABEL_PREFIX}ring-number`] = 'two'),
      'ring-number',
      /not a whole number/,
    ],
    ['ring number 0', (l) => (l[`${LABEL_PREFIX}ring-number`] = '0'), 'ring-number', /outside 1..3/],
    [
      'ring number past the count',
      (l) => (l[`${LABEL_PREFIX}ring-number`] = '4'),
      'ring-number',
      /outside 1..3/,
    ],
    ['app missing', (l) => delete l[`${LABEL_PREFIX}app`], 'app', /is missing/],
    ['bad escape', (l) => (l[`${LABEL_PREFIX}run-url`] = 'https%3'), 'run-url', /two hex digits/],
    ['bad time', (l) => (l[`${LABEL_PREFIX}updated`] = 'yesterday'), 'updated', /not an ISO time/],
  ])('decodeLabels reports %s', (_what, change, key, message) => {
    const labels = encodeLabels(state());
    change(labels);
    const read = decodeLabels(labels);
    expect(read.kind).toBe('invalid');
    const problem =
      read.kind === 'invalid'
        ? read.problems.find((p) => p.path === `labels.${LABEL_PREFIX}${key}`)
        : undefined;
    expect(problem?.message).toMatch(message);
  });

  test('mergeLabels keeps foreign labels and drops our stale ones', () => {
    const long = encodeLabels(state({ runUrl: `https://x/${'ab/'.repeat(80)}` }));
    const merged = mergeLabels(
      { ...long, owner: 'ops' },
      state({ runUrl: 'https://x/1', state: 'completed' }),
    );
    expect(merged.owner).toBe('ops');
    expect(merged[`${LABEL_PREFIX}run-url.2`]).toBeUndefined();
    expect(merged[`${LABEL_PREFIX}state`]).toBe('completed');
  });
});

describe('findBlockingRollout', () => {
  const request = { app: 'vision', deploymentId: 'vision-1_5_0', runId: '42' };
  test.each<[string, Array<[string, Partial<RolloutState>]>, string | undefined]>([
    ['nothing on the hub', [], undefined],
    ['an earlier release completed', [['vision-1_4_0', { state: 'completed' }]], undefined],
    ['an earlier release in progress', [['vision-1_4_0', { state: 'in-progress' }]], 'vision-1_4_0'],
    ['an earlier release held', [['vision-1_4_0', { state: 'held' }]], 'vision-1_4_0'],
    ['another app in progress', [['audio-2', { app: 'audio', state: 'in-progress' }]], undefined],
    ['this release, by this run (a re-run)', [['vision-1_5_0', { lockOwner: '42' }]], undefined],
    ['this release, by another run', [['vision-1_5_0', { lockOwner: '41' }]], 'vision-1_5_0'],
    ['this release, unlocked', [['vision-1_5_0', { lockOwner: undefined }]], undefined],
    [
      'this release, rolled back by another run',
      [['vision-1_5_0', { lockOwner: '41', state: 'rolled-back' }]],
      undefined,
    ],
  ])('%s', (_what, releases, blocking) => {
    const found = findBlockingRollout(
      releases.map(([deploymentId, overrides]) => ({ deploymentId, state: state(overrides) })),
      request,
    );
    expect(found?.deploymentId).toBe(blocking);
  });
});
