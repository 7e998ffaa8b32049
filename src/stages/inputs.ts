// Reading parsed inputs the way every stage does: an empty or blank text input counts as not given.
import type { ParsedInputs } from '../action/parse-inputs.js';

/** The input's text, trimmed; undefined when it is not a string or is blank. */
export function textInput(inputs: ParsedInputs, name: string): string | undefined {
  const value = inputs[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
