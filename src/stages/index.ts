// The stages every action and CLI command runs. Each takes typed inputs and its collaborators and
// returns its outputs; none reads the environment or @actions/* itself.
import type { ActionName } from '../action/input-table.js';
import type { ParsedInputs } from '../action/parse-inputs.js';
import type { Logger } from '../logger.js';

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
