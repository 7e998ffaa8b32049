// The stages every action and CLI command runs. Each takes typed inputs and its collaborators and
// returns its outputs; none reads the environment or @actions/* itself.
import type { ActionName } from '../action/input-table.js';
import type { ParsedInputs } from '../action/parse-inputs.js';
import type { Logger } from '../logger.js';

export interface StageContext {
  logger: Logger;
  /** Facts about the run (commit, ref, run URL) read by the caller from the environment. */
  run: RunInfo;
}

export interface RunInfo {
  commit?: string;
  ref?: string;
  repository?: string;
  runUrl?: string;
}

export interface StageResult {
  outputs: Record<string, string>;
  /** Markdown for the job summary (never containing secrets). */
  summary?: string;
}

export class NotImplementedError extends Error {
  constructor(what: string, issue: number) {
    super(`${what} is not implemented yet (planned in issue #${issue}); nothing was changed.`);
    this.name = 'NotImplementedError';
  }
}

const PLANNED_IN: Record<ActionName, [string, number]> = {
  'register-model': ['register-model', 4],
  'build-image': ['build-image', 5],
  rollout: ['rollout', 3],
  pipeline: ['the whole pipeline', 7],
};

export async function runStage(
  action: ActionName,
  _inputs: ParsedInputs,
  _context: StageContext,
): Promise<StageResult> {
  const [what, issue] = PLANNED_IN[action];
  throw new NotImplementedError(what, issue);
}
