import { describe, expect, test } from '@jest/globals';
import { compileCondition } from '../../../../src/sandbox/query/index.js';

const twin = {
  deviceId: 'dev-1',
  capabilities: { iotEdge: true },
  tags: {
    ring: 'canary',
    weight: 5,
    ratio: -1.5,
    enabled: true,
    nothing: null,
    Mixed: 'Case',
    group: 'g1',
    nested: { a: { b: 'deep' } },
  },
  properties: {
    desired: { $version: 7 },
    reported: { lastDesiredVersion: 7, lastDesiredStatus: { code: 200 }, text: "it's" },
  },
  configurations: { 'rel-1-0': { status: 'Applied' }, "a-:+%_#*?!(),=@;'z": { status: 'Targeted' } },
};

function table(rows: [string, boolean][]): [string, boolean][] {
  return rows;
}

describe('compileCondition', () => {
  describe.each([
    [
      'string comparison (case-sensitive, ordinal)',
      table([
        ["tags.ring = 'canary'", true],
        ["'canary' = tags.ring", true],
        ["tags.ring = 'Canary'", false],
        ["tags.ring != 'pilot'", true],
        ["tags.ring <> 'pilot'", true],
        ["tags.ring < 'pilot'", true],
        ["tags.ring > 'Canary'", true],
        ["tags.ring >= 'canary'", true],
        ["tags.ring <= 'canarz'", true],
      ]),
    ],
    [
      'numbers (int, decimal, negative, hex, exponent)',
      table([
        ['tags.weight = 5', true],
        ['tags.weight = 5.0', true],
        ['tags.weight = 0x5', true],
        ['tags.weight = 5e0', true],
        ['tags.weight > 4.5', true],
        ['tags.weight >= 5', true],
        ['tags.weight < 5', false],
        ['tags.weight <= 5', true],
        ['tags.weight != 6', true],
        ['tags.ratio = -1.5', true],
        ['tags.ratio < -1', true],
        ['10 > tags.weight', true],
      ]),
    ],
    [
      'booleans and null',
      table([
        ['tags.enabled = true', true],
        ['tags.enabled != false', true],
        ['capabilities.iotEdge = true', true],
        ['tags.nothing = null', true],
        ['tags.nothing != null', false],
        ['tags.ring = null', false],
      ]),
    ],
    [
      'different types and undefined properties are neither true nor false',
      table([
        ["tags.weight = '5'", false],
        ["tags.weight != '5'", false],
        ["NOT (tags.weight = '5')", false],
        ["tags.missing = 'x'", false],
        ["tags.missing != 'x'", false],
        ["NOT (tags.missing = 'x')", false],
        ["NOT IS_DEFINED(tags.missing) OR tags.missing != 'x'", true],
        ['tags.nested = tags.nested', false],
        ["tags.ring.x = 'a'", false],
        ['tags.missing = undefined', false],
        ['tags.missing = 1 OR tags.weight = 5', true],
        ['tags.missing = 1 AND tags.weight = 5', false],
        ['NOT (tags.missing = 1 AND tags.weight = 5)', false],
        ['NOT (tags.missing = 1 AND tags.weight = 6)', true],
        ['NOT (tags.missing = 1 OR tags.weight = 6)', false],
      ]),
    ],
    [
      'paths: nested, $-prefixed, [[bracketed]], path against path, any case',
      table([
        ["tags.nested.a.b = 'deep'", true],
        ['properties.desired.$version = 7', true],
        ['properties.desired.$version = properties.reported.lastDesiredVersion', true],
        ['properties.reported.lastDesiredStatus.code = 200', true],
        ["configurations.[[rel-1-0]].status = 'Applied'", true],
        ["configurations.[[a-:+%_#*?!(),=@;'z]].status = 'Targeted'", true],
        ["configurations.[[rel-2-0]].status = 'Applied'", false],
        ["tags.[[group]] = 'g1'", true],
        ["tags.mixed = 'Case'", true],
        ["TAGS.Ring = 'canary'", true],
        ["DeviceID = 'dev-1'", true],
        ["tags.mixed = 'case'", false],
        ["tags . nested . a . b = 'deep'", true],
      ]),
    ],
    [
      'inherited object members are not properties',
      table([
        ['IS_DEFINED(tags.constructor)', false],
        ['IS_DEFINED(tags.toString)', false],
        ['IS_DEFINED(tags.__proto__)', false],
        ["tags.constructor = 'x'", false],
      ]),
    ],
    [
      'AND, OR, NOT and parentheses (NOT binds looser than comparisons)',
      table([
        ["tags.ring = 'pilot' OR tags.ring = 'canary' AND tags.weight = 5", true],
        ["(tags.ring = 'pilot' OR tags.ring = 'canary') AND tags.weight = 6", false],
        ["tags.ring = 'canary' AND (tags.weight = 6 OR tags.enabled = true)", true],
        ["NOT tags.ring = 'pilot'", true],
        ['NOT NOT tags.enabled', true],
        ["tags.ring = 'canary' and not tags.weight = 6", true],
        ["((tags.ring = 'canary'))", true],
      ]),
    ],
    [
      'IN, NIN and NOT IN',
      table([
        ["tags.ring IN ['pilot', 'canary']", true],
        ["tags.ring IN ['pilot']", false],
        ["tags.ring NIN ['pilot']", true],
        ["tags.ring nin ['canary']", false],
        ["tags.ring NOT IN ['pilot']", true],
        ["tags.ring NOT IN ['canary']", false],
        ["NOT tags.ring IN ['canary']", false],
        ["tags.missing IN ['x']", false],
        ["tags.missing NIN ['x']", false],
        ['tags.weight IN [1, 5]', true],
        ["tags.weight IN ['5']", false],
        ['tags.ratio IN [-1.5]', true],
        ['tags.nothing IN [null, 1]', true],
        ['tags.enabled IN [true]', true],
        ["tags.nested NIN ['x']", false],
        ["deviceId IN ['dev-1', 'dev-2']", true],
      ]),
    ],
    [
      'functions (any case)',
      table([
        ['IS_DEFINED(tags.ring)', true],
        ['is_defined(tags.missing)', false],
        ['IS_DEFINED(tags.nothing)', true],
        ['IS_NULL(tags.nothing)', true],
        ['IS_NULL(tags.missing)', false],
        ['IS_STRING(tags.ring)', true],
        ['IS_STRING(tags.weight)', false],
        ['IS_NUMBER(tags.weight)', true],
        ['IS_BOOL(tags.enabled)', true],
        ['IS_BOOL(tags.ring)', false],
        ['IS_OBJECT(tags.nested)', true],
        ['IS_PRIMITIVE(tags.nested)', false],
        ['IS_ARRAY(tags.nested)', false],
        ["STARTSWITH(deviceId, 'dev-')", true],
        ["startswith(deviceId, 'DEV-')", false],
        ["STARTS_WITH(deviceId, 'dev')", true],
        ["ENDSWITH(tags.ring, 'ary')", true],
        ["ENDS_WITH(tags.ring, 'x')", false],
        ["CONTAINS(tags.ring, 'nar')", true],
        ["STARTSWITH(tags.weight, '5')", false],
        ["NOT STARTSWITH(tags.missing, 'x')", false],
        ["NOT ENDSWITH(tags.ring, 'x')", true],
      ]),
    ],
    [
      'string literals',
      table([
        ["properties.reported.text = 'it''s'", true],
        ["properties.reported.text = 'it\\'s'", true],
        ["properties.reported.text = 'it\\u0027s'", true],
        ["tags.ring = ''", false],
      ]),
    ],
    [
      'bare values: only true passes',
      table([
        ['capabilities.iotEdge', true],
        ['tags.enabled', true],
        ['tags.ring', false],
        ['tags.missing', false],
        ['true', true],
        ['false', false],
        ['null', false],
      ]),
    ],
    ['whitespace and line breaks', table([["\n\ttags.ring\r\n=\n'canary'\n  AND\ttags.weight=5 ", true]])],
  ])('%s', (_feature, rows) => {
    test.each(rows)('%s → %p', (expression, expected) => {
      expect(compileCondition(expression)(twin)).toBe(expected);
    });
  });

  test('a compiled condition is reusable across documents', () => {
    const isCanary = compileCondition("tags.ring = 'canary'");
    const docs = [{ tags: { ring: 'canary' } }, { tags: { ring: 'pilot' } }, { tags: {} }, {}];
    expect(docs.map(isCanary)).toEqual([true, false, false, false]);
  });
});
