import { describe, expect, test } from '@jest/globals';
import { FaultInjector } from '../../../../src/sandbox/faults.js';

describe('FaultInjector', () => {
  test('no rules, no faults', () => {
    expect(new FaultInjector().plan('GET', '/configurations/a')).toEqual({ delays: [] });
  });

  test('matches method (any case) and glob paths: * within a segment, ** across', () => {
    const faults = new FaultInjector();
    faults.add({ method: 'put', path: '/configurations/*', fault: 'error', status: 503 });
    faults.add({ path: '/twins/**', fault: 'reset' });
    expect(faults.plan('PUT', '/configurations/app-1.4.0')).toEqual({
      delays: [],
      outcome: { fault: 'error', status: 503, ruleId: 1 },
    });
    expect(faults.plan('GET', '/configurations/app-1.4.0').outcome).toBeUndefined();
    expect(faults.plan('PUT', '/configurations/a/b').outcome).toBeUndefined();
    expect(faults.plan('PATCH', '/twins/dev-1/modules/$edgeAgent').outcome).toEqual({
      fault: 'reset',
      ruleId: 2,
    });
  });

  test('glob characters that mean something in a RegExp are literal', () => {
    const faults = new FaultInjector();
    faults.add({ path: "/configurations/app(1)+'x'", fault: 'error' });
    expect(faults.plan('GET', "/configurations/app(1)+'x'").outcome?.fault).toBe('error');
    expect(faults.plan('GET', '/configurations/app1x').outcome).toBeUndefined();
  });

  test('a RegExp path is tested as is', () => {
    const faults = new FaultInjector();
    faults.add({ path: /^\/devices\/query$/, fault: 'error' });
    expect(faults.plan('POST', '/devices/query').outcome?.fault).toBe('error');
    expect(faults.plan('GET', '/devices/dev-1').outcome).toBeUndefined();
  });

  test('"times" hits the next N matching requests, then the rule expires', () => {
    const faults = new FaultInjector();
    faults.add({ method: 'GET', fault: 'error', times: 2 });
    expect(faults.plan('POST', '/x').outcome).toBeUndefined();
    expect(faults.plan('GET', '/x').outcome?.fault).toBe('error');
    expect(faults.list()).toEqual([{ id: 1, rule: { method: 'GET', fault: 'error', times: 2 }, hits: 1 }]);
    expect(faults.plan('GET', '/x').outcome?.fault).toBe('error');
    expect(faults.plan('GET', '/x').outcome).toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  test('latency rules add up and do not stop an error rule; the first error or reset wins', () => {
    const faults = new FaultInjector();
    faults.add({ fault: 'latency', ms: 100 });
    faults.add({ fault: 'reset', times: 1 });
    faults.add({ fault: 'error', status: 500 });
    faults.add({ fault: 'latency', ms: 50, clock: 'real' });
    expect(faults.plan('GET', '/x')).toEqual({
      delays: [
        { ms: 100, clock: 'sandbox' },
        { ms: 50, clock: 'real' },
      ],
      outcome: { fault: 'reset', ruleId: 2 },
    });
    expect(faults.plan('GET', '/x').outcome).toEqual({ fault: 'error', status: 500, ruleId: 3 });
    // the error rule did not count a hit while the reset rule was ahead of it
    expect(faults.list().find((f) => f.id === 3)?.hits).toBe(1);
  });

  test('probabilities are deterministic for a seed and roughly right', () => {
    const hits = (seed: number) => {
      const faults = new FaultInjector(seed);
      faults.add({ fault: 'error', probability: 0.3 });
      return Array.from({ length: 1000 }, () => faults.plan('GET', '/x').outcome !== undefined);
    };
    expect(hits(7)).toEqual(hits(7));
    expect(hits(7)).not.toEqual(hits(8));
    const count = hits(7).filter(Boolean).length;
    expect(count).toBeGreaterThan(240);
    expect(count).toBeLessThan(360);
  });

  test('remove and clear switch rules off at run time', () => {
    const faults = new FaultInjector();
    const id = faults.add({ fault: 'error' });
    faults.add({ fault: 'reset', method: 'DELETE' });
    expect(faults.remove(id)).toBe(true);
    expect(faults.remove(id)).toBe(false);
    expect(faults.plan('GET', '/x').outcome).toBeUndefined();
    faults.clear();
    expect(faults.plan('DELETE', '/x').outcome).toBeUndefined();
  });

  test.each([
    [{ fault: 'error' as const, probability: 1.5 }, /probability must be between 0 and 1/],
    [{ fault: 'error' as const, times: 0 }, /'times' must be a whole number/],
    [{ fault: 'latency' as const, ms: -1 }, /latency must be/],
    [{ fault: 'error' as const, status: 502 as never }, /status must be 500 or 503/],
  ])('rejects the invalid rule %p', (rule, message) => {
    expect(() => new FaultInjector().add(rule)).toThrow(message);
  });
});
