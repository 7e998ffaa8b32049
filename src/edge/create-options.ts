// Docker create options travel as the JSON text of an object, split into chunks because each twin
// property value is limited in size (reference §2.1). The chunk size and count follow iotedgedev,
// which most existing templates were built with: Azure/iotedgedev `iotedgedev/deploymentmanifest.py`,
// `TWIN_VALUE_MAX_SIZE = 512`, `TWIN_VALUE_MAX_CHUNKS = 8`, keys `createOptions`, `createOptions01`
// … `createOptions07`, chunks cut by character (code point). The edge agent sorts the chunk keys,
// requires `createOptions`, then `createOptions01`, `02`, … without gaps, and joins them
// (Azure/iotedge `JsonEx.ChunkedProperty`).
import {
  ManifestError,
  type ManifestProblem,
  type PathSegment,
  fail,
  problem,
  throwIfProblems,
} from './errors.js';
import { moduleEntries } from './manifest-shape.js';
import { type DeploymentManifest, type JsonObject, type JsonValue, isJsonObject } from './types.js';

export const CREATE_OPTIONS_CHUNK_SIZE = 512;
export const CREATE_OPTIONS_MAX_CHUNKS = 8;
export const CREATE_OPTIONS_MAX_LENGTH = CREATE_OPTIONS_CHUNK_SIZE * CREATE_OPTIONS_MAX_CHUNKS;

const CHUNK_KEY = /^(createoptions|createOptions)([0-9]*)$/;

export function isCreateOptionsKey(key: string): boolean {
  return CHUNK_KEY.test(key);
}

function chunkKey(index: number): string {
  return index === 0 ? 'createOptions' : `createOptions${String(index).padStart(2, '0')}`;
}

function chunkIndex(key: string): number {
  const suffix = CHUNK_KEY.exec(key)?.[2] ?? '';
  return suffix === '' ? 0 : Number(suffix);
}

/** JSON text without the whitespace between tokens; strings (and so every value) stay byte for byte. */
function minifyJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (!/\s/.test(char)) out += char;
  }
  return out;
}

