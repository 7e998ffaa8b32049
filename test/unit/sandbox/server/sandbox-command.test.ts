import { describe, expect, test } from '@jest/globals';
import { parseSandboxArgs, runSandboxCommand } from '../../../../src/cli/sandbox-command.js';

describe('parseSandboxArgs', () => {
  test('defaults: the three standard rings, real time, port 443, one unit, throttled', () => {
    expect(parseSandboxArgs([])).toEqual({
      rings: [
        { name: 'canary', count: 5 },
        { name: 'pilot', count: 45 },
        { name: 'fleet', count: 150 },
      ],
      behaviours: [],
      timeScale: 1,
      host: undefined,
      port: 443,
      units: 1,
      throttle: true,
      requestLog: undefined,
    });
  });

  test('--devices alone makes one ring named fleet', () => {
    expect(parseSandboxArgs(['--devices', '12']).rings).toEqual([{ name: 'fleet', count: 12 }]);
  });

  test('--devices with --rings must match their sum', () => {
    expect(parseSandboxArgs(['--devices', '50', '--rings', 'canary=5,rest=45']).rings).toHaveLength(2);
  });

  test('every flag', () => {
    const options = parseSandboxArgs([
      '--rings=canary=2,fleet=8',
      '--behaviour',
      'canary:crash-loop@model:2.0.0',
      '--behaviour',
      'fleet/4:offline',
      '--time-scale',
      '60',
      '--host',
      '127.0.0.1',
      '--port',
      '8443',
      '--units',
      '2',
      '--no-throttle',
      '--request-log',
      '/tmp/requests.jsonl',
    ]);
    expect(options).toMatchObject({
      timeScale: 60,
      host: '127.0.0.1',
      port: 8443,
      units: 2,
      throttle: false,
      requestLog: '/tmp/requests.jsonl',
      behaviours: [
        { select: { ring: 'canary' }, behaviour: 'crash-loop', behaviourImage: 'model:2.0.0' },
        { select: { ring: 'fleet', every: 4 }, behaviour: 'offline' },
      ],
    });
  });

  test.each([
    [
      ['--devices', '10', '--rings', 'canary=5,fleet=6'],
      /--devices 10 does not match --rings canary=5,fleet=6, which adds up to 11/,
    ],
    [['--devices', 'many'], /--devices must be a whole number of at least 1, got 'many'/],
    [['--devices', '0'], /--devices must be a whole number/],
    [['--rings', 'canary'], /--rings: The ring 'canary' is not <name>=<count>/],
    [['--behaviour', 'canary:explode'], /--behaviour: In 'canary:explode': unknown behaviour 'explode'/],
    [['--time-scale', '0'], /--time-scale must be a positive number/],
    [['--port', '70000'], /--port must be a whole number from 1 to 65535/],
    [['--units', '1.5'], /--units must be a whole number/],
    [['--colour', 'blue'], /Unknown option '--colour'.*sandbox --help/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('%p is refused: %p', (argv, message) => {
    expect(() => parseSandboxArgs(argv)).toThrow(message);
  });
});

describe('runSandboxCommand', () => {
  test('a usage error is exit code 2 with the message on stderr, and nothing is started', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    let started = false;
    const code = await runSandboxCommand(
      ['--devices', 'x'],
      { log: (l) => lines.push(l), error: (l) => errors.push(l) },
      {
        start: async () => {
          started = true;
          throw new Error('not reached');
        },
      },
    );
    expect([code, lines, started]).toEqual([2, [], false]);
    expect(errors).toEqual([expect.stringMatching(/^error: --devices must be a whole number/)]);
  });

  test('a start failure is exit code 1 naming the cause', async () => {
    const errors: string[] = [];
    const code = await runSandboxCommand(
      ['--devices', '1'],
      { log: () => undefined, error: (l) => errors.push(l) },
      {
        start: () =>
          Promise.reject(
            new Error('cannot listen on 127.0.0.1:443: binding a port below 1024 needs privileges'),
          ),
      },
    );
    expect(code).toBe(1);
    expect(errors[0]).toMatch(/did not start: cannot listen .* needs privileges/);
  });
});
