import { readFileSync } from 'node:fs';
import type { RunInfo } from '../stages/index.js';

/** The event payload the runner wrote; undefined when there is none or it is not JSON. */
function readEvent(path: string | undefined): unknown {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Facts about the workflow run from the runner's GITHUB_* variables (absent outside Actions). */
export function runInfoFromEnvironment(env: NodeJS.ProcessEnv): RunInfo {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runUrl =
    env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const event = readEvent(env.GITHUB_EVENT_PATH);
  return {
    commit: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    repository: env.GITHUB_REPOSITORY,
    runUrl,
    runId: env.GITHUB_RUN_ID,
    eventName: env.GITHUB_EVENT_NAME,
    ...(event === undefined ? {} : { event }),
  };
}
