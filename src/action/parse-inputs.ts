// Turns raw input strings (from the Actions runner or CLI flags) into typed values, checking each
// against the input table. Every problem is collected, so one run names all of them at once.
import { type ActionName, type InputSpec, inputsOf } from './input-table.js';

export type InputValue = string | boolean | number | string[] | Record<string, string>;
export type ParsedInputs = Record<string, InputValue | undefined>;

export interface InputProblem {
  input: string;
  message: string;
}

export class InputError extends Error {
  constructor(readonly problems: InputProblem[]) {
    super(
      problems.length === 1
        ? `Input '${problems[0]!.input}': ${problems[0]!.message}`
        : `${problems.length} inputs are not valid:\n${problems.map((p) => `- '${p.input}': ${p.message}`).join('\n')}`,
    );
    this.name = 'InputError';
  }
}

/** Splits a list input on newlines and commas, as the popular actions do. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const TRUE_WORDS = ['true', 'True', 'TRUE'];
const FALSE_WORDS = ['false', 'False', 'FALSE'];

function parseOne(spec: InputSpec, raw: string): InputValue {
  switch (spec.type) {
    case 'boolean':
      // The YAML 1.2 core schema words, exactly as @actions/core getBooleanInput accepts them.
      if (TRUE_WORDS.includes(raw)) return true;
      if (FALSE_WORDS.includes(raw)) return false;
      throw new Error(`'${raw}' is not a boolean: use true or false`);
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) throw new Error(`'${raw}' is not a whole number`);
      const value = Number(raw);
      if (value < 0) throw new Error(`${value} is negative: use 0 or more`);
      return value;
    }
    case 'choice':
      if (!spec.choices?.includes(raw))
        throw new Error(`'${raw}' is not one of: ${spec.choices?.join(', ')}`);
      return raw;
    case 'list':
      return splitList(raw);
    case 'key-values':
      return parseKeyValues(raw);
    case 'yaml':
    case 'string':
      return raw;
  }
}

/** `key=value` pairs, one per line or comma-separated; the first `=` splits. */
export function parseKeyValues(raw: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of splitList(raw)) {
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`'${item}' is not key=value`);
    result[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return result;
}

/**
 * Reads every input of `action` through `read` (which returns '' or undefined when unset), applies
 * the table's defaults and types, and throws one InputError listing every problem.
 */
export function parseInputs(action: ActionName, read: (name: string) => string | undefined): ParsedInputs {
  const result: ParsedInputs = {};
  const problems: InputProblem[] = [];
  for (const spec of inputsOf(action)) {
    const given = read(spec.name)?.trim();
    // The runner substitutes `${{ github.token }}`; outside Actions that default means "unset".
    const fallback = spec.default?.startsWith('${{') ? undefined : spec.default;
    const raw = given ? given : fallback;
    if (raw === undefined || raw === '') {
      if (spec.requiredFor?.includes(action)) {
        problems.push({ input: spec.name, message: `is required: ${spec.description}` });
      }
      continue;
    }
    try {
      result[spec.name] = parseOne(spec, raw);
    } catch (error) {
      problems.push({ input: spec.name, message: (error as Error).message });
    }
  }
  if (problems.length) throw new InputError(problems);
  return result;
}

/** Names of the secret inputs: masked as soon as they are read. */
export function secretInputNames(action: ActionName): string[] {
  return inputsOf(action)
    .filter((spec) => spec.secret)
    .map((spec) => spec.name);
}

/** The input's text, trimmed; undefined when it is not a string or is blank (not given). */
export function textInput(inputs: ParsedInputs, name: string): string | undefined {
  const value = inputs[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
