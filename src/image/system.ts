// The image stage's boundary to the machine: running docker (through @actions/exec, with an
// argument array, never a shell string), the docker configuration folder and the kernel's
// binfmt_misc handlers. Everything else in src/image takes these as collaborators, so tests run it
// against fakes.
//
// @actions/exec is the one @actions/* package imported outside src/action: it is a child-process
// runner with no tie to the Actions runner (no workflow commands, no @actions/core), it works the
// same in the CLI, and the issue asks for it by name. eslint.config.js allows it for this file only.
import { getExecOutput } from '@actions/exec';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the process's stdin (passwords: never on the command line). */
  input?: string;
  /** Do not echo the command and its output to the log. */
  silent?: boolean;
  cwd?: string;
}

/** Runs `command` with `args` and returns its exit code and output; never throws for a non-zero exit. */
export type Exec = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** What src/image needs from the machine. */
export interface ImageSystem {
  exec: Exec;
  /** The docker CLI's configuration folder (DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir: string;
  /** The text of /proc/sys/fs/binfmt_misc/<name>, or undefined when there is no such handler. */
  readBinfmtHandler(name: string): Promise<string | undefined>;
}

/** The last non-empty line of a command's output: usually the error. */
export function lastOutputLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  );
}

/** The command could not be started at all (not installed, not on PATH). */
export class CommandNotFoundError extends Error {
  constructor(
    readonly command: string,
    cause: unknown,
  ) {
    super(`'${command}' could not be run: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'CommandNotFoundError';
  }
}

/** Exec through @actions/exec. Output goes to stderr, so the CLI's stdout stays its JSON result. */
export function actionsExec(env: NodeJS.ProcessEnv = process.env): Exec {
  return async (command, args, options = {}) => {
    try {
      return await getExecOutput(command, [...args], {
        ignoreReturnCode: true,
        silent: options.silent ?? false,
        input: options.input === undefined ? undefined : Buffer.from(options.input),
        cwd: options.cwd,
        env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
        outStream: process.stderr,
        errStream: process.stderr,
      });
    } catch (error) {
      // @actions/exec throws only when it cannot start the command (e.g. "Unable to locate executable").
      throw new CommandNotFoundError(command, error);
    }
  };
}

/** The real machine. */
export function machineSystem(env: NodeJS.ProcessEnv = process.env): ImageSystem {
  return {
    exec: actionsExec(env),
    dockerConfigDir: env.DOCKER_CONFIG || join(homedir(), '.docker'),
    async readBinfmtHandler(name) {
      try {
        return await readFile(join('/proc/sys/fs/binfmt_misc', name), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
