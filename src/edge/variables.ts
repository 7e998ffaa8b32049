// Variable expansion as iotedgedev does it: `$NAME` and `${NAME}` (Python's os.path.expandvars:
// names of letters, digits and `_`, or anything between braces), values from the environment and a
// `.env` file, unknown names left exactly as written. The environment wins over `.env`: iotedgedev
// calls python-dotenv's `load_dotenv(path)` (Azure/iotedgedev `iotedgedev/envvars.py`), whose
// default `override=False` never replaces a variable that is already set.
import dotenv from 'dotenv';

// `$` words of the manifest format itself: twin names, the upstream endpoint (also `$upstream:443`
// in nested-edge image names), `$schema-template`, twin metadata, MQTT topics and the system
// properties edgeHub route conditions use. They are never variables, whatever the environment holds.
// Matched case-sensitively, as the format spells them, so `$VERSION` or `$TWIN` still expand.
const RESERVED_WORDS = new Set([
  'edgeAgent',
  'edgeHub',
  'upstream',
  'schema',
  'version',
  'metadata',
  'iothub',
  'body',
  'twin',
  'connectionDeviceId',
  'connectionModuleId',
  'contentType',
  'contentEncoding',
  'messageId',
  'correlationId',
  'userId',
  'to',
  'absoluteExpiryTime',
  'enqueuedTime',
  'inputName',
  'outputName',
]);

const VARIABLE = /\$(\w+|\{[^}]*\})/g;

export interface VariableReference {
  /** The reference as written, e.g. `$HOME` or `${HOME}`. */
  raw: string;
  /** The name: the word, or everything between the braces. */
  name: string;
}

export function isReservedWord(name: string): boolean {
  return RESERVED_WORDS.has(name);
}

/** Replaces each reference for which `replace` returns a value; the others stay as written. */
export function expandReferences(
  text: string,
  replace: (reference: VariableReference) => string | undefined,
): string {
  if (!text.includes('$')) return text;
  return text.replace(VARIABLE, (raw: string, word: string) => {
    const name = word.startsWith('{') ? word.slice(1, -1) : word;
    return name === '' ? raw : (replace({ raw, name }) ?? raw); // `${}` names nothing
  });
}

// python-dotenv interpolates `${NAME}` and `${NAME:-default}` (not `$NAME`) inside values, except
// single-quoted ones, looking in the environment first and then at the earlier lines of the file.
const DOTENV_REFERENCE = /\$\{([^}:]*)(?::-([^}]*))?\}/g;
const SINGLE_QUOTED = /^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*'/gm;

export interface Environment {
  lookup(name: string): string | undefined;
  /** References inside `.env` values that nothing defines; they stay as written. */
  unresolved: string[];
}

/** The variables a template sees: `env` first, then the `.env` file's content. */
export function environment(
  env: Readonly<Record<string, string | undefined>> = {},
  dotenvText?: string,
): Environment {
  const fromFile = new Map<string, string>();
  const lookup = (name: string): string | undefined =>
    (Object.hasOwn(env, name) ? env[name] : undefined) ?? fromFile.get(name);
  const unresolved: string[] = [];
  if (dotenvText !== undefined) {
    const literal = new Set(Array.from(dotenvText.matchAll(SINGLE_QUOTED), (match) => match[1]));
    for (const [name, value] of Object.entries(dotenv.parse(dotenvText))) {
      if (literal.has(name)) {
        fromFile.set(name, value);
        continue;
      }
      const interpolated = value.replace(DOTENV_REFERENCE, (raw: string, ref: string, fallback?: string) => {
        const found = lookup(ref) ?? fallback;
        if (found === undefined) unresolved.push(ref);
        return found ?? raw;
      });
      fromFile.set(name, interpolated);
    }
  }
  return { lookup, unresolved };
}
