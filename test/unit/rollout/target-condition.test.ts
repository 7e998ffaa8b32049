import { describe, expect, test } from '@jest/globals';
import {
  allOf,
  anyOf,
  checkTargetCondition,
  cumulativeCondition,
  deviceIdsCondition,
  isNeverMatching,
  NEVER_MATCHING_CONDITION,
  quote,
  ringCondition,
  type RingTarget,
  tagsCondition,
} from '../../../src/rollout/index.js';
import { checkTargetCondition as hubCheck, compileCondition } from '../../../src/sandbox/query/index.js';

const GOOD = [
  "tags.ring='canary'",
  "tags.environment='prod' AND tags.location='westus'",
  "deviceId='operator''sDevice'",
  "(tags.ring='canary' OR tags.ring='pilot') AND NOT (tags.hold=true)",
  'tags.tier >= 2',
  "properties.reported.runtime.platform.architecture='aarch64'",
  "tags.site='a-1:b.c+d%e_f#g*h?i!j(k)l,m=n@o;p$q'",
  'IS_DEFINED(tags.ring)',
  "STARTS_WITH(deviceId, 'cam-')",
  "tags.ring IN ['canary', 'pilot']",
  "tags.ring NOT IN ['fleet']",
  "tags.ring != 'fleet' and tags.x <> 'y'",
  'tags.[[odd name]]=1',
  "tags.gpu AND tags.ring='canary'",
  NEVER_MATCHING_CONDITION,
];

// [condition, message, fix]
const BAD: Array<[string, RegExp, RegExp]> = [
  ['', /empty/, /tags.ring='canary'/],
  [
    'tags.ring="canary"',
    /Double quote at column 11: target conditions take single quotes only/,
    /write tags.ring='canary'/,
  ],
  ["tags.ring='canary", /Unterminated string starting at column 11/, /''/],
  ["tags.ring='eu west'", /Value 'eu west' contains ' ' \(space\)/, /ASCII letters, digits/],
  ["tags.site='a/b'", /contains '\/'/, /letters, digits/],
  ["tags.city='Zürich'", /contains 'ü'/, /letters/],
  ["tags.ring=='canary'", /'==' at column 10/, /single '='/],
  ["tags.a='x' && tags.b='y'", /'&&'/, /AND/],
  ["tags.a='x' || tags.b='y'", /'\|\|'/, /OR/],
  ["properties.desired.x='1'", /'properties.desired.x' cannot be targeted/, /deviceId, tags/],
  ["tag.ring='canary'", /'tag.ring' cannot be targeted/, /did you mean 'tags.ring'/],
  ['capabilities.iotEdge=true', /cannot be targeted/, /deviceId, tags/],
  ["tags='x'", /'tags' cannot be targeted/, /tags.<name>/],
  ["(tags.ring='canary'", /Unexpected end of condition/, /missing '\)'/],
  ["tags.ring='canary')", /Unexpected '\)' at column 19/, /AND or OR/],
  ["tags.ring='a' tags.x='b'", /Unexpected 'tags.x'/, /AND or OR/],
  ["tags.ring='a' AND", /Unexpected end/, /property/],
  ["'a'='a'", /compares no property/, /compare a property/],
  ["tags.ring IN 'a'", /Unexpected ''a''/, /square brackets/],
  ['LOWER(tags.ring)', /Unknown function 'LOWER' at column 1/, /IS_DEFINED/],
  ["tags.ring='a' / 2", /Unexpected character '\/'/, /single quotes/],
];

describe('checkTargetCondition', () => {
  test.each(GOOD)('accepts %s (and so does the sandbox hub)', (condition) => {
    expect(checkTargetCondition(condition)).toEqual([]);
    expect(() => hubCheck(condition)).not.toThrow();
  });

  test.each(BAD)('refuses %j', (condition, message, fix) => {
    const [problem] = checkTargetCondition(condition);
    expect(problem?.message).toMatch(message);
    expect(problem?.fix).toMatch(fix);
  });

  test('reports every bad value and every bad root, not only the first', () => {
    const problems = checkTargetCondition("tags.a='x y' AND properties.desired.b='1' AND tags.c='p/q'");
    expect(problems.map((p) => p.column)).toEqual([8, 54, 18]);
  });

  test('every condition it refuses for syntax, the sandbox hub refuses too', () => {
    for (const [condition] of BAD.filter(([c]) => !/'(eu west|a\/b|Zürich)'/.test(c))) {
      expect(() => hubCheck(condition)).toThrow();
    }
  });
});

