// The pipeline's preflight and each stage check their inputs with the same function: what the
// preflight reports for a stage is exactly what that stage refuses to run with, so the two cannot
// drift apart.
import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import type { ActionName } from '../../../src/action/input-table.js';
import { InputError, parseInputs, type InputProblem } from '../../../src/action/parse-inputs.js';
import type { ImageSystem } from '../../../src/image/system.js';
import { memoryLogger } from '../../../src/logger.js';
import { planPipeline } from '../../../src/pipeline/preflight.js';
import { buildImageFromInputs, imageInputProblems } from '../../../src/stages/build-image.js';
import type { RunInfo, StageContext } from '../../../src/stages/index.js';
import { registrationInputProblems, runRegisterModel } from '../../../src/stages/register-model.js';
import { rolloutInputProblems, runRolloutStage } from '../../../src/stages/rollout.js';
import { REPO_ROOT } from '../../support/paths.js';

const PROJECT = join(REPO_ROOT, 'test', 'fixtures', 'model-project');
const HUB = 'HostName=hub.local;SharedAccessKeyName=iothubowner;SharedAccessKey=a2V5';
const RUN: RunInfo = { repository: 'acme/vision', commit: 'c0ffee1234567890', ref: 'refs/tags/v1.4.0' };

function context(): StageContext {
  return { logger: memoryLogger(), run: RUN, mask: () => undefined, workDir: '.' };
}

/** A system the build must never reach: input problems stop it first. */
const UNREACHABLE = new Proxy({} as ImageSystem, {
  get: (_target, name) => {
    throw new Error(`the build touched the system (${String(name)}) despite input problems`);
  },
});

/** The inputs of `action` as its reader gives them. */
function parsed(action: ActionName, given: Record<string, string>) {
  return parseInputs(action, (name) => given[name]);
}

function pipelineProblems(given: Record<string, string>): InputProblem[] {
  try {
    planPipeline(parsed('pipeline', given), context());
  } catch (error) {
    if (error instanceof InputError) return error.problems;
    throw error;
  }
  return [];
}

async function refusal(run: Promise<unknown>): Promise<InputProblem[]> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).problems;
}

describe('one input check per stage, used by the stage and the preflight', () => {
  test('image: the preflight names the problems the build refuses with', async () => {
    const given = {
      registry: 'registry.local:5000',
      context: join(PROJECT, 'nowhere'),
      strategy: 'model-layer',
      'iothub-connection-string': HUB,
      'image-ref': '',
      rings: 'rings:\n  - {name: canary, tag: ring=canary}\n',
    };
    const own = imageInputProblems(parsed('build-image', given), context());
    expect(own.plan).toBeUndefined();
    expect(own.problems.map((p) => p.input)).toContain('context');
    expect(pipelineProblems(given)).toEqual(expect.arrayContaining(own.problems));
    const inputs = parsed('build-image', given);
    expect(await refusal(buildImageFromInputs(inputs, context(), UNREACHABLE))).toEqual(own.problems);
  });

  test('image: good inputs give the checked plan with its build path', () => {
    const given = { registry: 'registry.local:5000', image: 'vision', context: PROJECT };
    const { plan, problems } = imageInputProblems(parsed('build-image', given), context());
    expect(problems).toEqual([]);
    expect(plan?.decision.strategy).toMatch(/^(full|model-layer)$/);
    expect(plan?.context).toBe(PROJECT);
  });

  test('registration: the preflight names the problems the registration refuses with', async () => {
    const given = {
      workspace: 'ws',
      'model-path': join(PROJECT, 'no-model'),
      'client-id': 'not-a-guid',
      'image-ref': `registry.local/vision@sha256:${'b'.repeat(64)}`,
      'iothub-connection-string': HUB,
      rings: 'rings:\n  - {name: canary, tag: ring=canary}\n',
    };
    const own = registrationInputProblems(parsed('register-model', given), context());
    expect(own.registration).toBeUndefined();
    expect(own.problems.map((p) => p.input)).toEqual(
      expect.arrayContaining(['model-path', 'subscription-id', 'resource-group', 'client-id']),
    );
    expect(pipelineProblems(given)).toEqual(expect.arrayContaining(own.problems));
    const inputs = parsed('register-model', given);
    expect(await refusal(runRegisterModel(inputs, context()))).toEqual(own.problems);
  });

  test('rollout: the preflight names the problems the rollout refuses with', async () => {
    const given = {
      'image-ref': `registry.local/vision@sha256:${'b'.repeat(64)}`,
      rings: 'rings: [{name: canary}]',
      'module-name': 'not a module',
    };
    const own = rolloutInputProblems(parsed('rollout', given), context());
    expect(own.map((p) => p.input)).toEqual(
      expect.arrayContaining(['rings', 'module-name', 'iothub-host-name']),
    );
    expect(pipelineProblems(given)).toEqual(expect.arrayContaining(own));
    const inputs = parsed('rollout', given);
    expect(await refusal(runRolloutStage(inputs, context()))).toEqual(own);
  });
});
