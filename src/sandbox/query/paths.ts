// Property lookups along a path, prepared once per query. Names match exactly first and, failing
// that, ignoring case: the service treats property names in queries case-insensitively
// (`SELECT DeviceId` answers `deviceId`), while values compare case-sensitively.
import type { JsonObject } from '../hub-types.js';

export type Getter = (doc: JsonObject) => unknown;

export interface PropertyKey {
  readonly name: string;
  readonly lower: string;
  /** `constructor`, `toString`, `length`…: a plain lookup could find a prototype's member. */
  readonly inherited: boolean;
}

export function propertyKey(name: string): PropertyKey {
  return { name, lower: name.toLowerCase(), inherited: name in Object.prototype || name in Array.prototype };
}

/** The object's own key that `key` names (exact, else case-insensitive), or undefined. */
export function resolveKey(value: unknown, key: PropertyKey): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const object = value as JsonObject;
  if (Object.hasOwn(object, key.name)) return key.name;
  for (const candidate in object) {
    if (candidate.length === key.name.length && candidate.toLowerCase() === key.lower) return candidate;
  }
  return undefined;
}

export function readProperty(value: unknown, key: PropertyKey): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  // Fast path: an exact own name. Arrays have no own members under a non-inherited name.
  if (!key.inherited) {
    const direct = (value as JsonObject)[key.name];
    if (direct !== undefined) return direct;
  }
  const found = resolveKey(value, key);
  return found === undefined ? undefined : (value as JsonObject)[found];
}

export function pathGetter(segments: readonly string[]): Getter {
  const keys = segments.map(propertyKey);
  const [first, second, third] = keys;
  // Unrolled for the common short paths (deviceId, tags.ring, properties.reported.x).
  switch (keys.length) {
    case 0:
      return (doc) => doc;
    case 1:
      return (doc) => readProperty(doc, first!);
    case 2:
      return (doc) => readProperty(readProperty(doc, first!), second!);
    case 3:
      return (doc) => readProperty(readProperty(readProperty(doc, first!), second!), third!);
    default:
      return (doc) => {
        let value: unknown = doc;
        for (let i = 0; i < keys.length && value !== undefined; i++) value = readProperty(value, keys[i]!);
        return value;
      };
  }
}
