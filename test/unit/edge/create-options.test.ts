import { describe, expect, test } from '@jest/globals';
import {
  CREATE_OPTIONS_CHUNK_SIZE,
  CREATE_OPTIONS_MAX_CHUNKS,
  CREATE_OPTIONS_MAX_LENGTH,
  ManifestError,
  compactCreateOptions,
  splitCreateOptions,
} from '../../../src/edge/index.js';
import { readCreateOptions } from '../../../src/edge/create-options.js';

const AT = [
  'modulesContent',
  '$edgeAgent',
  'properties.desired',
  'modules',
  'model',
  'settings',
  'createOptions',
];
const join = (chunks: Record<string, string>): string => Object.values(chunks).join('');

/** Create options whose compact JSON is exactly `length` characters. */
function optionsOfLength(length: number): { Cmd: string } {
  const overhead = JSON.stringify({ Cmd: '' }).length;
  return { Cmd: 'x'.repeat(length - overhead) };
}

describe('createOptions chunking (iotedgedev: 512-character chunks, at most 8)', () => {
  test('the limits are iotedgedev’s', () => {
    expect([CREATE_OPTIONS_CHUNK_SIZE, CREATE_OPTIONS_MAX_CHUNKS, CREATE_OPTIONS_MAX_LENGTH]).toEqual([
      512, 8, 4096,
    ]);
  });

  test.each([10, 511, 512, 513, 1024, 1025, 3000, 4095, 4096])(
    'compact JSON of %i characters round-trips: joining the chunks gives it back',
    (length) => {
      const compact = compactCreateOptions(optionsOfLength(length), AT);
      expect(compact).toHaveLength(length);
      const chunks = splitCreateOptions(compact, AT);
      expect(join(chunks)).toBe(compact);
      expect(Object.keys(chunks)).toHaveLength(Math.ceil(length / 512));
      expect(Object.values(chunks).every((chunk) => chunk.length <= 512)).toBe(true);
      expect(JSON.parse(join(chunks))).toEqual(optionsOfLength(length));
    },
  );

  test('chunk keys are createOptions, createOptions01 … createOptions07', () => {
    expect(Object.keys(splitCreateOptions('x'.repeat(4096), AT))).toEqual([
      'createOptions',
      ...[1, 2, 3, 4, 5, 6, 7].map((i) => `createOptions0${i}`),
    ]);
  });

  test('one character over 4096 is an error that gives the size and the limit', () => {
    expect(() => splitCreateOptions(compactCreateOptions(optionsOfLength(4097), AT), AT)).toThrow(
      'createOptions is 4097 characters long after compacting; the limit is 4096 (8 chunks of 512)',
    );
  });

  test('characters outside the BMP are never split, and count once (as in Python)', () => {
    const text = JSON.stringify({ Label: '😀'.repeat(600) });
    const chunks = splitCreateOptions(text, AT);
    expect(join(chunks)).toBe(text);
    for (const chunk of Object.values(chunks)) {
      expect(Array.from(chunk).length).toBeLessThanOrEqual(512);
      expect(chunk).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });

  test('empty createOptions stay one empty chunk', () => {
    expect(splitCreateOptions('', AT)).toEqual({ createOptions: '' });
  });
});

describe('compactCreateOptions', () => {
  test('an object becomes compact JSON', () => {
    expect(compactCreateOptions({ HostConfig: { Privileged: true, Binds: ['/a:/b'] } }, AT)).toBe(
      '{"HostConfig":{"Privileged":true,"Binds":["/a:/b"]}}',
    );
  });

  test('a JSON string loses its layout but keeps every value byte for byte (no number rounding)', () => {
    const text = '{\n  "HostConfig": { "Memory": 9007199254740993, "Cmd": [ "a  b", "tab\\t" ] }\n}';
    expect(compactCreateOptions(text, AT)).toBe(
      '{"HostConfig":{"Memory":9007199254740993,"Cmd":["a  b","tab\\t"]}}',
    );
  });

  test.each([
    ['not JSON', '{"HostConfig": ', 'does not parse'],
    ['an array', '[1, 2]', 'must be a JSON object, found an array'],
    ['a number', 42, 'must be an object or the JSON text of one, found number'],
  ])('%s is an error at the createOptions path', (_, value, message) => {
    try {
      compactCreateOptions(value, AT);
      throw new Error('expected a ManifestError');
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      const [found] = (error as ManifestError).problems;
      expect(found?.path).toBe(
        "$.modulesContent.$edgeAgent['properties.desired'].modules.model.settings.createOptions",
      );
      expect(found?.message).toContain(message);
    }
  });
});

describe('readCreateOptions reads chunks as the edge agent does', () => {
  const at = ['settings'];
  test('joins in key order, whatever the order in the object', () => {
    const read = readCreateOptions(
      { createOptions01: 'b', image: 'i', createOptions: 'a', createOptions02: 'c' },
      at,
    );
    expect(read).toEqual({
      keys: ['createOptions', 'createOptions01', 'createOptions02'],
      text: 'abc',
      problems: [],
    });
  });

  test.each([
    [
      { createOptions: 'a', createoptions: 'b' },
      "duplicate createOptions chunk: 'createOptions' and 'createoptions' are both chunk 0",
    ],
    [{ createOptions: 'a', createOptions01: 'b', createOptions1: 'c' }, 'are both chunk 1'],
    [{ createOptions: 'a', createOptions02: 'b' }, "expected 'createOptions01', found 'createOptions02'"],
    [{ createOptions01: 'b' }, "expected 'createOptions', found 'createOptions01'"],
  ])('%j is reported', (settings, message) => {
    expect(readCreateOptions(settings, at).problems[0]?.message).toContain(message);
  });
});
