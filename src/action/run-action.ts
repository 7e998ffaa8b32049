// The one place an action's run begins: read and mask inputs, run the stage, write outputs and the
// job summary, and fail the step once, at the top, with a message that names the fix.
import * as core from '@actions/core';
import type { ActionName } from './input-table.js';
import { InputError, parseInputs, secretInputNames } from './parse-inputs.js';
import { githubLogger } from './github-logger.js';
import { deploymentTrackerFromEnvironment } from './github-deployments.js';
import { runInfoFromEnvironment } from './run-info.js';
import { type StageResult, StageFailedError, runStage } from '../stages/index.js';
import { ACTIONS_WITH_POST } from './metadata.js';
import { logoutRecorded } from '../image/registry-login.js';
import { machineSystem } from '../image/system.js';

/**
 * The post step (action.yml `post:`, the same bundle, told apart by the `isPost` state the main step
 * saves): logs docker out of every registry the main step logged in to and did not log out of —
 * after a cancelled or crashed run. It only warns; a post step never fails the job.
 */
async function runPostStep(): Promise<void> {
  try {
    const registries = await logoutRecorded(
      machineSystem(),
      process.env.RUNNER_TEMP ?? process.cwd(),
      githubLogger,
    );
    if (registries.length === 0) core.info('No registry login left to undo.');
  } catch (error) {
    core.warning(`Post step: ${(error as Error).message}`);
  }
}

/** Outputs and the job summary of a stage, whether it passed or failed. */
async function report(result: StageResult): Promise<void> {
  for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value);
  if (result.summary && process.env.GITHUB_STEP_SUMMARY) {
    await core.summary.addRaw(result.summary, true).write();
  }
}

export async function runAction(action: ActionName): Promise<void> {
  if (ACTIONS_WITH_POST.includes(action)) {
    if (core.getState('isPost') === 'true') return runPostStep();
    try {
      core.saveState('isPost', 'true');
    } catch (error) {
      core.warning(`The post step will not know it is one: ${(error as Error).message}`);
    }
  }
  try {
    // Mask first: nothing below may print a secret, not even an error about it.
    for (const name of secretInputNames(action)) {
      const value = core.getInput(name);
      if (value) core.setSecret(value);
    }
    const inputs = parseInputs(action, (name) => core.getInput(name));
    const run = runInfoFromEnvironment(process.env);
    const deploymentTracker = deploymentTrackerFromEnvironment(process.env, githubLogger, run.runUrl);
    const result = await runStage(action, inputs, {
      logger: githubLogger,
      run,
      ...(deploymentTracker ? { deploymentTracker } : {}),
      mask: (secret) => core.setSecret(secret),
      getIdToken: (audience) => core.getIDToken(audience),
      workDir: process.env.RUNNER_TEMP ?? process.cwd(),
      env: process.env,
    });
    await report(result);
  } catch (error) {
    // A stage that finished but must fail the step (a rolled-back rollout) still reports first.
    if (error instanceof StageFailedError) await report(error.result);
    if (error instanceof InputError) {
      for (const problem of error.problems)
        core.error(`${problem.input}: ${problem.message}`, { title: 'Invalid input' });
    }
    core.setFailed((error as Error).message);
  }
}
