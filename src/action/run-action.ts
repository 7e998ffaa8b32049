// The one place an action's run begins: read and mask inputs, run the stage, write outputs and the
// job summary, and fail the step once, at the top, with a message that names the fix.
import * as core from '@actions/core';
import type { ActionName } from './input-table.js';
import { InputError, parseInputs, secretInputNames } from './parse-inputs.js';
import { githubLogger } from './github-logger.js';
import { runInfoFromEnvironment } from './run-info.js';
import { runStage } from '../stages/index.js';

export async function runAction(action: ActionName): Promise<void> {
  try {
    // Mask first: nothing below may print a secret, not even an error about it.
    for (const name of secretInputNames(action)) {
      const value = core.getInput(name);
      if (value) core.setSecret(value);
    }
    const inputs = parseInputs(action, (name) => core.getInput(name));
    const result = await runStage(action, inputs, {
      logger: githubLogger,
      run: runInfoFromEnvironment(process.env),
      mask: (secret) => core.setSecret(secret),
      getIdToken: (audience) => core.getIDToken(audience),
      workDir: process.env.RUNNER_TEMP ?? process.cwd(),
    });
    for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value);
    if (result.summary && process.env.GITHUB_STEP_SUMMARY) {
      await core.summary.addRaw(result.summary, true).write();
    }
  } catch (error) {
    if (error instanceof InputError) {
      for (const problem of error.problems)
        core.error(`${problem.input}: ${problem.message}`, { title: 'Invalid input' });
    }
    core.setFailed((error as Error).message);
  }
}
