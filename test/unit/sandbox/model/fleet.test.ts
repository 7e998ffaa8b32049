// Ring fleets and the CLI strings that describe them.
import { describe, expect, test } from '@jest/globals';
import {
  FleetSpecError,
  parseArchitectureMix,
  parseBehaviourRule,
  parseRingSizes,
  ringFleet,
} from '../../../../src/sandbox/fleet.js';

describe('ringFleet', () => {
  test('numbers devices per ring and tags them with the ring and app', () => {
    const specs = ringFleet({
      rings: [
        { name: 'canary', count: 2 },
        { name: 'fleet', count: 3 },
      ],
      app: 'demo',
    });
    expect(specs.map((s) => s.deviceId)).toEqual([
      'edge-canary-0001',
      'edge-canary-0002',
      'edge-fleet-0001',
      'edge-fleet-0002',
      'edge-fleet-0003',
    ]);
    expect(specs[0]).toEqual({
      deviceId: 'edge-canary-0001',
      tags: { ring: 'canary', app: 'demo' },
      behaviour: 'healthy',
      architecture: 'x86_64',
    });
  });

  test('pads wide rings and honours a prefix', () => {
    const specs = ringFleet({ rings: [{ name: 'big', count: 12_000 }], idPrefix: 'dev' });
    expect(specs.at(-1)!.deviceId).toBe('dev-big-12000');
    expect(specs[0]!.deviceId).toBe('dev-big-00001');
  });

  test('applies behaviour rules in order: ring, every n-th, device ids, image scope', () => {
    const specs = ringFleet({
      rings: [
        { name: 'canary', count: 4 },
        { name: 'pilot', count: 6 },
      ],
      behaviours: [
        { select: { ring: 'canary' }, behaviour: 'crash-loop', behaviourImage: 'app:2' },
        { select: { ring: 'pilot', every: 3 }, behaviour: 'offline' },
        { select: { deviceIds: ['edge-canary-0002'] }, behaviour: 'slow' },
        { select: { all: true, every: 10 }, behaviour: 'reject-manifest' },
      ],
    });
    const byId = Object.fromEntries(specs.map((s) => [s.deviceId, s]));
    expect(byId['edge-canary-0001']).toMatchObject({ behaviour: 'crash-loop', behaviourImage: 'app:2' });
    expect(byId['edge-canary-0002']).toMatchObject({ behaviour: 'slow' });
    expect(byId['edge-canary-0002']!.behaviourImage).toBeUndefined();
    expect(specs.filter((s) => s.behaviour === 'offline').map((s) => s.deviceId)).toEqual([
      'edge-pilot-0003',
    ]);
    expect(byId['edge-pilot-0006']).toMatchObject({ behaviour: 'reject-manifest' });
    expect(byId['edge-pilot-0001']).toMatchObject({ behaviour: 'healthy' });
  });

  test('cycles each ring through the architecture mix', () => {
    const specs = ringFleet({
      rings: [{ name: 'r', count: 8 }],
      architectures: { x86_64: 2, aarch64: 1, armv7l: 1 },
    });
    expect(specs.map((s) => s.architecture)).toEqual([
      'x86_64',
      'x86_64',
      'aarch64',
      'armv7l',
      'x86_64',
      'x86_64',
      'aarch64',
      'armv7l',
    ]);
  });

  test.each([
    [{ rings: [{ name: 'bad ring', count: 1 }] }, /ring name 'bad ring'/],
    [
      {
        rings: [
          { name: 'a', count: 1 },
          { name: 'a', count: 2 },
        ],
      },
      /given twice/,
    ],
    [{ rings: [{ name: 'a', count: -1 }] }, /whole number/],
    [
      {
        rings: [{ name: 'a', count: 1 }],
        behaviours: [{ select: { ring: 'b' }, behaviour: 'slow' as const }],
      },
      /ring 'b'/,
    ],
    [
      {
        rings: [{ name: 'a', count: 1 }],
        behaviours: [{ select: { deviceIds: ['x'] }, behaviour: 'slow' as const }],
      },
      /device 'x'/,
    ],
    [{ rings: [{ name: 'a', count: 1 }], architectures: { sparc: 1 } as never }, /architecture 'sparc'/],
  ])('refuses %j', (options, message) => {
    expect(() => ringFleet(options)).toThrow(message);
  });
});

