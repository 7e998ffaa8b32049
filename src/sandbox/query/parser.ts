// Recursive-descent parser for the IoT Hub query language. Precedence, loosest first:
// OR, AND, NOT, then one comparison / IN / NIN per operand pair.
import type { ComparisonOp, Expr, PathExpr, QueryAst, QuerySource, Scalar, SelectItem } from './ast.js';
import { QueryError } from './errors.js';
import { AGGREGATES, FUNCTIONS } from './functions.js';
import { tokenize, type Token } from './lexer.js';

/** Reserved words; as property names they must be written `[[group]]` (as on the service). */
const KEYWORDS = new Set([
  'SELECT',
  'TOP',
  'FROM',
  'WHERE',
  'GROUP',
  'BY',
  'AS',
  'AND',
  'OR',
  'NOT',
  'IN',
  'NIN',
  'TRUE',
  'FALSE',
  'NULL',
  'UNDEFINED',
]);
const CONSTANT_WORDS = new Map<string, Scalar>([
  ['TRUE', true],
  ['FALSE', false],
  ['NULL', null],
  ['UNDEFINED', undefined],
]);
const COMPARISONS: Record<string, ComparisonOp> = {
  '=': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '>': '>',
  '<=': '<=',
  '>=': '>=',
};
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);

export function parseQuery(source: string): QueryAst {
  return new Parser(source).query();
}

