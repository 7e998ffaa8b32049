// The parsed form of a query. Every node keeps its 1-based source position for error messages.

export type QuerySource = 'devices' | 'devices.modules';

/** A constant: JSON primitives plus the language's `undefined`. */
export type Scalar = string | number | boolean | null | undefined;

export type ComparisonOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Expr = LiteralExpr | PathExpr | CallExpr | CompareExpr | InExpr | LogicalExpr | NotExpr;

export interface LiteralExpr {
  kind: 'literal';
  value: Scalar;
  pos: number;
}

export interface PathExpr {
  kind: 'path';
  segments: string[];
  /** The path as written, for messages. */
  text: string;
  pos: number;
}

export interface CallExpr {
  kind: 'call';
  /** Upper-cased function name, a key of FUNCTIONS. */
  name: string;
  args: Expr[];
  pos: number;
}

export interface CompareExpr {
  kind: 'compare';
  op: ComparisonOp;
  left: Expr;
  right: Expr;
  pos: number;
}

export interface InExpr {
  kind: 'in';
  /** `NIN` / `NOT IN`. */
  negated: boolean;
  value: Expr;
  list: Scalar[];
  pos: number;
}

export interface LogicalExpr {
  kind: 'and' | 'or';
  left: Expr;
  right: Expr;
  pos: number;
}

export interface NotExpr {
  kind: 'not';
  operand: Expr;
  pos: number;
}

export type SelectItem =
  | { kind: 'path'; path: PathExpr; alias: string | undefined; pos: number }
  | { kind: 'count'; alias: string | undefined; pos: number };

export interface QueryAst {
  top: number | undefined;
  /** `'*'` for `SELECT *`. */
  select: '*' | SelectItem[];
  source: QuerySource;
  where: Expr | undefined;
  groupBy: PathExpr | undefined;
}

/** Calls `visit` on every property path in `expr`, in source order. */
export function forEachPath(expr: Expr, visit: (path: PathExpr) => void): void {
  switch (expr.kind) {
    case 'literal':
      return;
    case 'path':
      return visit(expr);
    case 'call':
      return expr.args.forEach((arg) => forEachPath(arg, visit));
    case 'compare':
    case 'and':
    case 'or':
      forEachPath(expr.left, visit);
      return forEachPath(expr.right, visit);
    case 'in':
      return forEachPath(expr.value, visit);
    case 'not':
      return forEachPath(expr.operand, visit);
  }
}
