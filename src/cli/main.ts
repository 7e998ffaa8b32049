// `ml-to-iot-edge <command>`: the same stages as the actions, outside GitHub (laptops, other CI
// systems), plus the sandbox and the demo.
import type { ActionName } from '../action/input-table.js';
import { InputError, parseInputs } from '../action/parse-inputs.js';
import { runInfoFromEnvironment } from '../action/run-info.js';
import { consoleLogger } from '../logger.js';
import { StageFailedError, runStage, type StageResult } from '../stages/index.js';
import { EXTRA_COMMANDS } from './extra-commands.js';
import { flagHelp, flagReader, parseFlags } from './flags.js';

export interface CliIo {
  /** Results (stdout). */
  log(line: string): void;
  /** Progress and errors (stderr). */
  error(line: string): void;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  summary: string;
  run(argv: string[], io: CliIo): Promise<number>;
  help?(): string;
}

const STAGE_COMMANDS: Record<string, ActionName> = {
  run: 'pipeline',
  'register-model': 'register-model',
  'build-image': 'build-image',
  rollout: 'rollout',
};

const ROLLOUT_VERBS = ['auto', 'plan', 'start', 'promote', 'rollback', 'status'];

async function runStageCommand(action: ActionName, argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(action, argv);
  if (action === 'rollout' && flags.positionals.length) {
    const verb = flags.positionals.shift()!;
    if (!ROLLOUT_VERBS.includes(verb))
      throw new InputError([
        { input: 'command', message: `'${verb}' is not one of: ${ROLLOUT_VERBS.join(', ')}` },
      ]);
    flags.values.set('command', verb);
  }
  if (flags.positionals.length) {
    throw new InputError([
      { input: flags.positionals[0]!, message: 'unexpected argument; flags look like --name value' },
    ]);
  }
  const inputs = parseInputs(action, flagReader(flags, io.env));
  const logger = consoleLogger(io.error);
  // A terminal has no log masking: the CLI never prints secret values in the first place.
  try {
    const result = await runStage(action, inputs, {
      logger,
      run: runInfoFromEnvironment(io.env),
      mask: () => undefined,
      workDir: process.cwd(),
      env: io.env,
    });
    printResult(action, result, io);
    return 0;
  } catch (error) {
    // A stage that finished but failed (a rolled-back rollout) still prints what it reached.
    if (error instanceof StageFailedError) printResult(action, error.result, io);
    throw error;
  }
}

/**
 * The outputs as JSON; `run` prints its report first, as text (the job summary's Markdown is for
 * workflows). The other stages' reports go to the log, so stdout stays the outputs alone.
 */
function printResult(action: ActionName, result: StageResult, io: CliIo): void {
  if (action === 'pipeline') {
    const report = result.text ?? result.summary;
    if (report) io.log(report.trimEnd());
  }
  io.log(JSON.stringify(result.outputs, null, 2));
}

function allCommands(): Record<string, Command> {
  const commands: Record<string, Command> = {};
  for (const [name, action] of Object.entries(STAGE_COMMANDS)) {
    commands[name] = {
      summary: action === 'pipeline' ? 'register, build and roll out in one go' : `the ${action} stage`,
      run: (argv, io) => runStageCommand(action, argv, io),
      help: () =>
        `ml-to-iot-edge ${name}${name === 'rollout' ? ` [${ROLLOUT_VERBS.join('|')}]` : ''} [flags]\n\n${flagHelp(action)}`,
    };
  }
  return { ...commands, ...EXTRA_COMMANDS };
}

function usage(commands: Record<string, Command>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: ml-to-iot-edge <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\nRun 'ml-to-iot-edge <command> --help' for a command's flags.`;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const commands = allCommands();
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.log(usage(commands));
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.error(`Unknown command '${name}'.\n\n${usage(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.log(command.help?.() ?? command.summary);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.error(`error: ${(error as Error).message}`);
    return error instanceof InputError ? 2 : 1;
  }
}