describe('CLI strings', () => {
  test('rings: canary=5,pilot=45,fleet=150', () => {
    expect(parseRingSizes('canary=5, pilot=45,fleet=150')).toEqual([
      { name: 'canary', count: 5 },
      { name: 'pilot', count: 45 },
      { name: 'fleet', count: 150 },
    ]);
  });

  test.each([
    ['', /No rings/],
    ['canary', /'canary' is not <name>=<count>/],
    ['canary=five', /In 'canary=five': the device count must be a whole number/],
    ['can ary=5', /ring name 'can ary'/],
  ])('rings %j fail naming the bad part', (text, message) => {
    expect(() => parseRingSizes(text)).toThrow(FleetSpecError);
    expect(() => parseRingSizes(text)).toThrow(message);
  });

  test.each([
    ['canary:crash-loop', { select: { ring: 'canary' }, behaviour: 'crash-loop' }],
    ['fleet/10:offline', { select: { ring: 'fleet', every: 10 }, behaviour: 'offline' }],
    ['all:slow', { select: { all: true }, behaviour: 'slow' }],
    ['all/50:slow', { select: { all: true, every: 50 }, behaviour: 'slow' }],
    [
      'id=edge-pilot-0003+edge-pilot-0007:reject-manifest',
      { select: { deviceIds: ['edge-pilot-0003', 'edge-pilot-0007'] }, behaviour: 'reject-manifest' },
    ],
    [
      'canary:crash-loop@model:2.0.0',
      { select: { ring: 'canary' }, behaviour: 'crash-loop', behaviourImage: 'model:2.0.0' },
    ],
    [
      'canary:arch-mismatch@acr.io/app@sha256:ab',
      { select: { ring: 'canary' }, behaviour: 'arch-mismatch', behaviourImage: 'acr.io/app@sha256:ab' },
    ],
  ])('behaviour %j', (text, rule) => {
    expect(parseBehaviourRule(text)).toEqual(rule);
  });

  test.each([
    ['canary', /not <selector>:<behaviour>/],
    ['canary:sleepy', /unknown behaviour 'sleepy'/],
    [':slow', /selector is empty/],
    ['fleet/x:slow', /the n of <ring>\/<n> must be a whole number/],
    ['fleet/0:slow', /at least 1/],
    ['id=a++b:slow', /empty id/],
    ['canary:slow@', /image text after '@' is empty/],
  ])('behaviour %j fails naming the bad part', (text, message) => {
    expect(() => parseBehaviourRule(text)).toThrow(message);
  });

  test('architectures: x86_64=2,aarch64=1', () => {
    expect(parseArchitectureMix('x86_64=2,aarch64=1')).toEqual({ x86_64: 2, aarch64: 1 });
    expect(() => parseArchitectureMix('x86_64')).toThrow(/'x86_64' is not <architecture>=<weight>/);
    expect(() => parseArchitectureMix('mips=1')).toThrow(/unknown architecture 'mips'/);
    expect(() => parseArchitectureMix('armv7l=lots')).toThrow(/the weight must be a whole number/);
  });

  test('a parsed description builds the fleet it says', () => {
    const specs = ringFleet({
      rings: parseRingSizes('canary=5,pilot=45,fleet=150'),
      behaviours: ['canary:crash-loop@:2.0.0', 'fleet/10:offline'].map(parseBehaviourRule),
      architectures: parseArchitectureMix('x86_64=3,armv7l=1'),
    });
    expect(specs).toHaveLength(200);
    expect(specs.filter((s) => s.behaviour === 'offline')).toHaveLength(15);
    expect(specs.filter((s) => s.behaviourImage === ':2.0.0')).toHaveLength(5);
    expect(specs.filter((s) => s.architecture === 'armv7l')).toHaveLength(1 + 11 + 37);
  });
});
