// The IoT Hub query language of the sandbox hub: `POST /devices/query`, deployment target
// conditions and deployment metrics. Pure code, no I/O. Semantics (three-valued logic, undefined
// properties, case rules) are described in semantics.ts and paths.ts.
import type { JsonObject } from '../hub-types.js';
import { compilePredicate } from './compile-expression.js';
import { compileAst, type CompiledQuery } from './compile-query.js';
import { parseCondition, parseQuery } from './parser.js';

export { QueryError } from './errors.js';
export type { QuerySource } from './ast.js';
export type { CompiledQuery } from './compile-query.js';
export { checkTargetCondition } from './target-condition.js';

/** Parses and compiles `SELECT … FROM devices|devices.modules [WHERE …] [GROUP BY …]`; throws QueryError. */
export function compileQuery(sql: string): CompiledQuery {
  return compileAst(parseQuery(sql));
}

/** Compiles a WHERE expression alone into a test that passes only when the condition is true; throws QueryError. */
export function compileCondition(expression: string): (doc: JsonObject) => boolean {
  return compilePredicate(parseCondition(expression));
}
