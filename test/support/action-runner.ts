// An action step as the runner starts it, for tests that run an entrypoint in a child process:
// the command files in a runner directory, inputs in INPUT_* variables (saved state in STATE_*),
// and the outputs, state and job summary read back after the step.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The command files of a step in `runner`. */
export function runnerFiles(runner: string): { output: string; state: string; summary: string } {
  return { output: join(runner, 'output'), state: join(runner, 'state'), summary: join(runner, 'summary') };
}

/**
 * A step's environment: `base` (the GITHUB_* context), the runner's command files (created empty
 * if missing, as the runner does before a step), then `inputs` as INPUT_* and `state` as STATE_*
 * variables, in place of any inherited ones.
 */
export function stepEnvironment(
  runner: string,
  inputs: Record<string, string>,
  base: NodeJS.ProcessEnv,
  state: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const files = runnerFiles(runner);
  for (const file of Object.values(files)) if (!existsSync(file)) writeFileSync(file, '');
  const env: NodeJS.ProcessEnv = {
    ...base,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: runner,
  };
  for (const name of Object.keys(env)) if (/^(INPUT|STATE)_/.test(name)) delete env[name];
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(state)) env[`STATE_${name}`] = value;
  return env;
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file (`name<<delimiter` blocks); none when it is missing. */
export function commandFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!heredoc) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
    values[heredoc[1]!] = body.join('\n');
  }
  return values;
}

/** What the step left in `runner`: its outputs, its saved state and its job summary. */
export function stepResults(runner: string): {
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
} {
  const files = runnerFiles(runner);
  return {
    outputs: commandFile(files.output),
    state: commandFile(files.state),
    summary: readFileSync(files.summary, 'utf8'),
  };
}
