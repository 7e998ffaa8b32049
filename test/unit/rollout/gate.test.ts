import { describe, expect, test } from '@jest/globals';
import {
  DEFAULT_GATE,
  evaluateGate,
  type GateConfig,
  type GateObservation,
  type GateTiming,
  type GateVerdict,
  summariseModuleHealth,
} from '../../../src/rollout/index.js';

const MIN = 60_000;
const START = Date.parse('2025-05-01T12:00:00Z');

function gate(overrides: Partial<GateConfig> = {}): GateConfig {
  return { ...DEFAULT_GATE, health: { ...DEFAULT_GATE.health }, ...overrides };
}

/** `n` devices targeted and applied, nothing reported yet. */
function seen(n: number, overrides: Partial<GateObservation> = {}): GateObservation {
  return {
    targeted: n,
    applied: n,
    reportedSuccess: 0,
    reportedFailure: 0,
    unhealthy: 0,
    restartsExceeded: 0,
    ...overrides,
  };
}

function at(minutes: number, soakStartedMinute?: number): GateTiming {
  const timing: GateTiming = { ringStartedAt: START, now: START + minutes * MIN };
  if (soakStartedMinute !== undefined) timing.soakStartedAt = START + soakStartedMinute * MIN;
  return timing;
}

// [what, gate, observation, timing, verdict, a reason that must be among the reasons]
const CASES: Array<[string, GateConfig, GateObservation, GateTiming, GateVerdict, RegExp]> = [
  // waiting
  [
    'too few successes',
    gate(),
    seen(45, { reportedSuccess: 12 }),
    at(3),
    'wait',
    /^12\/45 devices reported success; need 43 \(95%\)\.$/,
  ],
  [
    'devices not reported yet',
    gate(),
    seen(45, { reportedSuccess: 12 }),
    at(3),
    'wait',
    /^33 devices have not reported yet\.$/,
  ],
  [
    'hub has not applied yet',
    gate(),
    seen(45, { applied: 0 }),
    at(1),
    'wait',
    /not applied the release to 45 targeted devices/,
  ],
  ['time left before timeout', gate(), seen(45), at(10), 'wait', /^20m left before the ring times out\.$/],
  ['ring reaches no device', gate(), seen(0), at(1), 'wait', /reaches 0 devices; it needs at least 1/],
  [
    'fewer devices than min-devices',
    gate({ minDevices: 10 }),
    seen(5, { reportedSuccess: 5 }),
    at(1),
    'wait',
    /reaches 5 devices; it needs at least 10/,
  ],
  [
    'module not running is not healthy',
    gate(),
    seen(45, { reportedSuccess: 45, unhealthy: 3 }),
    at(5),
    'wait',
    /^42\/45 devices are healthy \(45 reported success, 3 with the model module not running\); need 43/,
  ],
  [
    '1 failure in a sample of 10 is not judged yet',
    gate(),
    seen(1000, { reportedSuccess: 9, reportedFailure: 1 }),
    at(5),
    'wait',
    /^9\/1000 devices reported success/,
  ],
  [
    '1 failure in 20 is within 5%',
    gate(),
    seen(1000, { reportedSuccess: 19, reportedFailure: 1 }),
    at(5),
    'wait',
    /need 950/,
  ],
  // soak and pass
  [
    'threshold met: soak starts',
    gate(),
    seen(45, { reportedSuccess: 44 }),
    at(6),
    'wait',
    /^44\/45 devices healthy \(need 43, 95%\); soaking, 5m of 5m left\.$/,
  ],
  ['soak under way', gate(), seen(45, { reportedSuccess: 43 }), at(8, 6), 'wait', /soaking, 3m of 5m left/],
  [
    'soak done: pass',
    gate(),
    seen(45, { reportedSuccess: 45 }),
    at(11, 6),
    'pass',
    /^45\/45 devices healthy \(need 43, 95%\), held for the 5m soak\.$/,
  ],
  [
    'no soak: pass at once',
    gate({ soakMs: 0 }),
    seen(3, { reportedSuccess: 3 }),
    at(1),
    'pass',
    /held for the 0s soak/,
  ],
  [
    '20 devices at 95% need 19',
    gate({ soakMs: 0 }),
    seen(20, { reportedSuccess: 19 }),
    at(1),
    'pass',
    /19\/20 devices healthy \(need 19/,
  ],
  [
    'not running ignored when the ring does not require it',
    gate({ health: { requireRunning: false, maxRestarts: 2 }, soakMs: 0 }),
    seen(10, { reportedSuccess: 10, unhealthy: 10 }),
    at(1),
    'pass',
    /10\/10 devices healthy/,
  ],
  [
    'offline devices are excluded, not failed',
    gate({ soakMs: 0 }),
    seen(50, { reportedSuccess: 43, offline: 5 }),
    at(4),
    'pass',
    /^5 offline devices excluded\.$/,
  ],
  [
    'overridden devices are excluded',
    gate({ soakMs: 0 }),
    seen(50, { applied: 48, reportedSuccess: 48, overridden: 2 }),
    at(4),
    'pass',
    /2 devices excluded: a higher-priority deployment wins there/,
  ],
  [
    'a soak under way may finish after the timeout',
    gate(),
    seen(45, { reportedSuccess: 45 }),
    at(33, 29),
    'wait',
    /soaking, 1m of 5m left/,
  ],
  [
    'a soak under way passes after the timeout',
    gate(),
    seen(45, { reportedSuccess: 45 }),
    at(34, 29),
    'pass',
    /held for the 5m soak/,
  ],
  // failures
  [
    'count exceeded',
    gate({ maxFailedDevices: 0 }),
    seen(100, { reportedSuccess: 1, reportedFailure: 1 }),
    at(2),
    'fail',
    /^1 device failed \(1 device refused the deployment\); at most 0 may fail\.$/,
  ],
  [
    'count exceeded before the sample',
    gate({ maxFailedDevices: 2 }),
    seen(1000, { reportedFailure: 3 }),
    at(2),
    'fail',
    /at most 2 may fail/,
  ],
  [
    'share of the ring exceeded',
    gate({ minSample: 500 }),
    seen(100, { reportedSuccess: 10, reportedFailure: 6 }),
    at(2),
    'fail',
    /^6 devices failed .*; at most 5 of the 100 reachable devices \(5%\) may fail\.$/,
  ],
  [
    'one failure in a canary of 3',
    gate(),
    seen(3, { reportedFailure: 1 }),
    at(1),
    'fail',
    /at most 0 of the 3 reachable devices/,
  ],
  [
    'success can no longer be reached',
    gate({ minSuccess: 1, maxFailures: 0.5 }),
    seen(10, { reportedSuccess: 2, reportedFailure: 1 }),
    at(1),
    'fail',
    /100% success \(10 of 10\) can no longer be reached/,
  ],
  [
    'share of the sample exceeded',
    gate(),
    seen(1000, { reportedSuccess: 18, reportedFailure: 2 }),
    at(3),
    'fail',
    /^2 devices failed \(2 devices refused the deployment\) out of 20 that reported \(10%\), more than the 5% allowed\.$/,
  ],
  [
    'custom sample of 5',
    gate({ minSample: 5 }),
    seen(1000, { reportedSuccess: 4, reportedFailure: 1 }),
    at(3),
    'fail',
    /out of 5 that reported \(20%\)/,
  ],
  [
    'crash loop: restarts exceeded',
    gate(),
    seen(10, { reportedSuccess: 10, restartsExceeded: 1 }),
    at(4),
    'fail',
    /the model module restarted more than 2 times on 1 device/,
  ],
  [
    'failures during the soak',
    gate(),
    seen(45, { reportedSuccess: 43, reportedFailure: 2, restartsExceeded: 1 }),
    at(9, 6),
    'fail',
    /3 devices failed \(2 devices refused the deployment and the model module restarted more than 2 times on 1 device\)/,
  ],
  [
    'failure samples are named',
    gate(),
    seen(3, {
      reportedFailure: 1,
      failureReasons: [{ deviceId: 'dev-7', reason: '400 invalid configuration' }],
    }),
    at(1),
    'fail',
    /^dev-7: 400 invalid configuration$/,
  ],
  // timeouts
  [
    'timeout says what was missing',
    gate(),
    seen(45, { reportedSuccess: 12 }),
    at(30),
    'fail',
    /^Timed out after 30m: 12\/45 devices reported success; need 43 \(95%\)\.$/,
  ],
  [
    'timeout on a ring that reaches nothing',
    gate(),
    seen(4, { offline: 4 }),
    at(31),
    'fail',
    /^Timed out after 30m: The ring reaches 0 devices; it needs at least 1\.$/,
  ],
  [
    'timeout names modules that do not run',
    gate({ timeoutMs: 10 * MIN }),
    seen(5, { reportedSuccess: 5, unhealthy: 2 }),
    at(10),
    'fail',
    /^Timed out after 10m: 3\/5 devices are healthy \(5 reported success, 2 with the model module not running\)/,
  ],
];

describe('evaluateGate', () => {
  test.each(CASES)('%s', (_what, config, observation, timing, verdict, reason) => {
    const result = evaluateGate(config, observation, timing);
    expect(result.verdict).toBe(verdict);
    expect(result.reasons).toEqual(expect.arrayContaining([expect.stringMatching(reason)]));
  });

  test('the soak start is handed back while the threshold holds and dropped when it is lost', () => {
    const first = evaluateGate(gate(), seen(45, { reportedSuccess: 44 }), at(6));
    expect(first.soakStartedAt).toBe(START + 6 * MIN);
    const second = evaluateGate(gate(), seen(45, { reportedSuccess: 44 }), {
      ...at(8),
      soakStartedAt: first.soakStartedAt!,
    });
    expect(second.soakStartedAt).toBe(first.soakStartedAt);
    const lost = evaluateGate(gate(), seen(45, { reportedSuccess: 40 }), {
      ...at(9),
      soakStartedAt: first.soakStartedAt!,
    });
    expect(lost.verdict).toBe('wait');
    expect(lost.soakStartedAt).toBeUndefined();
    const failed = evaluateGate(gate(), seen(3, { reportedFailure: 1 }), at(1, 0));
    expect(failed.soakStartedAt).toBeUndefined();
  });

  test('at most three failure samples are shown', () => {
    const failureReasons = ['a', 'b', 'c', 'd'].map((deviceId) => ({ deviceId, reason: 'x' }));
    const result = evaluateGate(gate(), seen(4, { reportedFailure: 4, failureReasons }), at(1));
    expect(result.reasons.filter((reason) => reason.endsWith(': x'))).toHaveLength(3);
  });

  test('counts explain the verdict', () => {
    const result = evaluateGate(
      gate(),
      seen(50, { reportedSuccess: 40, reportedFailure: 1, unhealthy: 2, restartsExceeded: 1, offline: 5 }),
      at(3),
    );
    expect(result.counts).toEqual({
      reachable: 45,
      required: 43,
      healthy: 37,
      failed: 2,
      reported: 41,
      sample: 20,
    });
  });
});

describe('summariseModuleHealth', () => {
  const health = { requireRunning: true, maxRestarts: 2 };
  test.each([
    ['all running', [{ deviceId: 'a', status: 'running', restarts: 0 }], 0, 0],
    ['backoff', [{ deviceId: 'a', status: 'backoff', restarts: 5 }], 1, 0],
    ['not reported', [{ deviceId: 'a' }], 1, 0],
    ['running after 3 restarts', [{ deviceId: 'a', status: 'running', restarts: 3 }], 0, 1],
    ['running after 2 restarts', [{ deviceId: 'a', status: 'running', restarts: 2 }], 0, 0],
  ])('%s', (_what, rows, unhealthy, restartsExceeded) => {
    const summary = summariseModuleHealth(rows, health);
    expect([summary.unhealthy, summary.restartsExceeded]).toEqual([unhealthy, restartsExceeded]);
  });

  test('counts restarts since the baseline and names the devices', () => {
    const rows = [
      { deviceId: 'a', status: 'running', restarts: 7 },
      { deviceId: 'b', status: 'running', restarts: 7 },
      { deviceId: 'c', status: 'failed', restarts: 0 },
    ];
    const summary = summariseModuleHealth(rows, health, new Map([['a', 6]]));
    expect(summary).toEqual({
      unhealthy: 1,
      restartsExceeded: 1,
      issues: [
        { deviceId: 'b', reason: 'model module restarted 7 times' },
        { deviceId: 'c', reason: 'model module failed' },
      ],
    });
  });

  test('with require-running off, only restarts count', () => {
    const summary = summariseModuleHealth([{ deviceId: 'a', status: 'backoff', restarts: 9 }], {
      requireRunning: false,
      maxRestarts: 2,
    });
    expect([summary.unhealthy, summary.restartsExceeded]).toEqual([0, 1]);
  });
});
