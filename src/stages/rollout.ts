// The rollout stage (`rollout` sub-action, `ml-to-iot-edge rollout <command>`): inputs → engine
// options (everything checked before the hub is contacted), the hub client, the engine on the real
// clock, then the outputs, the job summary and the same report as text in the log. No secret reaches
// an output, the summary or an error: they are built from ids, counts and lineage only, and error
// messages are scrubbed of every secret input and manifest password on the way out.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, type InputProblem, type ParsedInputs } from '../action/parse-inputs.js';
import { redactSecrets } from '../azure/redact-secrets.js';
import { connectHub } from '../rollout/connect.js';
import { runRollout } from '../rollout/engine.js';
import type { RingProgress, RolloutClock, RolloutCommand, RolloutResult } from '../rollout/engine-types.js';
import type { HubClient } from '../rollout/hub-client.js';
import { renderReportMarkdown, renderReportText, ringsReportJson } from '../rollout/report.js';
import { rolloutStageInputs, type RolloutStageInputs } from '../rollout/rollout-inputs.js';
import { StageFailedError, type StageContext, type StageResult } from './index.js';

const realClock: RolloutClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Tests pass the sandbox's clock (and may pass a hub client); the action uses the real ones. */
export interface RolloutStageDeps {
  clock?: RolloutClock;
  hub?: HubClient;
  signal?: AbortSignal;
}

export function rolloutOutputs(result: RolloutResult): Record<string, string> {
  return {
    'deployment-id': result.deploymentId ?? '',
    state: result.state,
    ring: result.ringName ?? '',
    'rings-report': ringsReportJson(result),
  };
}

/** Commands that move rings, and so have ring events to record. */
const RING_COMMANDS: readonly RolloutCommand[] = ['auto', 'start', 'promote', 'rollback'];

/** The GitHub Deployments listener when `github-deployments` is on and this run can record them. */
function ringProgress(
  inputs: ParsedInputs,
  command: RolloutCommand,
  context: StageContext,
  mask: (secret: string) => void,
): RingProgress | undefined {
  if (inputs['github-deployments'] !== true || !RING_COMMANDS.includes(command)) return undefined;
  const { logger } = context;
  if (!context.deploymentTracker) {
    logger.warning(
      'github-deployments is on, but this run is not in GitHub Actions: no GitHub Deployment is recorded (the rollout itself is unaffected).',
    );
    return undefined;
  }
  const token = typeof inputs['github-token'] === 'string' ? inputs['github-token'].trim() : '';
  if (!token) {
    logger.warning(
      'github-deployments is on, but github-token is empty: set it (the default is ${{ github.token }}) to record GitHub Deployments; the rollout goes on without them.',
    );
    return undefined;
  }
  mask(token);
  return context.deploymentTracker(token);
}

function scrubbed(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  error.message = redactSecrets(error.message, secrets);
  if (error instanceof InputError) {
    for (const problem of error.problems) problem.message = redactSecrets(problem.message, secrets);
  }
  return error;
}

/** The rollout's inputs checked and read (rings, template and env files from the working folder). */
function prepareRolloutInputs(
  inputs: ParsedInputs,
  context: Pick<StageContext, 'run' | 'env'>,
  mask: (secret: string) => void,
): RolloutStageInputs {
  return rolloutStageInputs(inputs, {
    run: context.run,
    ...(context.env ? { env: context.env } : {}),
    mask,
    readFile: (path) => readFileSync(resolve(path), 'utf8'),
  });
}

/**
 * Every problem of the rollout's inputs: what runRolloutStage checks before it contacts the hub, and
 * what the pipeline checks before its first write.
 */
export function rolloutInputProblems(
  inputs: ParsedInputs,
  context: Pick<StageContext, 'run' | 'env' | 'mask'>,
): InputProblem[] {
  try {
    prepareRolloutInputs(inputs, context, context.mask);
    return [];
  } catch (error) {
    if (error instanceof InputError) return error.problems;
    throw error;
  }
}

export async function runRolloutStage(
  inputs: ParsedInputs,
  context: StageContext,
  deps: RolloutStageDeps = {},
): Promise<StageResult> {
  const { logger } = context;
  const secrets: string[] = [];
  const mask = (secret: string) => {
    secrets.push(secret);
    context.mask(secret);
  };
  try {
    const prepared = prepareRolloutInputs(inputs, context, mask);
    prepared.warnings.forEach((warning) => logger.warning(warning));
    const clock = deps.clock ?? realClock;
    const hub =
      deps.hub ??
      connectHub(prepared.connection, {
        clock,
        logger,
        ...(context.getIdToken ? { getIdToken: context.getIdToken } : {}),
      });
    logger.info(`Rollout ${prepared.command} of app '${prepared.options.app}' on ${hub.hostName}`);
    const progress = ringProgress(inputs, prepared.command, context, mask);
    const result = await runRollout(
      prepared.command,
      { ...prepared.options, ...(deps.signal ? { signal: deps.signal } : {}) },
      { hub, clock, logger, ...(progress ? { progress } : {}) },
    );
    const text = renderReportText(result);
    const stageResult = { outputs: rolloutOutputs(result), summary: renderReportMarkdown(result), text };
    await logger.group('Rollout report', async () => logger.info(text));
    if (result.failure) throw new StageFailedError(result.failure, stageResult);
    return stageResult;
  } catch (error) {
    throw scrubbed(error, secrets);
  }
}
