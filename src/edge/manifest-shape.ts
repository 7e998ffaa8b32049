// Where things live in a manifest, for both shapes: a base deployment keeps whole twins under
// `properties.desired`; a layered one addresses parts with `properties.desired.<path>` keys
// (reference §1.7). The service tells the two apart by shape alone, and so does this engine.
import type { PathSegment } from './errors.js';
import { DESIRED, type JsonObject, type JsonValue, LAYERED_PREFIX, isJsonObject } from './types.js';

const MODULE_KEY_PREFIX = `${LAYERED_PREFIX}modules.`;

/** True when any twin in the manifest is addressed by a `properties.desired.<path>` key. */
export function isLayered(manifest: unknown): boolean {
  const modulesContent = isJsonObject(manifest) ? manifest['modulesContent'] : undefined;
  if (!isJsonObject(modulesContent)) return false;
  return Object.values(modulesContent).some(
    (twin) => isJsonObject(twin) && Object.keys(twin).some((key) => key.startsWith(LAYERED_PREFIX)),
  );
}

export interface ModuleEntry {
  name: string;
  /** edgeAgent or edgeHub under `systemModules`. */
  system: boolean;
  definition: JsonObject;
  /** Path segments from the manifest root to the module definition. */
  path: PathSegment[];
}

function modulesContentOf(manifest: unknown): JsonObject | undefined {
  const modulesContent = isJsonObject(manifest) ? manifest['modulesContent'] : undefined;
  return isJsonObject(modulesContent) ? modulesContent : undefined;
}

/** Every module definition in the manifest (system modules first), in either shape. */
export function moduleEntries(manifest: unknown): ModuleEntry[] {
  const agent = modulesContentOf(manifest)?.['$edgeAgent'];
  if (!isJsonObject(agent)) return [];
  const base: PathSegment[] = ['modulesContent', '$edgeAgent'];
  const entries: ModuleEntry[] = [];
  const desired = agent[DESIRED];
  if (isJsonObject(desired)) {
    for (const [group, system] of [
      ['systemModules', true],
      ['modules', false],
    ] as const) {
      const modules = desired[group];
      if (!isJsonObject(modules)) continue;
      for (const [name, definition] of Object.entries(modules)) {
        if (isJsonObject(definition)) {
          entries.push({ name, system, definition, path: [...base, DESIRED, group, name] });
        }
      }
    }
  }
  for (const [key, definition] of Object.entries(agent)) {
    if (key.startsWith(MODULE_KEY_PREFIX) && isJsonObject(definition)) {
      entries.push({
        name: key.slice(MODULE_KEY_PREFIX.length),
        system: false,
        definition,
        path: [...base, key],
      });
    }
  }
  return entries;
}

export interface DesiredPart {
  value: JsonValue;
  /** Path segments from the manifest root to the value. */
  path: PathSegment[];
  /** Where the value sits inside the twin's desired properties (empty for the whole of them). */
  desiredPath: string[];
}

/** The desired-property content of one twin entry: the whole object, or each layered path. */
export function desiredParts(twin: JsonObject, twinName: string): DesiredPart[] {
  const parts: DesiredPart[] = [];
  for (const [key, value] of Object.entries(twin)) {
    const path = ['modulesContent', twinName, key];
    if (key === DESIRED) parts.push({ value, path, desiredPath: [] });
    else if (key.startsWith(LAYERED_PREFIX)) {
      parts.push({ value, path, desiredPath: key.slice(LAYERED_PREFIX.length).split('.') });
    }
  }
  return parts;
}

/** The desired properties a twin entry sets, nested back into one object (for sizes). */
export function desiredObject(twin: JsonObject, twinName: string): JsonObject {
  const result: JsonObject = {};
  for (const { value, desiredPath } of desiredParts(twin, twinName)) {
    if (desiredPath.length === 0) {
      if (isJsonObject(value)) Object.assign(result, value);
      continue;
    }
    let target = result;
    for (const segment of desiredPath.slice(0, -1)) {
      const next = target[segment];
      const copy: JsonObject = isJsonObject(next) ? { ...next } : {}; // never write into the caller's objects
      target[segment] = copy;
      target = copy;
    }
    target[desiredPath[desiredPath.length - 1] as string] = value;
  }
  return result;
}
