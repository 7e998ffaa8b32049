// A storm: the hub answers 500 and 503 at random, drops connections, and another client sharing the
// one-unit S1 hub drains its query and configuration budget (429 with Retry-After) for a while. The
// rollout retries (honouring Retry-After), spaces its polls out and still completes, with the exact
// same outcome as on a quiet hub.
import { expect, test } from '@jest/globals';
import { runRollout } from '../../../src/rollout/engine.js';
import { devicesByDeployment, rolloutOptions, hubWithFallback } from './support.js';

const env = hubWithFallback({ devices: 'canary=3,pilot=12,fleet=45', units: 1, seed: 7 });

/** Another client spending the hub's query and configuration budget until `until` (sandbox time). */
function noisyNeighbour(until: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (env().hub.clock.now() > until) return clearInterval(timer);
    for (let i = 0; i < 3; i++) {
      env().hub.throttle.take('queries');
      env().hub.throttle.take('configurations');
    }
  }, 5);
  return timer;
}

test('a storm of 429s, 5xx answers and dropped connections is survived', async () => {
  env().hub.faults.add({ fault: 'error', status: 503, probability: 0.15 });
  env().hub.faults.add({ fault: 'error', status: 500, probability: 0.1 });
  env().hub.faults.add({ fault: 'reset', probability: 0.05 });
  const neighbour = noisyNeighbour(env().hub.clock.now() + 8 * 60_000);
  try {
    const result = await runRollout('auto', rolloutOptions(), env().deps);
    expect(result.state).toBe('completed');
    expect(result.rings.map((ring) => ring.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(devicesByDeployment(env().hub)).toEqual({ 'vision-1_1_0': 60 });
    expect(env().hub.counters().throttled).toBeGreaterThan(5);
    expect(result.calls.retries).toBeGreaterThan(10);
    expect(
      env()
        .hub.faults.list()
        .reduce((hits, fault) => hits + fault.hits, 0),
    ).toBeGreaterThan(5);
    expect(env().logger.lines.join('\n')).toMatch(/IoT Hub throttled the request \(429\); retrying in/);
    expect(env().logger.lines.join('\n')).toMatch(/IoT Hub answered 50[03]/);
  } finally {
    clearInterval(neighbour);
    env().hub.faults.clear();
  }
});
