// Deployment templates as iotedgedev and the VS Code extension write them (reference §4.2):
// `${MODULES.<name>}` / `${MODULES.<name>.<platform>}` image placeholders, `$VAR` / `${VAR}` from the
// environment and `.env`, createOptions as objects, `$schema-template`. The result is the manifest
// iotedgedev's genconfig would write, except that expansion happens inside the parsed JSON (keys and
// string values) rather than on the file's text: a value holding quotes or backslashes cannot break
// the JSON, and line/column positions in errors are the user's own. A bare, unquoted `$VAR` outside a
// string is therefore an error here, where iotedgedev would splice its text in.
import { normalizeCreateOptions } from './create-options.js';
import { type ManifestProblem, type PathSegment, fail, problem, throwIfProblems } from './errors.js';
import { type DeploymentManifest, type JsonObject, type JsonValue, isJsonObject } from './types.js';
import { type VariableReference, environment, expandReferences, isReservedWord } from './variables.js';

/** An image for every platform (e.g. a multi-arch reference by digest), or one per platform (`amd64`, `arm32v7`, …). */
export type ModuleImage = string | Readonly<Record<string, string>>;

export interface ExpandTemplateOptions {
  /** Placeholder name (the `<name>` in `${MODULES.<name>}`) → image. */
  modules?: Readonly<Record<string, ModuleImage>>;
  /** The platform `${MODULES.<name>}` means when the module's images are given per platform. */
  platform?: string;
  /** Variables; they win over `.env`, as in iotedgedev. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The content of a `.env` file. */
  dotenv?: string;
  /** The template's file name, for messages. */
  file?: string;
}

export interface ExpandedTemplate {
  manifest: DeploymentManifest;
  /** Names of `$VAR` / `${VAR}` references nothing defined; they are left as written (log them). */
  leftAsWritten: string[];
}

const TEMPLATE_SCHEMA_KEY = '$schema-template';
const MODULES_PREFIX = 'MODULES.';
const MODULEDIR_PREFIX = 'MODULEDIR<';

/** 1-based line and column of an offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** The first bare word outside strings that JSON does not know (`tru`, `NaN`, an unquoted `$VAR`). */
function firstBadWord(text: string): number | undefined {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (/[A-Za-z_$]/.test(char) && !/[0-9.]/.test(text[i - 1] ?? '')) {
      const word = /^[\w$]+/.exec(text.slice(i))?.[0] ?? char;
      if (!['true', 'false', 'null'].includes(word)) return i;
      i += word.length - 1;
    }
  }
  return undefined;
}

function syntaxHint(text: string, offset: number): string {
  const rest = text.slice(offset);
  if (rest.startsWith('//') || rest.startsWith('/*'))
    return 'comments are not allowed: iotedgedev reads templates as strict JSON';
  if (rest.startsWith("'")) return 'strings and names must be double-quoted';
  if (rest.startsWith('$')) return 'a variable outside a string must be quoted, e.g. "$NAME"';
  if (/,\s*$/.test(text.slice(0, offset)) && /^[}\]]/.test(rest)) return 'remove the trailing comma';
  return 'fix the JSON syntax there';
}

/** Parses template text as strict JSON; a syntax error names the line and column. Throws ManifestError. */
export function parseTemplateText(text: string, file = 'the deployment template'): JsonValue {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text; // editors on Windows may write a BOM
  try {
    return JSON.parse(source) as JsonValue;
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    const offset =
      position !== undefined
        ? Number(position)
        : /end of JSON input/.test(message)
          ? source.length
          : firstBadWord(source);
    if (offset === undefined) {
      fail(problem([], `${file} is not valid JSON: ${message}`, 'fix the JSON syntax'));
    }
    const { line, column } = lineColumn(source, offset);
    return fail(
      problem(
        [],
        `${file} is not valid JSON at line ${line}, column ${column}: ${message}`,
        syntaxHint(source, offset),
      ),
      'The deployment template is not valid JSON',
    );
  }
}

type ImageLookup = { image: string } | { error: string };

