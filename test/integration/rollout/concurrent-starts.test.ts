// Two runs start at the same moment: exactly one rolls out, the other is refused by the hub's own
// concurrency control (409 on the same release, 412 on the claim for two releases) and says why.
// The runs use their own clients; `racingPair` makes both read the hub before either writes.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { NEXT_RELEASE_LABEL } from '../../../src/rollout/engine-claim.js';
import { RolloutRefusedError } from '../../../src/rollout/engine-errors.js';
import { runRollout } from '../../../src/rollout/engine.js';
import type { RolloutDeps, RolloutResult } from '../../../src/rollout/engine-types.js';
import type { HubClient, NewDeployment } from '../../../src/rollout/hub-client.js';
import { releaseContent, rolloutOptions, seedFallback, startRolloutHub, type RolloutHub } from './support.js';

let env: RolloutHub;

beforeAll(async () => {
  env = await startRolloutHub({ devices: 'canary=3,pilot=6,fleet=12' });
  await seedFallback(env.hub);
});

afterAll(() => env.hub.stop());

/**
 * Two runs that pass their checks at the same moment: each one's create waits until both have got
 * there, so both have read the hub before either writes — the race the hub's etags must decide.
 */
function racingPair(): [RolloutDeps, RolloutDeps] {
  let arrived = 0;
  let release!: () => void;
  const bothThere = new Promise<void>((resolve) => (release = resolve));
  const racing = (deps: RolloutDeps): RolloutDeps => {
    const inner = deps.hub;
    const hub: HubClient = Object.assign(Object.create(inner) as HubClient, {
      async createDeployment(deployment: NewDeployment) {
        if (++arrived === 2) release();
        await bothThere;
        return inner.createDeployment(deployment);
      },
    });
    return { ...deps, hub };
  };
  return [racing(env.newDeps()), racing(env.newDeps())];
}

function settle(results: PromiseSettledResult<RolloutResult>[]) {
  const won = results.filter((r): r is PromiseFulfilledResult<RolloutResult> => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  return { won, lost };
}

test('two runs starting the same release: one creates it, the other sees the conflict and refuses', async () => {
  const [a, b] = racingPair();
  const { won, lost } = settle(
    await Promise.allSettled([
      runRollout('start', rolloutOptions({ runId: 'run-a' }), a),
      runRollout('start', rolloutOptions({ runId: 'run-b' }), b),
    ]),
  );
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect(won[0]!.value).toMatchObject({ state: 'held', deploymentId: 'vision-1_1_0' });
  expect(lost[0]!.reason).toBeInstanceOf(RolloutRefusedError);
  expect(String(lost[0]!.reason)).toMatch(
    /Another run created release vision-1_1_0 at the same moment.*being rolled out by another run/s,
  );
});

test('two runs starting different releases: one claims the app, the other withdraws before targeting a device', async () => {
  // Finish 1.1.0 first so that it is the app's latest release, which both claims are written on.
  await runRollout('auto', rolloutOptions({ runId: 'run-a' }), env.newDeps());
  const release = (version: string, digit: string, runId: string) =>
    rolloutOptions({
      release: version,
      content: releaseContent(`registry.local/vision@sha256:${digit.repeat(64)}`, version),
      runId,
    });
  const [c, d] = racingPair();
  const { won, lost } = settle(
    await Promise.allSettled([
      runRollout('start', release('2.0.0', 'e', 'run-c'), c),
      runRollout('start', release('2.1.0', 'f', 'run-d'), d),
    ]),
  );
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  const winner = won[0]!.value.deploymentId!;
  const loser = winner === 'vision-2_0_0' ? 'vision-2_1_0' : 'vision-2_0_0';
  expect(String(lost[0]!.reason)).toMatch(
    new RegExp(
      `Another run claimed app 'vision' first; release ${loser} was withdrawn before it targeted any device`,
    ),
  );
  // The loser's claim met the winner's with a stale etag (412) and read the winner's claim.
  expect(env.logger.lines.join('\n')).toMatch(
    /previous release changed while claiming the app \(deployment 'vision-1_1_0' changed/,
  );
  expect(env.hub.model.listConfigurations().map((c) => c.id)).not.toContain(loser);
  expect(env.hub.model.getConfiguration('vision-1_1_0').labels[NEXT_RELEASE_LABEL]).toBe(winner);
});