describe('quote and builders', () => {
  test.each([
    ['canary', "'canary'"],
    ["operator's", "'operator''s'"],
    ["''", "''''''"],
    ['', "''"],
  ])('quote(%j) = %s', (value, quoted) => {
    expect(quote(value)).toBe(quoted);
  });

  test('quoted values survive the round trip through the query engine', () => {
    const match = compileCondition(`deviceId=${quote("it's")}`);
    expect(match({ deviceId: "it's" })).toBe(true);
    expect(match({ deviceId: 'its' })).toBe(false);
  });

  test.each<[RingTarget, string]>([
    [{ kind: 'condition', condition: "  tags.ring='a'  " }, "tags.ring='a'"],
    [{ kind: 'tags', tags: { ring: 'a' } }, "tags.ring='a'"],
    [
      { kind: 'tags', tags: { ring: 'a', tier: 2, gpu: false } },
      "tags.ring='a' AND tags.tier=2 AND tags.gpu=false",
    ],
    [{ kind: 'device-ids', deviceIds: ['a'] }, "deviceId='a'"],
    [{ kind: 'device-ids', deviceIds: ['a', "b'c"] }, "deviceId='a' OR deviceId='b''c'"],
  ])('ringCondition(%j)', (target, condition) => {
    expect(ringCondition({ target })).toBe(condition);
  });

  test.each([
    [["tags.a='1'"], "tags.a='1'"],
    [["tags.a='1'", "tags.b='2'"], "tags.a='1' AND tags.b='2'"],
    [["tags.a='1' OR tags.b='2'", "tags.app='x'"], "(tags.a='1' OR tags.b='2') AND tags.app='x'"],
    [["(tags.a='1' OR tags.b='2')", ''], "(tags.a='1' OR tags.b='2')"],
    [["NOT tags.a='1'", "tags.b='2'"], "NOT tags.a='1' AND tags.b='2'"],
  ])('allOf(%j)', (parts, condition) => {
    expect(allOf(parts)).toBe(condition);
  });

  test('anyOf parenthesises parts with AND as well as OR', () => {
    expect(anyOf(["tags.a='1' AND tags.b='2'", "tags.c='3'"])).toBe(
      "(tags.a='1' AND tags.b='2') OR tags.c='3'",
    );
  });

  test('tagsCondition and deviceIdsCondition', () => {
    expect(tagsCondition({ 'location.region': 'eu' })).toBe("tags.location.region='eu'");
    expect(deviceIdsCondition(['x', 'y', 'z'])).toBe("deviceId='x' OR deviceId='y' OR deviceId='z'");
  });
});

describe('cumulativeCondition', () => {
  const rings: Array<{ target: RingTarget }> = [
    { target: { kind: 'tags', tags: { ring: 'canary' } } },
    { target: { kind: 'condition', condition: "tags.ring='pilot' OR tags.pilot=true" } },
    { target: { kind: 'device-ids', deviceIds: ['vip-1', 'vip-2'] } },
  ];

  test.each([
    [1, undefined, "tags.ring='canary'"],
    [2, undefined, "tags.ring='canary' OR (tags.ring='pilot' OR tags.pilot=true)"],
    [1, "tags.app='vision'", "tags.ring='canary' AND tags.app='vision'"],
    [
      3,
      "tags.app='vision'",
      "(tags.ring='canary' OR (tags.ring='pilot' OR tags.pilot=true) OR (deviceId='vip-1' OR deviceId='vip-2')) AND tags.app='vision'",
    ],
  ])('rings 1..%d with scope %j', (count, scope, condition) => {
    expect(cumulativeCondition(rings, count, scope)).toBe(condition);
    expect(checkTargetCondition(condition)).toEqual([]);
  });

  test('matches exactly the devices of rings 1..k within the app scope', () => {
    const devices = [
      { deviceId: 'c', tags: { ring: 'canary', app: 'vision' } },
      { deviceId: 'p', tags: { ring: 'pilot', app: 'vision' } },
      { deviceId: 'q', tags: { pilot: true, app: 'vision' } },
      { deviceId: 'vip-1', tags: { app: 'vision' } },
      { deviceId: 'other-app', tags: { ring: 'canary', app: 'audio' } },
      { deviceId: 'vip-2', tags: {} },
    ];
    const matched = (k: number) => {
      const test = compileCondition(cumulativeCondition(rings, k, "tags.app='vision'"));
      return devices.filter((device) => test(device)).map((device) => device.deviceId);
    };
    expect(matched(1)).toEqual(['c']);
    expect(matched(2)).toEqual(['c', 'p', 'q']);
    expect(matched(3)).toEqual(['c', 'p', 'q', 'vip-1']);
  });

  test('refuses a ring count outside the rings', () => {
    expect(() => cumulativeCondition(rings, 0)).toThrow(RangeError);
    expect(() => cumulativeCondition(rings, 4)).toThrow(/outside 1..3/);
  });
});

describe('NEVER_MATCHING_CONDITION', () => {
  test('is a valid condition that matches no device, not even one with its id', () => {
    expect(checkTargetCondition(NEVER_MATCHING_CONDITION)).toEqual([]);
    const match = compileCondition(NEVER_MATCHING_CONDITION);
    for (const deviceId of ['a', 'ml-to-iot-edge:withdrawn', '']) {
      expect(match({ deviceId, tags: { rollout: 'none' } })).toBe(false);
    }
  });

  test.each([
    [NEVER_MATCHING_CONDITION, true],
    [` ${NEVER_MATCHING_CONDITION} `, true],
    ['', true],
    ["tags.ring='canary'", false],
  ])('isNeverMatching(%j) = %s', (condition, expected) => {
    expect(isNeverMatching(condition)).toBe(expected);
  });
});
