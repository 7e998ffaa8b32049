import { describe, expect, test } from '@jest/globals';
import {
  DEFAULT_GATE,
  defaultRings,
  parseRings,
  ringsInputKind,
  RolloutInputError,
  type Problem,
} from '../../../src/rollout/index.js';

function problemsOf(yaml: string): Problem[] {
  try {
    parseRings(yaml);
  } catch (error) {
    if (error instanceof RolloutInputError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the rings to be refused');
}

const canary = '  - name: canary\n    tag: ring=canary\n';

// [what, yaml, expected path, expected message part, expected fix part]
const BAD_RINGS: Array<[string, string, string, RegExp, RegExp?]> = [
  [
    'YAML syntax',
    'rings:\n  - name: canary\n   tag: x',
    'line 3, column 1',
    /^Sequence item without - indicator$/,
    /YAML syntax/,
  ],
  ['YAML duplicate key', `rings:\n${canary}rings: []`, 'line 4, column 1', /unique/],
  ['a scalar document', 'canary', '(root)', /expected a mapping/, /rings:/],
  ['unknown top-level key', 'ring:\n' + canary, 'ring', /unknown key 'ring'/, /did you mean 'rings'/],
  ['rings missing', "app-scope: tags.app='x'", 'rings', /is missing/],
  ['rings not a list', 'rings: canary', 'rings', /expected a list of rings/],
  ['rings empty', 'rings: []', 'rings', /is empty/, /canary, pilot and fleet/],
  ['ring not a mapping', 'rings:\n  - canary', 'rings[0]', /expected a ring/],
  ['name missing', 'rings:\n  - tag: ring=canary', 'rings[0].name', /is missing/],
  [
    'name with a space',
    'rings:\n  - name: my ring\n    tag: ring=x',
    'rings[0].name',
    /not a valid ring name/,
  ],
  [
    'duplicate name',
    `rings:\n${canary}  - name: Canary\n    tag: ring=pilot`,
    'rings[1].name',
    /duplicate ring name 'Canary'/,
  ],
  [
    'same target twice',
    `rings:\n${canary}  - name: pilot\n    tag: ring=canary`,
    'rings[1]',
    /same devices as rings\[0\]/,
  ],
  ['no target', 'rings:\n  - name: canary', 'rings[0]', /has no target/, /tag: ring=canary/],
  [
    'two targets',
    'rings:\n  - name: canary\n    tag: ring=canary\n    device-ids: [a]',
    'rings[0]',
    /has 2 targets/,
  ],
  [
    'tag without =',
    'rings:\n  - name: canary\n    tag: canary',
    'rings[0].tag',
    /expected name=value/,
    /tag: ring=canary/,
  ],
  [
    'tag value with a space',
    'rings:\n  - name: c\n    tag: ring=eu west',
    'rings[0].tag',
    /' ' \(space\)/,
    /ASCII letters/,
  ],
  [
    'tag name with a dash',
    'rings:\n  - name: c\n    tag: my-ring=x',
    'rings[0].tag',
    /'my-ring' is not a tag name/,
  ],
  [
    'tags not a mapping',
    'rings:\n  - name: c\n    tags: [ring]',
    'rings[0].tags',
    /expected a mapping of tag names/,
  ],
  [
    'tags nested value',
    'rings:\n  - name: c\n    tags: {ring: {a: 1}}',
    'rings[0].tags.ring',
    /expected a tag value/,
  ],
  ['tags value with a slash', 'rings:\n  - name: c\n    tags: {site: a/b}', 'rings[0].tags.site', /'\/'/],
  [
    'device-ids empty',
    'rings:\n  - name: c\n    device-ids: []',
    'rings[0].device-ids',
    /expected a list of device ids/,
  ],
  [
    'device id with a space',
    'rings:\n  - name: c\n    device-ids: [ok, "bad id"]',
    'rings[0].device-ids[1]',
    /device id 'bad id'/,
  ],
  [
    'device id twice',
    'rings:\n  - name: c\n    device-ids: [a, a]',
    'rings[0].device-ids[1]',
    /listed twice/,
  ],
  [
    'device id too long',
    `rings:\n  - name: c\n    device-ids: [${'x'.repeat(129)}]`,
    'rings[0].device-ids[0]',
    /129 characters/,
  ],
  [
    'double quote in condition',
    'rings:\n  - name: c\n    target-condition: \'tags.ring="c"\'',
    'rings[0].target-condition',
    /single quotes only/,
    /tags.ring='c'/,
  ],
  [
    'unterminated quote',
    "rings:\n  - name: c\n    target-condition: tags.ring='c",
    'rings[0].target-condition',
    /Unterminated string/,
  ],
  [
    'desired property in condition',
    "rings:\n  - name: c\n    target-condition: properties.desired.x='1'",
    'rings[0].target-condition',
    /'properties.desired.x' cannot be targeted/,
  ],
  [
    'condition not a string',
    'rings:\n  - name: c\n    target-condition: 5',
    'rings[0].target-condition',
    /expected a target condition/,
  ],
  [
    'unknown ring key',
    'rings:\n  - name: c\n    tag: ring=c\n    gates: {}',
    'rings[0].gates',
    /unknown key 'gates'/,
    /did you mean 'gate'/,
  ],
  [
    'gate key on the ring',
    'rings:\n  - name: c\n    tag: ring=c\n    soak: 5m',
    'rings[0].soak',
    /unknown key 'soak'/,
    /move it under gate/,
  ],
  [
    'unknown gate key',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-sucess: 95%}',
    'rings[0].gate.min-sucess',
    /unknown key/,
    /did you mean 'min-success'/,
  ],
  [
    'gate not a mapping',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: strict',
    'rings[0].gate',
    /expected gate settings/,
  ],
  [
    'min-success 95 (not a share)',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-success: 95}',
    'rings[0].gate.min-success',
    /more than 100%: write '95%' or 0.95/,
  ],
  [
    'min-success 150%',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-success: 150%}',
    'rings[0].gate.min-success',
    /more than 100%/,
  ],
  [
    'min-success 0',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-success: 0}',
    'rings[0].gate.min-success',
    /no device succeeding/,
  ],
  [
    'min-success a word',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-success: most}',
    'rings[0].gate.min-success',
    /expected a share/,
    /0.95/,
  ],
  [
    'max-failures negative',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {max-failures: -5%}',
    'rings[0].gate.max-failures',
    /negative/,
  ],
  [
    'max-failed-devices fraction',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {max-failed-devices: 1.5}',
    'rings[0].gate.max-failed-devices',
    /whole number/,
  ],
  [
    'min-devices 0',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-devices: 0}',
    'rings[0].gate.min-devices',
    /less than 1/,
  ],
  [
    'min-sample 0',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {min-sample: 0}',
    'rings[0].gate.min-sample',
    /less than 1/,
  ],
  [
    'soak without unit',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {soak: 600}',
    'rings[0].gate.soak',
    /no unit: write it as '600s'/,
  ],
  [
    'soak in words',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {soak: 10 minutes}',
    'rings[0].gate.soak',
    /not a duration/,
  ],
  [
    'timeout 0',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {timeout: 0s}',
    'rings[0].gate.timeout',
    /timeout of 0/,
  ],
  [
    'health not a mapping',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {health: yes}',
    'rings[0].gate.health',
    /expected health settings/,
  ],
  [
    'health unknown key',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {health: {max-restart: 2}}',
    'rings[0].gate.health.max-restart',
    /unknown key/,
    /did you mean 'max-restarts'/,
  ],
  [
    'max-restarts negative',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {health: {max-restarts: -1}}',
    'rings[0].gate.health.max-restarts',
    /less than 0/,
  ],
  [
    'require-running a word',
    'rings:\n  - name: c\n    tag: ring=c\n    gate: {health: {require-running: maybe}}',
    'rings[0].gate.health.require-running',
    /true or false/,
  ],
  [
    'defaults unknown key',
    `defaults: {soak-time: 5m}\nrings:\n${canary}`,
    'defaults.soak-time',
    /unknown key/,
  ],
  [
    'defaults bad value',
    `defaults: {timeout: soon}\nrings:\n${canary}`,
    'defaults.timeout',
    /not a duration/,
  ],
  ['app-scope with ==', `app-scope: tags.app=='x'\nrings:\n${canary}`, 'app-scope', /'=='/, /single '='/],
  ['app-scope not a string', `app-scope: [x]\nrings:\n${canary}`, 'app-scope', /expected a target condition/],
];

