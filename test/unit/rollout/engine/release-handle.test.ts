// Etag-checked writes of the rollout state: a stale etag is resolved by reading again — our own write
// that had gone through is accepted, someone else's unrelated change is written over with the fresh
// etag, and another run's change to the rollout stops this run.
import { describe, expect, test } from '@jest/globals';
import { RolloutInterruptedError } from '../../../../src/rollout/engine-errors.js';
import { ReleaseHandle, readReleaseState } from '../../../../src/rollout/engine-release.js';
import { PreconditionError } from '../../../../src/rollout/hub-client.js';
import { decodeLabels, encodeLabels, type RolloutState } from '../../../../src/rollout/state-labels.js';
import { FakeHub } from './fake-hub.js';

const STATE: RolloutState = {
  app: 'vision',
  release: '1.1.0',
  ringIndex: 0,
  ringName: 'canary',
  ringCount: 3,
  state: 'in-progress',
  startedAt: Date.UTC(2026, 0, 1),
  ringStartedAt: Date.UTC(2026, 0, 1),
  updatedAt: Date.UTC(2026, 0, 1),
  lockOwner: '42',
};
const PILOT: RolloutState = {
  ...STATE,
  ringIndex: 1,
  ringName: 'pilot',
  ringStartedAt: Date.UTC(2026, 0, 1, 1),
};
const WIDER = "tags.ring='canary' OR tags.ring='pilot'";

function setup() {
  const hub = new FakeHub();
  const deployment = hub.add({
    id: 'vision-1_1_0',
    labels: { team: 'vision', ...encodeLabels(STATE) },
    content: { modulesContent: {} },
    targetCondition: "tags.ring='canary'",
    priority: 11,
  });
  return { hub, handle: new ReleaseHandle(hub, deployment, STATE) };
}

describe('ReleaseHandle.write', () => {
  test('writes labels and target with the etag, keeping labels that are not ours', async () => {
    const { hub, handle } = setup();
    await handle.write(PILOT, WIDER);
    const stored = hub.deployments.get('vision-1_1_0')!;
    expect(stored.targetCondition).toBe(WIDER);
    expect(stored.labels.team).toBe('vision');
    expect(decodeLabels(stored.labels)).toMatchObject({ state: { ringName: 'pilot' } });
    expect(handle.state).toEqual(PILOT);
  });

  test('a stale etag from an unrelated change is retried on the fresh copy', async () => {
    const { hub, handle } = setup();
    hub.change('vision-1_1_0', { labels: { ...hub.deployments.get('vision-1_1_0')!.labels, owner: 'ops' } });
    await handle.write(PILOT, WIDER);
    const stored = hub.deployments.get('vision-1_1_0')!;
    expect(stored.labels.owner).toBe('ops');
    expect(stored.targetCondition).toBe(WIDER);
    expect(hub.calls.writes).toBe(2);
  });

  test('our own write that went through before the answer was lost is accepted, not repeated', async () => {
    const { hub, handle } = setup();
    // The hub applied the write, then the client saw a stale etag on its retry.
    hub.change('vision-1_1_0', { targetCondition: WIDER, labels: encodeLabels(PILOT) });
    await handle.write(PILOT, WIDER);
    expect(hub.calls.writes).toBe(1);
    expect(handle.state).toMatchObject({ ringName: 'pilot' });
  });

  test("another run's change to the rollout stops this run", async () => {
    const { hub, handle } = setup();
    hub.change('vision-1_1_0', { labels: encodeLabels({ ...STATE, state: 'rolled-back', lockOwner: '77' }) });
    await expect(handle.write(PILOT, WIDER)).rejects.toThrow(RolloutInterruptedError);
    await expect(handle.write(PILOT, WIDER)).rejects.toThrow(
      /changed by another run.*rolled-back at ring 1\/3 \(canary\), held by run 77/,
    );
  });

  test('other failures pass through', async () => {
    const { hub, handle } = setup();
    hub.failures.updateDeployment = [new Error('boom')];
    await expect(handle.write(PILOT, WIDER)).rejects.toThrow('boom');
    hub.failures.updateDeployment = [
      new PreconditionError('stale'),
      new PreconditionError('stale'),
      new PreconditionError('stale'),
      new PreconditionError('stale'),
    ];
    await expect(handle.write(PILOT, WIDER)).rejects.toThrow(PreconditionError);
  });
});

describe('readReleaseState', () => {
  test('refuses deployments that are not ours or belong to another app', () => {
    const base = { id: 'x', content: {}, targetCondition: '', priority: 1, createdTimeUtc: '', etag: 'e' };
    expect(() => readReleaseState({ ...base, labels: { app: 'vision' } }, 'vision')).toThrow(
      /not created by ml-to-iot-edge/,
    );
    expect(() => readReleaseState({ ...base, labels: encodeLabels(STATE) }, 'other')).toThrow(
      /belongs to app 'vision', not 'other'/,
    );
    expect(readReleaseState({ ...base, labels: encodeLabels(STATE) }, 'vision')).toEqual(STATE);
  });
});
