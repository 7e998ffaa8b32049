import { describe, expect, test } from '@jest/globals';
import { compileCondition, compileQuery, QueryError } from '../../../../src/sandbox/query/index.js';

function errorOf(run: () => unknown): QueryError {
  try {
    run();
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error('expected a QueryError');
}

/** [query, message, rest]: `rest` is the query text from the reported position on. */
type ErrorCase = [string, RegExp, string];

const W = 'SELECT * FROM devices WHERE ';

describe.each<[string, ErrorCase[]]>([
  [
    'syntax',
    [
      [`${W}(tags.a = 1))`, /^Unexpected token '\)'/, ')'],
      [`${W}tags.a = 1 ORDER BY tags.a`, /^Unexpected token 'ORDER'/, 'ORDER BY tags.a'],
      [`${W}`, /^Unexpected end of query/, ''],
      [`${W}tags.a =`, /^Unexpected end of query/, ''],
      [`${W}(tags.a = 1`, /^Unexpected end of query.*expected '\)'/, ''],
      [`${W}tags.a = 1 AND`, /^Unexpected end of query/, ''],
      [`${W}tags.a == 1`, /^Unexpected token '='/, '= 1'],
      [`${W}tags.a = 1 = 2`, /^Unexpected token '='/, '= 2'],
      [`${W}tags. = 1`, /^Unexpected token '='.*property name/, '= 1'],
      [`${W}tags.a = 1 # 2`, /^Unexpected character '#'/, '# 2'],
      [`${W}tags.a ! 1`, /^Unexpected character '!'/, '! 1'],
      [`${W}AND tags.a = 1`, /^Unexpected token 'AND'/, 'AND tags.a = 1'],
      [`${W}tags.group = 'x'`, /^'group' is a reserved word.*\[\[group\]\]/, "group = 'x'"],
      [`${W}tags.a = 1 + 2`, /^Arithmetic operator '\+' is not supported/, '+ 2'],
      [`${W}tags.a * 2 = 4`, /^Arithmetic operator '\*' is not supported/, '* 2 = 4'],
      [`${W}[1] = 1`, /only allowed after IN/, '[1] = 1'],
      ['SELECT * devices', /^Unexpected token 'devices'.*expected FROM/, 'devices'],
      ['FROM devices', /^Unexpected token 'FROM'.*expected SELECT/, 'FROM devices'],
      ['SELECT FROM devices', /^Unexpected token 'FROM'.*property name/, 'FROM devices'],
      ['SELECT deviceId AS FROM devices', /^Unexpected token 'FROM'.*name after AS/, 'FROM devices'],
      [
        'SELECT deviceId AS select FROM devices',
        /^Unexpected token 'select'.*name after AS/,
        'select FROM devices',
      ],
      ['SELECT TOP x * FROM devices', /^Unexpected token 'x'.*whole number/, 'x * FROM devices'],
      [
        'SELECT COUNT(1) FROM devices',
        /^Unexpected token '1'.*COUNT\(\) takes no arguments/,
        '1) FROM devices',
      ],
      ['SELECT COUNT() FROM devices GROUP BY tags.a, tags.b', /GROUP BY takes one property/, ', tags.b'],
      ['SELECT * FROM devices GROUP tags.a', /^Unexpected token 'tags'.*expected BY/, 'tags.a'],
    ],
  ],
  [
    'literals',
    [
      [`${W}tags.a = "x"`, /^Double quote.*single quotes/, '"x"'],
      [`${W}tags.a = 'x`, /^Unterminated string/, "'x"],
      [`${W}tags.a = 'a\\qb'`, /^Invalid escape sequence '\\q'/, "\\qb'"],
      [`${W}tags.a = 12abc`, /^Invalid number '12a'/, '12abc'],
      [`${W}tags.a = 1.`, /^Invalid number '1\.'/, '1.'],
      [`${W}tags.a = -x`, /^Unexpected token '-'/, '-x'],
      [
        `${W}configurations.[[rel-1-0.status = 'x'`,
        /^Unterminated '\[\[' property name/,
        "[[rel-1-0.status = 'x'",
      ],
      [`${W}tags.[[]] = 1`, /^Empty '\[\[\]\]' property name/, '[[]] = 1'],
    ],
  ],
  [
    'IN lists',
    [
      [`${W}tags.a IN ('x', 'y')`, /^Unexpected token '\('.*square brackets/, "('x', 'y')"],
      [`${W}tags.a IN []`, /^Empty IN list/, '[]'],
      [`${W}tags.a IN [tags.b]`, /^Unexpected token 'tags'.*constants only/, 'tags.b]'],
      [`${W}tags.a IN ['x'`, /^Unexpected end of query.*expected '\]'/, ''],
      [`${W}tags.a NOT LIKE 'x'`, /^Unexpected token 'NOT'/, "NOT LIKE 'x'"],
    ],
  ],
  [
    'functions and aggregates',
    [
      [`${W}foo(tags.a)`, /^Unknown function 'foo'/, 'foo(tags.a)'],
      [`${W}LOWER(tags.a) = 'x'`, /^Unknown function 'LOWER'/, "LOWER(tags.a) = 'x'"],
      [
        `${W}IS_DEFINED(tags.a, tags.b)`,
        /^IS_DEFINED\(\) takes 1 argument, got 2/,
        'IS_DEFINED(tags.a, tags.b)',
      ],
      [`${W}STARTSWITH(tags.a)`, /^STARTSWITH\(\) takes 2 arguments, got 1/, 'STARTSWITH(tags.a)'],
      [`${W}IS_NULL()`, /^IS_NULL\(\) takes 1 argument, got 0/, 'IS_NULL()'],
      [`${W}COUNT() > 1`, /^Aggregate COUNT\(\) is only allowed in SELECT/, 'COUNT() > 1'],
      ['SELECT SUM(tags.a) FROM devices', /^Aggregate SUM\(\) is not supported/, 'SUM(tags.a) FROM devices'],
      [
        'SELECT IS_DEFINED(tags.a) FROM devices',
        /^Function IS_DEFINED\(\) cannot be selected/,
        'IS_DEFINED(tags.a) FROM devices',
      ],
      ['SELECT bar(tags.a) FROM devices', /^Unknown function 'bar'/, 'bar(tags.a) FROM devices'],
    ],
  ],
  [
    'FROM',
    [
      ['SELECT * FROM twins', /^Unknown collection 'twins'.*devices\.modules/, 'twins'],
      ['SELECT * FROM devices.jobs', /^Unknown collection 'devices\.jobs'/, 'devices.jobs'],
      ['SELECT * FROM', /^Unexpected end of query/, ''],
      ['SELECT * FROM devices devices', /^Unexpected token 'devices'/, 'devices'],
    ],
  ],
  [
    'projections',
    [
      [
        'SELECT deviceId, COUNT() FROM devices',
        /^'deviceId' must be the GROUP BY property or an aggregate/,
        'deviceId, COUNT() FROM devices',
      ],
      [
        'SELECT tags.b, COUNT() FROM devices GROUP BY tags.a',
        /^'tags\.b' must be the GROUP BY property/,
        'tags.b, COUNT() FROM devices GROUP BY tags.a',
      ],
      ['SELECT * FROM devices GROUP BY tags.a', /^SELECT \* cannot be grouped/, 'tags.a'],
      [
        'SELECT tags.a.x, tags.b.X FROM devices',
        /^Duplicate result name 'X'.*use AS/,
        'tags.b.X FROM devices',
      ],
      [
        'SELECT COUNT() AS n, deviceId AS n FROM devices',
        /^Duplicate result name 'n'/,
        'deviceId AS n FROM devices',
      ],
    ],
  ],
])('QueryError: %s', (_kind, cases) => {
  test.each(cases)('%s', (sql, message, rest) => {
    const error = errorOf(() => compileQuery(sql));
    const position = sql.length - rest.length + 1;
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`at position ${position}`);
    expect(error.position).toBe(position);
    expect(error.name).toBe('QueryError');
  });
});

describe('QueryError from compileCondition', () => {
  test.each<[string, RegExp]>([
    ['', /^Condition is empty/],
    ['   ', /^Condition is empty/],
    ["tags.a = 'x')", /^Unexpected token '\)' at position 13/],
    ["tags.a = 'x' tags.b = 'y'", /^Unexpected token 'tags' at position 14/],
    ["WHERE tags.a = 'x'", /^Unexpected token 'WHERE' at position 1/],
    ['tags.a = "x"', /^Double quote at position 10/],
  ])('%p', (expression, message) => {
    expect(errorOf(() => compileCondition(expression)).message).toMatch(message);
  });
});