describe('parseRings refuses bad rings with a path, a message and a fix', () => {
  // Rows get an explicit fifth column: a short row would hand jest's `done` callback in its place.
  const rows = BAD_RINGS.map(
    ([what, yaml, path, message, fix]) => [what, yaml, path, message, fix ?? null] as const,
  );
  test.each(rows)('%s', (_what, yaml, path, message, fix) => {
    const problems = problemsOf(yaml);
    const problem = problems.find((p) => p.path === path);
    expect(problem).toBeDefined();
    expect(problem!.message).toMatch(message);
    if (fix) expect(problem!.fix).toMatch(fix);
  });

  test('collects every problem of one input at once', () => {
    const problems = problemsOf(
      'rings:\n  - name: a\n    tag: ring=a\n    gate: {soak: 5, min-success: 2}\n  - name: a\n    tags: {}\n',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'rings[0].gate.min-success',
      'rings[0].gate.soak',
      'rings[1].tags',
    ]);
  });

  test('the error message lists every problem', () => {
    expect(() => parseRings('rings:\n  - name: c\n  - name: d\n')).toThrow(
      /2 problems[\s\S]*rings\[0\][\s\S]*rings\[1\]/,
    );
  });
});

describe('parseRings reads good rings', () => {
  test('empty input means canary, pilot and fleet by tags.ring', () => {
    for (const input of [undefined, '', '  \n']) {
      const config = parseRings(input);
      expect(config.rings.map((ring) => [ring.name, ring.condition])).toEqual([
        ['canary', "tags.ring='canary'"],
        ['pilot', "tags.ring='pilot'"],
        ['fleet', "tags.ring='fleet'"],
      ]);
      expect(config.rings[0]!.gate).toEqual(DEFAULT_GATE);
    }
    expect(defaultRings().appScope).toBeUndefined();
  });

  test('every kind of target', () => {
    const config = parseRings(`
app-scope: tags.app='vision'
rings:
  - name: lab
    device-ids: [edge-01, "operator's-box"]
  - name: canary
    tag: ring='canary'
  - name: pilot
    tags: {ring: pilot, region: eu, tier: 2, gpu: true}
  - name: fleet
    target-condition: "tags.environment='prod' OR tags.ring='fleet'"
`);
    expect(config.appScope).toBe("tags.app='vision'");
    expect(config.rings.map((ring) => ring.condition)).toEqual([
      "deviceId='edge-01' OR deviceId='operator''s-box'",
      "tags.ring='canary'",
      "tags.ring='pilot' AND tags.region='eu' AND tags.tier=2 AND tags.gpu=true",
      "tags.environment='prod' OR tags.ring='fleet'",
    ]);
  });

  test('a bare list of rings is accepted', () => {
    expect(parseRings('- name: canary\n  tag: ring=canary\n').rings).toHaveLength(1);
  });

  test('defaults apply to every ring and a ring gate overrides them key by key', () => {
    const config = parseRings(`
defaults:
  min-success: 90%
  soak: 10m
  health: {max-restarts: 5}
rings:
  - name: canary
    tag: ring=canary
    gate: {min-success: 1, max-failed-devices: 0, min-sample: 3, health: {require-running: false}}
  - name: fleet
    tag: ring=fleet
    gate: {timeout: 1h30m, max-failures: '10%', min-devices: "50"}
`);
    const [first, second] = config.rings;
    expect(first!.gate).toEqual({
      ...DEFAULT_GATE,
      minSuccess: 1,
      maxFailedDevices: 0,
      minSample: 3,
      soakMs: 600_000,
      health: { requireRunning: false, maxRestarts: 5 },
    });
    expect(second!.gate).toEqual({
      ...DEFAULT_GATE,
      minSuccess: 0.9,
      maxFailures: 0.1,
      minDevices: 50,
      soakMs: 600_000,
      timeoutMs: 5_400_000,
      health: { requireRunning: true, maxRestarts: 5 },
    });
  });

  test('rings may overlap (targeting is cumulative)', () => {
    const config = parseRings(
      "rings:\n  - {name: a, tag: ring=a}\n  - {name: b, target-condition: \"tags.ring='a' OR tags.ring='b'\"}",
    );
    expect(config.rings).toHaveLength(2);
  });

  test('parsed defaults are not shared between rings', () => {
    const config = parseRings(`rings:\n${canary}  - name: pilot\n    tag: ring=pilot\n`);
    config.rings[0]!.gate.health.maxRestarts = 99;
    expect(config.rings[1]!.gate.health.maxRestarts).toBe(2);
    expect(DEFAULT_GATE.health.maxRestarts).toBe(2);
  });
});

describe('ringsInputKind', () => {
  test.each([
    ['rings.yml', 'file'],
    ['./deploy/rings.yaml', 'file'],
    ['C:\\config\\rings.yml', 'file'],
    ['config/my rings.yml', 'file'],
    ['rings:\n  - name: canary', 'yaml'],
    ['- name: canary', 'yaml'],
    ['{rings: [{name: canary, tag: ring=canary}]}', 'yaml'],
    ['[{name: canary, tag: ring=canary}]', 'yaml'],
    ['rings: []', 'yaml'],
    ['  rings.yml  ', 'file'],
  ] as [string, 'yaml' | 'file'][])('%j is %s', (input, kind) => {
    expect(ringsInputKind(input)).toBe(kind);
  });
});
