// The rollout state machine: `runRollout(command, options, deps)`. All state lives in the release
// deployment's labels on IoT Hub, so any command can run in a later job (or a re-run of a killed one)
// and pick up where the release stands.
//
//   plan      what each ring would target and which deployment each device ends on; no writes
//   start     create the release targeting ring 1 (or resume it) and gate ring 1; held when it passes
//   promote   widen a held release to the next ring (finishing the current ring's gate first) and gate it
//   rollback  withdraw the release so the previous one takes its devices back, and verify
//   status    every release of the app with its lineage, the current one counted live
//   auto      start, then gate and promote ring after ring until completed, or roll back on a failed gate
//
// Returns the result for a finished command (completed, held, rolled back, planned, status); a result
// with `failure` set means the step must fail after reporting. Throws RolloutRefusedError or
// RolloutInputError when the command cannot run (nothing was written), RolloutInterruptedError when
// another run took the release over, RolloutAbortedError when `options.signal` fired.
import { rollbackCommand } from './engine-rollback.js';
import { planCommand } from './engine-plan.js';
import { promoteCommand } from './engine-promote.js';
import { RolloutRun } from './engine-run.js';
import { PatientHubClient } from './patient-hub.js';
import { startCommand } from './engine-start.js';
import { statusCommand } from './engine-status.js';
import type { RolloutCommand, RolloutDeps, RolloutOptions, RolloutResult } from './engine-types.js';

const COMMANDS: Record<RolloutCommand, (run: RolloutRun) => Promise<void>> = {
  plan: planCommand,
  start: (run) => startCommand(run, 'start'),
  auto: (run) => startCommand(run, 'auto'),
  promote: promoteCommand,
  rollback: rollbackCommand,
  status: statusCommand,
};

export async function runRollout(
  command: RolloutCommand,
  options: RolloutOptions,
  deps: RolloutDeps,
): Promise<RolloutResult> {
  const hub = new PatientHubClient(deps.hub, {
    clock: deps.clock,
    logger: deps.logger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const run = new RolloutRun(command, options, { ...deps, hub });
  await COMMANDS[command](run);
  return run.finish();
}