/** Problems with a createOptions text: it must be empty or the JSON text of an object. */
export function createOptionsTextProblems(text: string, at: readonly PathSegment[]): ManifestProblem[] {
  if (text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [
      problem(
        at,
        `createOptions must be the JSON text of an object; it does not parse: ${(error as Error).message}`,
        'write createOptions as a JSON object (the engine stringifies it), or fix the JSON text',
      ),
    ];
  }
  if (isJsonObject(parsed)) return [];
  return [
    problem(
      at,
      `createOptions must be a JSON object, found ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
      'wrap the Docker create options in an object, e.g. {"HostConfig": {...}}',
    ),
  ];
}

/** Compact JSON text for createOptions given as an object or as JSON text. Throws ManifestError. */
export function compactCreateOptions(value: unknown, at: readonly PathSegment[]): string {
  if (isJsonObject(value)) return JSON.stringify(value);
  if (typeof value !== 'string') {
    fail(
      problem(
        at,
        `createOptions must be an object or the JSON text of one, found ${Array.isArray(value) ? 'an array' : typeof value}`,
        'give the Docker create options as an object',
      ),
    );
  }
  throwIfProblems(createOptionsTextProblems(value, at));
  return minifyJson(value);
}

/** Splits compact createOptions text into iotedgedev's chunks. Throws ManifestError when it is too long. */
export function splitCreateOptions(text: string, at: readonly PathSegment[]): Record<string, string> {
  const chars = Array.from(text); // code points, as iotedgedev's Python slicing; never splits a surrogate pair
  if (chars.length > CREATE_OPTIONS_MAX_LENGTH) {
    fail(
      problem(
        at,
        `createOptions is ${chars.length} characters long after compacting; the limit is ${CREATE_OPTIONS_MAX_LENGTH} ` +
          `(${CREATE_OPTIONS_MAX_CHUNKS} chunks of ${CREATE_OPTIONS_CHUNK_SIZE})`,
        'shorten it: move configuration into a mounted file (HostConfig.Binds), module env or the module twin',
      ),
    );
  }
  const chunks: Record<string, string> = {};
  for (
    let start = 0, index = 0;
    start < chars.length || index === 0;
    start += CREATE_OPTIONS_CHUNK_SIZE, index++
  ) {
    chunks[chunkKey(index)] = chars.slice(start, start + CREATE_OPTIONS_CHUNK_SIZE).join('');
  }
  return chunks;
}

/** Rebuilds `settings` with `chunks` where the createOptions keys were, keeping every other key in place. */
function withChunks(settings: JsonObject, chunks: Record<string, string>): JsonObject {
  const result: JsonObject = {};
  let placed = false;
  for (const [key, value] of Object.entries(settings)) {
    if (!isCreateOptionsKey(key)) result[key] = value;
    else if (!placed) {
      Object.assign(result, chunks);
      placed = true;
    }
  }
  return result;
}

/** Module settings with createOptions given as an object or a string, compacted and chunked. */
export function settingsWithCreateOptions(
  settings: JsonObject,
  createOptions: unknown,
  at: readonly PathSegment[],
): JsonObject {
  const chunks = splitCreateOptions(compactCreateOptions(createOptions, at), at);
  return { ...settings, ...chunks };
}

/**
 * Template module settings made ready for the service: createOptions written as an object becomes
 * compact, chunked JSON text (as iotedgedev does); a string longer than one chunk is compacted and
 * chunked; anything already chunked, or short, stays exactly as written. Throws ManifestError.
 */
export function normalizeSettings(settings: JsonObject, at: readonly PathSegment[]): JsonObject {
  const keys = Object.keys(settings).filter(isCreateOptionsKey);
  if (keys.length !== 1 || chunkIndex(keys[0] as string) !== 0) return settings;
  const key = keys[0] as string;
  const value = settings[key];
  const alreadyFits = typeof value === 'string' && Array.from(value).length <= CREATE_OPTIONS_CHUNK_SIZE;
  if (alreadyFits || (typeof value !== 'string' && !isJsonObject(value))) return settings;
  const path = [...at, key];
  return withChunks(settings, splitCreateOptions(compactCreateOptions(value, path), path));
}

/**
 * A copy of the manifest in which every module's createOptions written as an object is stringified
 * and chunked as iotedgedev does (strings longer than one chunk too). Throws ManifestError.
 */
export function normalizeCreateOptions<T extends DeploymentManifest>(manifest: T): T {
  const result = structuredClone(manifest);
  const problems: ManifestProblem[] = [];
  for (const { definition, path } of moduleEntries(result)) {
    if (!isJsonObject(definition['settings'])) continue;
    try {
      definition['settings'] = normalizeSettings(definition['settings'], [...path, 'settings']);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      problems.push(...error.problems);
    }
  }
  throwIfProblems(problems);
  return result;
}

export interface CreateOptionsChunks {
  /** The chunk keys in the order the edge agent joins them. */
  keys: string[];
  /** The joined text, when every chunk is a string. */
  text?: string;
  problems: ManifestProblem[];
}

/** Reads the createOptions chunks of module settings the way the edge agent does, and checks their keys. */
export function readCreateOptions(settings: JsonObject, at: readonly PathSegment[]): CreateOptionsChunks {
  const keys = Object.keys(settings)
    .filter(isCreateOptionsKey)
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  const problems: ManifestProblem[] = [];
  const seen = new Map<number, string>();
  for (const [expected, key] of keys.entries()) {
    const index = chunkIndex(key);
    const earlier = seen.get(index);
    if (earlier !== undefined) {
      problems.push(
        problem(
          [...at, key],
          `duplicate createOptions chunk: '${earlier}' and '${key}' are both chunk ${index}`,
          `keep one of '${earlier}' and '${key}'`,
        ),
      );
      break;
    }
    seen.set(index, key);
    if (index !== expected) {
      problems.push(
        problem(
          [...at, key],
          `createOptions chunks must run createOptions, createOptions01, createOptions02, … without gaps; ` +
            `expected '${chunkKey(expected)}', found '${key}'`,
          `rename the chunks so they are consecutive, starting with '${chunkKey(0)}'`,
        ),
      );
      break;
    }
  }
  const values: JsonValue[] = keys.map((key) => settings[key] as JsonValue);
  const text = values.every((value) => typeof value === 'string') ? values.join('') : undefined;
  return { keys, problems, ...(text !== undefined && keys.length > 0 ? { text } : {}) };
}
