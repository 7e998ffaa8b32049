// Patience after the client's own retries: a call whose retries were exhausted is tried again after
// a pause (on the rollout's clock), a few times; other errors pass through at once.
import { expect, test } from '@jest/globals';
import { memoryLogger } from '../../../../src/logger.js';
import { PatientHubClient } from '../../../../src/rollout/patient-hub.js';
import { RetriesExhaustedError } from '../../../../src/rollout/retry.js';
import { FakeHub } from './fake-hub.js';

const exhausted = () =>
  new RetriesExhaustedError(
    'run query page 1',
    8,
    { status: 429, description: '429 ThrottlingException' },
    'throttled',
    120_000,
    '429 ×8',
  );

function patient(pauses = [1000, 2000]) {
  const hub = new FakeHub();
  const slept: number[] = [];
  const logger = memoryLogger();
  const clock = { now: () => 0, sleep: async (ms: number) => void slept.push(ms) };
  return { hub, slept, logger, client: new PatientHubClient(hub, { clock, logger }, pauses) };
}

test('tries again after each pause until the call succeeds', async () => {
  const { hub, slept, logger, client } = patient();
  hub.failures.query = [exhausted(), exhausted()];
  await expect(client.query('SELECT COUNT() FROM devices')).resolves.toEqual([{ count: 0 }]);
  expect(slept).toEqual([1000, 2000]);
  expect(logger.lines.join('\n')).toMatch(
    /gave up on run query page 1 .*Waiting 1s before trying again \(1 of 2\)/,
  );
});

test('passes the error on once the pauses are used up', async () => {
  const { hub, client } = patient([1000]);
  hub.failures.listDeployments = [exhausted(), exhausted()];
  await expect(client.listDeployments()).rejects.toBeInstanceOf(RetriesExhaustedError);
});

test('does not wait on answers a repeat cannot change', async () => {
  const { hub, slept, client } = patient();
  hub.failures.getDeployment = [new Error('401 Unauthorized')];
  await expect(client.getDeployment('x')).rejects.toThrow('401');
  expect(slept).toEqual([]);
  expect(client.hostName).toBe(hub.hostName);
  expect(client.calls).toBe(hub.calls);
});
