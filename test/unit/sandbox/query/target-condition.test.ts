import { describe, expect, test } from '@jest/globals';
import { checkTargetCondition, QueryError } from '../../../../src/sandbox/query/index.js';

describe('checkTargetCondition', () => {
  test.each([
    "tags.ring='canary'",
    "tags.ring='canary' OR tags.ring='pilot'",
    "tags.environment='prod' AND tags.location='westus'",
    "deviceId IN ['edge-1', 'edge-2']",
    "deviceId NIN ['edge-3']",
    "deviceId='operator''sDevice'",
    "deviceId = 'a-:.+%_#*?!(),=@;$'",
    "tags.location.region = 'US' AND properties.reported.arch = 'aarch64'",
    "NOT (tags.ring = 'canary')",
    'IS_DEFINED(tags.ring)',
    "Tags.ring = 'canary'",
    "tags.[[group]] = 'a'",
  ])('accepts %s', (condition) => {
    expect(() => checkTargetCondition(condition)).not.toThrow();
  });

  test.each<[string, RegExp]>([
    ['', /^Target condition is empty/],
    ['  \n\t ', /^Target condition is empty/],
    ['tags.ring="canary"', /^Double quote in target condition at position 11; .*single quotes/],
    ['tags.ring=\'say "hi"\'', /^Double quote in target condition at position 16/],
    [
      'properties.desired.x = 1',
      /^Target condition uses 'properties\.desired\.x' at position 1; .*deviceId, tags/,
    ],
    [
      "tags.ring = 'canary' AND properties.desired.$version = 2",
      /uses 'properties\.desired\.\$version' at position 26/,
    ],
    ['capabilities.iotEdge = true', /uses 'capabilities\.iotEdge'/],
    ["moduleId = '$edgeAgent'", /uses 'moduleId'/],
    ["status = 'enabled'", /uses 'status'/],
    ["configurations.[[rel-1-0]].status = 'Applied'", /uses 'configurations\.\[\[rel-1-0\]\]\.status'/],
    ["tags = 'x'", /uses 'tags'/],
    ['properties.reported = 1', /uses 'properties\.reported'/],
    ["deviceId.x = 'a'", /uses 'deviceId\.x'/],
    ["STARTSWITH(properties.desired.x, 'a')", /uses 'properties\.desired\.x'/],
    ['true', /filters on no property/],
    ["tags.ring = 'canary' AND", /^Unexpected end of query at position 25/],
    ["SELECT * FROM devices WHERE tags.ring = 'canary'", /^Unexpected token 'SELECT' at position 1/],
  ])('rejects %p', (condition, message) => {
    let error: unknown;
    try {
      checkTargetCondition(condition);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(message);
  });
});
