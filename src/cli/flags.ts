// CLI flags are the action inputs under the same kebab-case names (`--model-path x`, `--push=false`,
// `--first-release`), with ML_TO_IOT_EDGE_<NAME> environment variables as a fallback for CI systems.
import { type ActionName, type InputSpec, inputsOf } from '../action/input-table.js';
import { InputError } from '../action/parse-inputs.js';
import { didYouMean } from '../did-you-mean.js';

export interface ParsedFlags {
  values: Map<string, string>;
  positionals: string[];
}

export function environmentName(input: string): string {
  return `ML_TO_IOT_EDGE_${input.replace(/-/g, '_').toUpperCase()}`;
}

/** Parses argv against the inputs of `action`; unknown flags are errors that suggest the near name. */
export function parseFlags(action: ActionName, argv: string[]): ParsedFlags {
  const specs = new Map(inputsOf(action).map((spec) => [spec.name, spec] as const));
  const values = new Map<string, string>();
  const positionals: string[] = [];
  const problems: { input: string; message: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (!specs.has(name) && name.startsWith('no-') && specs.get(name.slice(3))?.type === 'boolean') {
      name = name.slice(3);
      value = 'false';
    }
    const spec = specs.get(name);
    if (!spec) {
      problems.push({ input: name, message: `unknown flag${suggestion(name, [...specs.keys()])}` });
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.type === 'boolean' && (next === undefined || !['true', 'false'].includes(next)))
        value = 'true';
      else if (next === undefined) {
        problems.push({ input: name, message: 'needs a value' });
        continue;
      } else {
        value = next;
        i++;
      }
    }
    values.set(name, value);
  }
  if (problems.length) throw new InputError(problems);
  return { values, positionals };
}

/** Reads a flag, else its environment variable. */
export function flagReader(flags: ParsedFlags, env: NodeJS.ProcessEnv): (name: string) => string | undefined {
  return (name) => flags.values.get(name) ?? env[environmentName(name)];
}

function suggestion(name: string, known: string[]): string {
  const near = didYouMean(name, known);
  return near ? ` (did you mean --${near}?)` : '; see --help';
}

/** The flag list for `--help`, straight from the input table. */
export function flagHelp(action: ActionName): string {
  return inputsOf(action)
    .map((spec: InputSpec) => {
      const value =
        spec.type === 'boolean' ? '' : ` <${spec.type === 'choice' ? spec.choices?.join('|') : spec.type}>`;
      const def = spec.default && !spec.default.startsWith('${{') ? ` (default: ${spec.default})` : '';
      return `  --${spec.name}${value}\n      ${spec.description}${def}`;
    })
    .join('\n');
}
