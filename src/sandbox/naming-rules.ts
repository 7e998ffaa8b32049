// The service's rules for configuration ids, labels, metric names and module names (reference §1.4).
// Each check throws 400 ArgumentInvalid with a message that names the rule broken.
import { HubError } from './hub-types.js';

const MAX_NAME_LENGTH = 128;
const CONFIGURATION_ID = /^[a-z0-9\-:+%_#*?!(),=@;']+$/;
const LABEL_TEXT = /^[A-Za-z0-9\-:.+%_#*?!(),=@;']+$/;
const MODULE_NAME = /^[a-zA-Z0-9_-]+$/;

function invalid(message: string): HubError {
  return new HubError(400, 'ArgumentInvalid', message);
}

export function checkConfigurationId(id: string): void {
  if (id.length === 0) throw invalid('The configuration id must not be empty');
  if (id.length > MAX_NAME_LENGTH) {
    throw invalid(
      `The configuration id '${id}' is ${id.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  if (!CONFIGURATION_ID.test(id)) {
    throw invalid(
      `The configuration id '${id}' is invalid: only lower-case letters, digits and the characters -:+%_#*?!(),=@;' are allowed`,
    );
  }
}

/** Label keys and values, and custom metric names: ASCII alphanumerics plus -:.+%_#*?!(),=@;' ; `$` is reserved. */
function checkLabelText(text: string, what: string): void {
  if (text.length === 0) throw invalid(`${what} must not be empty`);
  if (text.length > MAX_NAME_LENGTH) {
    throw invalid(
      `${what} '${text}' is ${text.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  if (text.startsWith('$'))
    throw invalid(`${what} '${text}' is invalid: names starting with '$' are reserved`);
  if (!LABEL_TEXT.test(text)) {
    throw invalid(
      `${what} '${text}' is invalid: only ASCII letters, digits and the characters -:.+%_#*?!(),=@;' are allowed`,
    );
  }
}

export function checkLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels))
    throw invalid('labels must be an object of strings');
  for (const [key, value] of Object.entries(labels)) {
    checkLabelText(key, 'The label key');
    if (typeof value !== 'string') throw invalid(`The value of label '${key}' must be a string`);
    // Plausible choice where the rules are silent: an empty value is allowed, an empty key is not.
    if (value !== '') checkLabelText(value, `The value of label '${key}'`);
  }
  return { ...(labels as Record<string, string>) };
}

export function checkMetricName(name: string): void {
  checkLabelText(name, 'The metric name');
}

export function checkModuleName(name: string): void {
  if (!MODULE_NAME.test(name)) {
    throw invalid(`The module name '${name}' is invalid: it must match ^[a-zA-Z0-9_-]+$`);
  }
}