function moduleImage(placeholder: string, options: ExpandTemplateOptions): ImageLookup {
  const modules = options.modules ?? {};
  const known = Object.keys(modules);
  const knownText = known.length > 0 ? `known modules: ${known.join(', ')}` : 'no module images were given';
  if (placeholder.startsWith(MODULEDIR_PREFIX)) {
    return { error: `module folder placeholders are iotedgedev build references (${knownText})` };
  }
  const rest = placeholder.slice(MODULES_PREFIX.length);
  const dot = rest.indexOf('.');
  const name = dot < 0 ? rest : rest.slice(0, dot);
  if (!Object.hasOwn(modules, name)) return { error: `no image for module '${name}' (${knownText})` };
  const images = modules[name] as ModuleImage;
  if (typeof images === 'string') return { image: images };
  const platforms = Object.keys(images);
  const only = platforms.length === 1 ? platforms[0] : undefined;
  const platform = dot < 0 ? (options.platform ?? only) : rest.slice(dot + 1);
  if (platform === undefined) {
    return { error: `module '${name}' has images for ${platforms.join(', ')}; pass the default platform` };
  }
  if (!Object.hasOwn(images, platform)) {
    return {
      error: `module '${name}' has no image for platform '${platform}' (it has ${platforms.join(', ') || 'none'})`,
    };
  }
  return { image: images[platform] as string };
}

/** Expands every key and string of a parsed template; collects what stays unresolved. */
function expandValue(
  value: JsonValue,
  at: PathSegment[],
  expand: (text: string, at: PathSegment[]) => string,
): JsonValue {
  if (typeof value === 'string') return expand(value, at);
  if (Array.isArray(value)) return value.map((item, index) => expandValue(item, [...at, index], expand));
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    const name = expand(key, at);
    result[name] = expandValue(child, [...at, name], expand);
  }
  return result;
}

function templateShapeProblems(value: JsonValue): ManifestProblem[] {
  if (!isJsonObject(value)) {
    return [
      problem([], 'a deployment template must be a JSON object', 'start from {"modulesContent": {...}}'),
    ];
  }
  if (isJsonObject(value['modulesContent'])) return [];
  if (isJsonObject(value['content']) && 'modulesContent' in value['content']) {
    return [
      problem(
        ['content'],
        'found content.modulesContent: the template must be the manifest itself',
        'remove the "content" wrapper',
      ),
    ];
  }
  if ('moduleContent' in value) {
    return [
      problem(
        ['moduleContent'],
        "'moduleContent' is the old name of 'modulesContent'",
        "rename it to 'modulesContent'",
      ),
    ];
  }
  return [
    problem(
      ['modulesContent'],
      "the 'modulesContent' object is missing",
      'add "modulesContent" with $edgeAgent and $edgeHub',
    ),
  ];
}

/**
 * Expands a deployment template (its text, or the parsed object) into a manifest. Unknown variables
 * stay as written and are listed in `leftAsWritten`; an unresolved `${MODULES...}` placeholder, invalid
 * JSON or createOptions beyond the size limit throw ManifestError.
 */
export function expandTemplate(
  template: string | JsonObject,
  options: ExpandTemplateOptions = {},
): ExpandedTemplate {
  const parsed = typeof template === 'string' ? parseTemplateText(template, options.file) : template;
  throwIfProblems(templateShapeProblems(parsed), 'The deployment template cannot be used');
  const variables = environment(options.env, options.dotenv);
  const leftAsWritten = new Set<string>(variables.unresolved);
  const problems: ManifestProblem[] = [];
  const replace = (at: PathSegment[]) => (reference: VariableReference) => {
    const { name, raw } = reference;
    if (name.startsWith(MODULES_PREFIX) || name.startsWith(MODULEDIR_PREFIX)) {
      const found = moduleImage(name, options);
      if ('image' in found) return found.image;
      problems.push(
        problem(
          at,
          `unresolved module placeholder ${raw}: ${found.error}`,
          `map '${name}' to an image, or correct the placeholder`,
        ),
      );
      return undefined;
    }
    if (isReservedWord(name)) return undefined;
    const value = variables.lookup(name);
    if (value === undefined) leftAsWritten.add(name);
    return value;
  };
  const manifest = expandValue(parsed, [], (text, at) => expandReferences(text, replace(at))) as JsonObject;
  throwIfProblems(problems, 'The deployment template has unresolved module placeholders');
  delete manifest[TEMPLATE_SCHEMA_KEY]; // template metadata, as iotedgedev's genconfig removes it
  return {
    manifest: normalizeCreateOptions(manifest as unknown as DeploymentManifest),
    leftAsWritten: [...leftAsWritten],
  };
}
