// Turns an expression tree into nested closures once, so evaluating a document is plain function
// calls: no tree walking, no operator lookups per document.
import type { JsonObject } from '../hub-types.js';
import type { CompareExpr, Expr, InExpr, Scalar } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { pathGetter } from './paths.js';
import { and, COMPARE, comparable, not, or, type Primitive } from './semantics.js';

export type Evaluator = (doc: JsonObject) => unknown;
export type Predicate = (doc: JsonObject) => boolean;

/** A document passes when the condition is exactly true (undefined and non-booleans do not). */
export function compilePredicate(expr: Expr): Predicate {
  const evaluate = compileExpression(expr);
  return (doc) => evaluate(doc) === true;
}

export function compileExpression(expr: Expr): Evaluator {
  switch (expr.kind) {
    case 'literal': {
      const value = expr.value;
      return () => value;
    }
    case 'path':
      return pathGetter(expr.segments);
    case 'call':
      return compileCall(expr.name, expr.args.map(compileExpression));
    case 'compare':
      return compileComparison(expr);
    case 'in':
      return compileIn(expr);
    case 'and': {
      const [left, right] = [compileExpression(expr.left), compileExpression(expr.right)];
      return (doc) => {
        const a = left(doc);
        return a === false ? false : and(a, right(doc));
      };
    }
    case 'or': {
      const [left, right] = [compileExpression(expr.left), compileExpression(expr.right)];
      return (doc) => {
        const a = left(doc);
        return a === true ? true : or(a, right(doc));
      };
    }
    case 'not': {
      const operand = compileExpression(expr.operand);
      return (doc) => not(operand(doc));
    }
  }
}

function compileCall(name: string, args: Evaluator[]): Evaluator {
  const fn = FUNCTIONS.get(name)!; // the parser accepts known functions with the right arity only
  if (fn.arity === 1) {
    const [arg] = args as [Evaluator];
    return (doc) => fn.apply(arg(doc));
  }
  const [first, second] = args as [Evaluator, Evaluator];
  return (doc) => fn.apply(first(doc), second(doc));
}

function compileComparison(expr: CompareExpr): Evaluator {
  const test = COMPARE[expr.op];
  // The usual shape is `<path> <op> <constant>`: check the document side against the constant's type only.
  if (expr.right.kind === 'literal')
    return compareWithConstant(compileExpression(expr.left), expr.right.value, test);
  if (expr.left.kind === 'literal') {
    const flipped = (a: Primitive, b: Primitive) => test(b, a);
    return compareWithConstant(compileExpression(expr.right), expr.left.value, flipped);
  }
  const [left, right] = [compileExpression(expr.left), compileExpression(expr.right)];
  return (doc) => {
    const a = left(doc);
    const b = right(doc);
    return comparable(a, b) ? test(a as Primitive, b as Primitive) : undefined;
  };
}

function compareWithConstant(
  side: Evaluator,
  constant: Scalar,
  test: (a: Primitive, b: Primitive) => boolean,
): Evaluator {
  if (constant === undefined) return () => undefined;
  if (constant === null) {
    const result = test(null, null);
    return (doc) => (side(doc) === null ? result : undefined);
  }
  const type = typeof constant;
  return (doc) => {
    const value = side(doc);
    return typeof value === type ? test(value as Primitive, constant) : undefined;
  };
}

/** `x IN [..]`: undefined when x is undefined or not a primitive, else whether the list holds x (NIN: not). */
function compileIn(expr: InExpr): Evaluator {
  const value = compileExpression(expr.value);
  const members = new Set<unknown>(expr.list);
  const negated = expr.negated;
  return (doc) => {
    const v = value(doc);
    if (v === undefined || (typeof v === 'object' && v !== null)) return undefined;
    return members.has(v) !== negated;
  };
}
