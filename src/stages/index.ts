// The stages every action and CLI command runs. Each takes typed inputs and its collaborators and
// returns its outputs; none reads the environment or @actions/* itself.
import type { ActionName } from '../action/input-table.js';
import type { ParsedInputs } from '../action/parse-inputs.js';
import type { Logger } from '../logger.js';
import type { RingProgress } from '../rollout/engine-types.js';
import { runRolloutStage } from './rollout.js';
import { runRegisterModel } from './register-model.js';
import { runBuildImage } from './build-image.js';
import { runPipeline } from '../pipeline/pipeline.js';

export interface StageContext {
  logger: Logger;
  /** Facts about the run (commit, ref, run URL) read by the caller from the environment. */
  run: RunInfo;
  /** Hides a secret the stage derives (a token, a password read from a file) from every later log line. */
  mask(secret: string): void;
  /** A GitHub OIDC token for `audience`; absent outside GitHub Actions. */
  getIdToken?: (audience: string) => Promise<string>;
  /** Where to write files the user should see (manifests, reports). */
  workDir: string;
  /** The step's environment, for `$VAR` in deployment templates (as iotedgedev expands them). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Records GitHub Deployments for the rollout's rings when `github-deployments` is on; absent
   * outside GitHub Actions. `token` is the (masked) github-token input.
   */
  deploymentTracker?: (token: string) => RingProgress;
}

export interface RunInfo {
  commit?: string;
  ref?: string;
  repository?: string;
  runUrl?: string;
  /** The workflow run id: a rollout's lock owner, so a re-run of the same run may continue it. */
  runId?: string;
  /** Name of the event that started the run (release, push, workflow_dispatch). */
  eventName?: string;
  /** The event's payload (GITHUB_EVENT_PATH's JSON): a release's tag, a dispatch's inputs. */
  event?: unknown;
}

export interface StageResult {
  outputs: Record<string, string>;
  /** Markdown for the job summary (never containing secrets). */
  summary?: string;
  /** The same report as plain text, for a terminal (the CLI); stages without one have none. */
  text?: string;
}

/**
 * The stage finished and reported, but the step must fail (e.g. a rollout that rolled back). The
 * caller writes `result`'s outputs and summary first, then fails the step with the message.
 */
export class StageFailedError extends Error {
  constructor(
    message: string,
    readonly result: StageResult,
  ) {
    super(message);
    this.name = 'StageFailedError';
  }
}

export async function runStage(
  action: ActionName,
  inputs: ParsedInputs,
  context: StageContext,
): Promise<StageResult> {
  switch (action) {
    case 'register-model':
      return runRegisterModel(inputs, context);
    case 'build-image':
      return runBuildImage(inputs, context);
    case 'rollout':
      return runRolloutStage(inputs, context);
    case 'pipeline':
      return runPipeline(inputs, context);
  }
}