/** A WHERE expression on its own (target conditions, metric filters). */
export function parseCondition(source: string): Expr {
  return new Parser(source).conditionOnly();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  query(): QueryAst {
    this.expectKeyword('SELECT');
    const top = this.acceptKeyword('TOP') ? this.topCount() : undefined;
    const select = this.acceptSymbol('*') ? '*' : this.list(() => this.selectItem());
    this.expectKeyword('FROM');
    const source = this.collection();
    const where = this.acceptKeyword('WHERE') ? this.expression() : undefined;
    let groupBy: PathExpr | undefined;
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      groupBy = this.path();
      if (this.peekSymbol(',')) throw this.unexpected(this.peek(), 'GROUP BY takes one property');
    }
    this.expectEnd();
    return { top, select, source, where, groupBy };
  }

  conditionOnly(): Expr {
    if (this.peek().kind === 'end') throw new QueryError('Condition is empty');
    const expr = this.expression();
    this.expectEnd();
    return expr;
  }

  // ---- clauses

  private topCount(): number {
    const token = this.next();
    if (token.kind !== 'number' || !Number.isInteger(token.value)) {
      throw this.unexpected(token, 'TOP takes a whole number');
    }
    return token.value;
  }

  private selectItem(): SelectItem {
    const token = this.peek();
    if (token.kind === 'word' && this.peekSymbol('(', 1)) {
      if (token.upper !== 'COUNT') {
        const problem = AGGREGATES.has(token.upper)
          ? `Aggregate ${token.upper}() is not supported by the sandbox hub`
          : FUNCTIONS.has(token.upper)
            ? `Function ${token.upper}() cannot be selected`
            : `Unknown function '${token.text}'`;
        throw new QueryError(problem, token.pos);
      }
      this.index += 2;
      if (!this.acceptSymbol(')')) throw this.unexpected(this.peek(), 'COUNT() takes no arguments');
      return { kind: 'count', alias: this.alias(), pos: token.pos };
    }
    const path = this.path();
    return { kind: 'path', path, alias: this.alias(), pos: path.pos };
  }

  private alias(): string | undefined {
    if (!this.acceptKeyword('AS')) return undefined;
    const token = this.next();
    if (token.kind !== 'word' || KEYWORDS.has(token.upper))
      throw this.unexpected(token, 'expected a name after AS');
    return token.text;
  }

  private collection(): QuerySource {
    const first = this.next();
    if (first.kind === 'word' && first.upper === 'DEVICES') {
      if (!this.acceptSymbol('.')) return 'devices';
      const second = this.next();
      if (second.kind === 'word' && second.upper === 'MODULES') return 'devices.modules';
      throw new QueryError(`Unknown collection 'devices.${second.text}'`, first.pos, FROM_HINT);
    }
    if (first.kind === 'end') throw this.unexpected(first, FROM_HINT);
    throw new QueryError(`Unknown collection '${first.text}'`, first.pos, FROM_HINT);
  }

  // ---- expressions

  private expression(): Expr {
    let left = this.conjunction();
    while (this.peekKeyword('OR')) {
      const pos = this.next().pos;
      left = { kind: 'or', left, right: this.conjunction(), pos };
    }
    return left;
  }

  private conjunction(): Expr {
    let left = this.negation();
    while (this.peekKeyword('AND')) {
      const pos = this.next().pos;
      left = { kind: 'and', left, right: this.negation(), pos };
    }
    return left;
  }

  private negation(): Expr {
    if (!this.peekKeyword('NOT')) return this.predicate();
    const pos = this.next().pos;
    return { kind: 'not', operand: this.negation(), pos };
  }

  private predicate(): Expr {
    const left = this.operand();
    const token = this.peek();
    const op = token.kind === 'symbol' ? COMPARISONS[token.text] : undefined;
    if (op !== undefined) {
      this.next();
      return { kind: 'compare', op, left, right: this.operand(), pos: token.pos };
    }
    if (this.acceptKeyword('IN'))
      return { kind: 'in', negated: false, value: left, list: this.constantList(), pos: token.pos };
    if (this.acceptKeyword('NIN'))
      return { kind: 'in', negated: true, value: left, list: this.constantList(), pos: token.pos };
    if (this.peekKeyword('NOT') && this.peekKeyword('IN', 1)) {
      this.index += 2;
      return { kind: 'in', negated: true, value: left, list: this.constantList(), pos: token.pos };
    }
    return left;
  }

  private operand(): Expr {
    const operand = this.primary();
    const token = this.peek();
    if (token.kind === 'symbol' && ARITHMETIC.has(token.text)) {
      throw new QueryError(
        `Arithmetic operator '${token.text}' is not supported by the sandbox hub`,
        token.pos,
      );
    }
    return operand;
  }

  private primary(): Expr {
    const token = this.peek();
    switch (token.kind) {
      case 'string':
      case 'number':
        this.next();
        return { kind: 'literal', value: token.value, pos: token.pos };
      case 'name':
        return this.path();
      case 'word':
        if (CONSTANT_WORDS.has(token.upper)) {
          this.next();
          return { kind: 'literal', value: CONSTANT_WORDS.get(token.upper), pos: token.pos };
        }
        if (KEYWORDS.has(token.upper)) throw this.unexpected(token);
        return this.peekSymbol('(', 1) ? this.call() : this.path();
      case 'symbol':
        if (token.text === '(') {
          this.next();
          const inner = this.expression();
          this.expectSymbol(')');
          return inner;
        }
        if (token.text === '-' && this.peek(1).kind === 'number') {
          this.next();
          return { kind: 'literal', value: -this.numberValue(this.next()), pos: token.pos };
        }
        if (token.text === '[')
          throw new QueryError('An array constant is only allowed after IN or NIN', token.pos);
        throw this.unexpected(token);
      case 'end':
        throw this.unexpected(token);
    }
  }

  private call(): Expr {
    const nameToken = this.next() as Extract<Token, { kind: 'word' }>;
    const fn = FUNCTIONS.get(nameToken.upper);
    if (fn === undefined) {
      if (AGGREGATES.has(nameToken.upper)) {
        throw new QueryError(`Aggregate ${nameToken.upper}() is only allowed in SELECT`, nameToken.pos);
      }
      throw new QueryError(`Unknown function '${nameToken.text}'`, nameToken.pos);
    }
    this.expectSymbol('(');
    const args = this.peekSymbol(')') ? [] : this.list(() => this.expression());
    this.expectSymbol(')');
    if (args.length !== fn.arity) {
      const plural = fn.arity === 1 ? '' : 's';
      throw new QueryError(
        `${nameToken.upper}() takes ${fn.arity} argument${plural}, got ${args.length}`,
        nameToken.pos,
      );
    }
    return { kind: 'call', name: nameToken.upper, args, pos: nameToken.pos };
  }

  private constantList(): Scalar[] {
    const open = this.peek();
    if (!this.peekSymbol('[')) {
      throw this.unexpected(open, "IN and NIN take a list in square brackets, e.g. IN ['a', 'b']");
    }
    this.next();
    if (this.peekSymbol(']')) throw new QueryError('Empty IN list', open.pos);
    const values = this.list(() => this.constant());
    this.expectSymbol(']');
    return values;
  }

  private constant(): Scalar {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word' && CONSTANT_WORDS.has(token.upper)) return CONSTANT_WORDS.get(token.upper);
    if (token.kind === 'symbol' && token.text === '-') return -this.numberValue(this.next());
    throw this.unexpected(token, 'an IN list holds constants only');
  }

  private numberValue(token: Token): number {
    if (token.kind !== 'number') throw this.unexpected(token, "expected a number after '-'");
    return token.value;
  }

  private path(): PathExpr {
    const first = this.peek();
    const segments = [this.pathSegment(true)];
    while (this.acceptSymbol('.')) segments.push(this.pathSegment(false));
    const last = this.tokens[this.index - 1]!;
    const end = last.pos - 1 + (last.kind === 'name' ? last.text.length + 4 : last.text.length);
    return { kind: 'path', segments, text: this.source.slice(first.pos - 1, end), pos: first.pos };
  }

  private pathSegment(first: boolean): string {
    const token = this.next();
    if (token.kind === 'name') return token.text;
    if (token.kind !== 'word' || (first && KEYWORDS.has(token.upper))) {
      throw this.unexpected(token, 'expected a property name');
    }
    if (KEYWORDS.has(token.upper)) {
      throw new QueryError(`'${token.text}' is a reserved word`, token.pos, `write it as [[${token.text}]]`);
    }
    return token.text;
  }

  // ---- token helpers

  private list<T>(item: () => T): T[] {
    const items = [item()];
    while (this.acceptSymbol(',')) items.push(item());
    return items;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private peekKeyword(keyword: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'word' && token.upper === keyword;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.peekKeyword(keyword)) return false;
    this.index++;
    return true;
  }

  private peekSymbol(symbol: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'symbol' && token.text === symbol;
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.peekSymbol(symbol)) return false;
    this.index++;
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) throw this.unexpected(this.peek(), `expected ${keyword}`);
  }

  private expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.unexpected(this.peek(), `expected '${symbol}'`);
  }

  private expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.unexpected(token);
  }

  private unexpected(token: Token, hint?: string): QueryError {
    const what = token.kind === 'end' ? 'Unexpected end of query' : `Unexpected token '${token.text}'`;
    return new QueryError(what, token.pos, hint);
  }
}

const FROM_HINT = 'the sandbox hub queries FROM devices or FROM devices.modules';
