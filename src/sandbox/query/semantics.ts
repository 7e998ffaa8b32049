// Three-valued logic of the query language (it is Cosmos DB's SQL underneath). A comparison of two
// primitives of the same JSON type is true or false; anything else (an undefined property, different
// types, objects) is *undefined*, which is neither true nor false:
//   - NOT undefined is undefined, so `NOT (tags.ring = 'canary')` and `tags.ring != 'canary'` both
//     leave out twins that have no `tags.ring`. Use `NOT IS_DEFINED(tags.ring) OR ...` to include them.
//   - false AND anything is false, true OR anything is true; other mixes with undefined stay undefined.
//   - WHERE keeps a document only when its condition is exactly true.
import type { ComparisonOp } from './ast.js';

export type Primitive = string | number | boolean | null;

/** True when `a` and `b` are primitives of the same JSON type (null only with null). */
export function comparable(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  const type = typeof a;
  return type === typeof b && (type === 'string' || type === 'number' || type === 'boolean');
}

// The operands are always comparable(), so JS ordering is the language's: strings ordinally
// (case-sensitive), numbers numerically, false < true, null only equal to null.
export const COMPARE: Readonly<Record<ComparisonOp, (a: Primitive, b: Primitive) => boolean>> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => (a as number) < (b as number),
  '>': (a, b) => (a as number) > (b as number),
  '<=': (a, b) => (a as number) <= (b as number),
  '>=': (a, b) => (a as number) >= (b as number),
};

export function and(a: unknown, b: unknown): boolean | undefined {
  if (a === false || b === false) return false;
  return a === true && b === true ? true : undefined;
}

export function or(a: unknown, b: unknown): boolean | undefined {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : undefined;
}

export function not(a: unknown): boolean | undefined {
  return typeof a === 'boolean' ? !a : undefined;
}
