// Small helpers for the JSON values the hub model keeps. Twin and configuration content is treated
// as immutable: shared subtrees are frozen, and changes build new objects along the changed path only,
// so thousands of devices can point at one deployment's content without copying it.
import type { JsonObject } from './hub-types.js';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const left = a as JsonObject;
  const right = b as JsonObject;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && deepEqual(left[key], right[key]));
}

/** Freezes a value and everything below it; returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A mutable deep copy: what the model hands to callers, so they can never change its state. */
export function cloneJson<T>(value: T): T {
  // A plain recursive copy: several times faster than structuredClone for the many small twin objects.
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => cloneJson(item)) as T;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) copy[key] = cloneJson((value as JsonObject)[key]);
  return copy as T;
}

/**
 * A JSON merge patch as twin PATCH applies it: objects merge key by key, `null` deletes, anything else
 * replaces. Returns a new object and never changes `target` or `patch`; untouched subtrees are shared.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isJsonObject(value)) {
      const current = result[key];
      result[key] = mergePatch(isJsonObject(current) ? current : {}, value);
    } else result[key] = value;
  }
  return result;
}

/** Sets `value` at `path`, copying only the objects along the path (missing ones are created). */
export function setAtPath(target: JsonObject, path: readonly string[], value: unknown): JsonObject {
  const [head, ...rest] = path;
  if (head === undefined) throw new Error('setAtPath needs a non-empty path');
  const child = target[head];
  return {
    ...target,
    [head]: rest.length === 0 ? value : setAtPath(isJsonObject(child) ? child : {}, rest, value),
  };
}

/** Size of a value as the service counts it for its twin limits: UTF-8 bytes of its JSON text. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
