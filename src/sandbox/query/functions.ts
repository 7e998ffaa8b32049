// The built-in functions a condition may call. Type checks answer true/false for any value (an
// undefined property is simply "not a string"); string tests are undefined unless both arguments are
// strings, like a comparison of different types.

export type QueryFunction =
  | { arity: 1; apply: (value: unknown) => unknown }
  | { arity: 2; apply: (first: unknown, second: unknown) => unknown };

const isObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isPrimitive = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

function stringTest(test: (text: string, part: string) => boolean): QueryFunction {
  return {
    arity: 2,
    apply: (text, part) =>
      typeof text === 'string' && typeof part === 'string' ? test(text, part) : undefined,
  };
}

function typeTest(test: (value: unknown) => boolean): QueryFunction {
  return { arity: 1, apply: test };
}

const startsWith = stringTest((text, part) => text.startsWith(part));
const endsWith = stringTest((text, part) => text.endsWith(part));

/** By upper-cased name. The STARTSWITH/ENDSWITH spellings are kept beside the documented STARTS_WITH/ENDS_WITH. */
export const FUNCTIONS: ReadonlyMap<string, QueryFunction> = new Map([
  ['IS_DEFINED', typeTest((value) => value !== undefined)],
  ['IS_NULL', typeTest((value) => value === null)],
  ['IS_STRING', typeTest((value) => typeof value === 'string')],
  ['IS_NUMBER', typeTest((value) => typeof value === 'number')],
  ['IS_BOOL', typeTest((value) => typeof value === 'boolean')],
  ['IS_OBJECT', typeTest(isObject)],
  ['IS_ARRAY', typeTest(Array.isArray)],
  ['IS_PRIMITIVE', typeTest(isPrimitive)],
  ['STARTS_WITH', startsWith],
  ['STARTSWITH', startsWith],
  ['ENDS_WITH', endsWith],
  ['ENDSWITH', endsWith],
  ['CONTAINS', stringTest((text, part) => text.includes(part))],
]);

/** Aggregates of the documented SELECT grammar; only COUNT() is implemented. */
export const AGGREGATES: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
