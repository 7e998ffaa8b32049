// Deployment target conditions: local checks that catch the common mistakes before the hub's
// `testQueries` is asked (reference §1.5), the quoting helper, and the builders for rings, cumulative
// targeting and the never-matching condition of a withdrawn release.
//
// The checks are deliberately no stricter than the hub where the hub's rules are unverified (for
// example `IN` lists are accepted here and left to `testQueries`); where the rules are documented
// (single quotes only, `''` escaping, allowed value characters, the three roots) they are enforced.
import { didYouMean } from './problems.js';
import type { RingTarget } from './rings.js';

export interface ConditionProblem {
  message: string;
  fix: string;
  /** 1-based position in the condition text, when the problem is at one place. */
  column?: number;
}

/** Characters a target-condition string value may hold besides ASCII letters and digits (§1.4). */
export const VALUE_PUNCTUATION = "-:.+%_#*?!(),=@;$'";
const VALUE_CHARS = /^[A-Za-z0-9\-:.+%_#*?!(),=@;$']*$/;
const ROOTS_FIX = 'a target condition may only use deviceId, tags.<name> or properties.reported.<name>';
const FUNCTIONS = new Set([
  'IS_DEFINED',
  'IS_NULL',
  'IS_STRING',
  'IS_NUMBER',
  'IS_BOOL',
  'IS_OBJECT',
  'IS_ARRAY',
  'IS_PRIMITIVE',
  'STARTS_WITH',
  'STARTSWITH',
  'ENDS_WITH',
  'ENDSWITH',
  'CONTAINS',
]);
const CONSTANTS = new Set(['TRUE', 'FALSE', 'NULL']);
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'NIN', ...CONSTANTS]);
const COMPARISONS = new Set(['=', '!=', '<>', '<', '>', '<=', '>=']);

type Token =
  | { kind: 'path'; text: string; column: number }
  | { kind: 'keyword'; text: string; upper: string; column: number }
  | { kind: 'function'; text: string; column: number }
  | { kind: 'string'; text: string; value: string; column: number }
  | { kind: 'number'; text: string; column: number }
  | { kind: 'symbol'; text: string; column: number }
  | { kind: 'end'; text: ''; column: number };

class ConditionSyntaxError extends Error {
  constructor(readonly problem: ConditionProblem) {
    super(problem.message);
  }
}

function fail(message: string, fix: string, column?: number): never {
  throw new ConditionSyntaxError({ message, fix, ...(column === undefined ? {} : { column }) });
}

const SEGMENT = /[A-Za-z_$][A-Za-z0-9_$]*|\[\[[^\]]+\]\]/y;
const NUMBER = /-?\d+(?:\.\d+)?/y;

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

/** Reads a property path (`tags.ring`, `properties.reported.x`, `tags.[[odd name]]`) starting at `at`. */
function readPath(text: string, at: number): string {
  let end = at;
  for (;;) {
    const segment = matchAt(SEGMENT, text, end);
    if (segment === undefined) fail(`Expected a property name at column ${end + 1}`, ROOTS_FIX, end + 1);
    end += segment.length;
    if (text[end] !== '.') return text.slice(at, end);
    end++;
  }
}

function readString(text: string, at: number): { value: string; end: number } {
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] !== "'") {
      value += text[i];
    } else if (text[i + 1] === "'") {
      value += "'";
      i++;
    } else {
      return { value, end: i + 1 };
    }
  }
  return fail(
    `Unterminated string starting at column ${at + 1}`,
    "close it with ' and write a quote inside a value as '' (e.g. deviceId='operator''s-device')",
    at + 1,
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const column = i + 1;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ kind: 'string', text: text.slice(i, end), value, column });
      i = end;
    } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const number = matchAt(NUMBER, text, i)!;
      tokens.push({ kind: 'number', text: number, column });
      i += number.length;
    } else if (/[A-Za-z_$]/.test(ch) || text.startsWith('[[', i)) {
      const path = readPath(text, i);
      const upper = path.toUpperCase();
      const isCall = text
        .slice(i + path.length)
        .trimStart()
        .startsWith('(');
      if (KEYWORDS.has(upper)) tokens.push({ kind: 'keyword', text: path, upper, column });
      else if (!isCall) tokens.push({ kind: 'path', text: path, column });
      else if (FUNCTIONS.has(upper)) tokens.push({ kind: 'function', text: path, column });
      else
        fail(
          `Unknown function '${path}' at column ${column}`,
          `known functions: ${[...FUNCTIONS].join(', ')}`,
          column,
        );
      i += path.length;
    } else {
      const two = text.slice(i, i + 2);
      if (two === '==')
        fail(`'==' at column ${column}`, "compare with a single '=', e.g. tags.ring='canary'", column);
      if (two === '&&' || two === '||') {
        fail(`'${two}' at column ${column}`, `write ${two === '&&' ? 'AND' : 'OR'} instead`, column);
      }
      const symbol = COMPARISONS.has(two) ? two : '=<>(),[]'.includes(ch) ? ch : undefined;
      if (symbol === undefined) {
        fail(`Unexpected character '${ch}' at column ${column}`, 'string values go in single quotes', column);
      }
      tokens.push({ kind: 'symbol', text: symbol, column });
      i += symbol.length;
    }
  }
  tokens.push({ kind: 'end', text: '', column: text.length + 1 });
  return tokens;
}

/** Recursive descent over OR / AND / NOT / comparisons; it only checks, it builds nothing. */
class ConditionChecker {
  private index = 0;
  readonly paths: Array<{ text: string; column: number }> = [];

  constructor(private readonly tokens: Token[]) {}

  check(): void {
    this.disjunction();
    const token = this.peek();
    if (token.kind !== 'end')
      this.unexpected(token, "join comparisons with AND or OR, e.g. tags.a='x' AND tags.b='y'");
  }

  private disjunction(): void {
    this.conjunction();
    while (this.acceptKeyword('OR')) this.conjunction();
  }

  private conjunction(): void {
    this.negation();
    while (this.acceptKeyword('AND')) this.negation();
  }

  private negation(): void {
    if (this.acceptKeyword('NOT')) this.negation();
    else this.predicate();
  }

  private predicate(): void {
    const first = this.peek();
    if (first.kind === 'symbol' && first.text === '(') {
      this.index++;
      this.disjunction();
      this.expectSymbol(')', `add the missing ')' for the '(' at column ${first.column}`);
      return;
    }
    if (first.kind === 'function') {
      this.call();
      return;
    }
    const left = this.operand();
    const op = this.peek();
    if (op.kind === 'symbol' && COMPARISONS.has(op.text)) {
      this.index++;
      const right = this.operand();
      if (left.kind !== 'path' && right.kind !== 'path') {
        fail(
          `The comparison at column ${op.column} compares no property`,
          `compare a property with a value, e.g. tags.ring='canary'`,
          op.column,
        );
      }
      return;
    }
    if (this.acceptKeyword('IN') || this.acceptKeyword('NIN') || this.acceptNotIn()) {
      this.list();
      return;
    }
    // A bare property is a boolean test (`tags.gpu`), which the query language allows.
    if (left.kind === 'path') return;
    this.unexpected(op, `compare a property with a value, e.g. tags.ring='canary'`);
  }

  private call(): void {
    const name = this.tokens[this.index++]!;
    this.expectSymbol('(', `call it as ${name.text.toUpperCase()}(tags.name)`);
    this.operand();
    while (this.acceptSymbol(',')) this.operand();
    this.expectSymbol(')', `close the call to ${name.text} with ')'`);
  }

  private list(): void {
    this.expectSymbol('[', "IN takes a list in square brackets, e.g. tags.ring IN ['canary', 'pilot']");
    this.constant();
    while (this.acceptSymbol(',')) this.constant();
    this.expectSymbol(']', "close the IN list with ']'");
  }

  private constant(): void {
    const token = this.operand();
    if (token.kind === 'path') this.unexpected(token, 'an IN list holds values only');
  }

  private operand(): Token {
    const token = this.peek();
    if (token.kind === 'path') this.paths.push({ text: token.text, column: token.column });
    if (
      token.kind === 'path' ||
      token.kind === 'string' ||
      token.kind === 'number' ||
      (token.kind === 'keyword' && CONSTANTS.has(token.upper))
    ) {
      this.index++;
      return token;
    }
    return this.unexpected(token, "expected a property such as tags.ring or a value such as 'canary'");
  }

  private peek(): Token {
    return this.tokens[Math.min(this.index, this.tokens.length - 1)]!;
  }

  private acceptKeyword(keyword: string): boolean {
    const token = this.peek();
    if (token.kind !== 'keyword' || token.upper !== keyword) return false;
    this.index++;
    return true;
  }

  private acceptNotIn(): boolean {
    const [not, inWord] = [this.peek(), this.tokens[this.index + 1]];
    if (not.kind !== 'keyword' || not.upper !== 'NOT' || inWord?.kind !== 'keyword' || inWord.upper !== 'IN')
      return false;
    this.index += 2;
    return true;
  }

  private acceptSymbol(symbol: string): boolean {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.text !== symbol) return false;
    this.index++;
    return true;
  }

  private expectSymbol(symbol: string, fix: string): void {
    if (!this.acceptSymbol(symbol)) this.unexpected(this.peek(), fix);
  }

  private unexpected(token: Token, fix: string): never {
    const what =
      token.kind === 'end'
        ? 'Unexpected end of condition'
        : `Unexpected '${token.text}' at column ${token.column}`;
    return fail(what, fix, token.column);
  }
}

/** Why a string value cannot appear in a target condition, or undefined when it can. */
export function valueProblem(value: string): string | undefined {
  if (VALUE_CHARS.test(value)) return undefined;
  const bad = [...new Set([...value].filter((ch) => !VALUE_CHARS.test(ch)))];
  const shown = bad.map((ch) => (ch === ' ' ? "' ' (space)" : `'${ch}'`)).join(', ');
  return `'${value}' contains ${shown}, which target-condition values may not contain`;
}

export const VALUE_FIX = `values may only hold ASCII letters, digits and ${VALUE_PUNCTUATION}`;

function rootProblem(path: string): string | undefined {
  const segments = path.split('.');
  const root = segments[0]!.toLowerCase();
  if (root === 'deviceid' && segments.length === 1) return undefined;
  if (root === 'tags' && segments.length >= 2) return undefined;
  if (root === 'properties' && segments[1]?.toLowerCase() === 'reported' && segments.length >= 3)
    return undefined;
  return `'${path}' cannot be targeted`;
}

function rootFix(path: string): string {
  const guess = didYouMean(path.split('.')[0]!, ['deviceId', 'tags', 'properties']);
  const wrongRoot = guess && guess.toLowerCase() !== path.split('.')[0]!.toLowerCase();
  if (wrongRoot) return `did you mean '${[guess, ...path.split('.').slice(1)].join('.')}'? ${ROOTS_FIX}`;
  return ROOTS_FIX;
}

/**
 * Every problem found locally in a target condition; an empty list means "ready for the hub's
 * testQueries". Syntax stops at the first error (later ones would only be echoes of it); value
 * characters and property roots are reported one by one.
 */
export function checkTargetCondition(condition: string): ConditionProblem[] {
  if (condition.trim() === '') {
    return [{ message: 'The target condition is empty', fix: "give a condition such as tags.ring='canary'" }];
  }
  const doubleQuote = condition.indexOf('"');
  if (doubleQuote >= 0) {
    return [
      {
        message: `Double quote at column ${doubleQuote + 1}: target conditions take single quotes only`,
        fix: `write ${condition.replaceAll('"', "'")}`,
        column: doubleQuote + 1,
      },
    ];
  }
  try {
    const tokens = tokenize(condition);
    const problems: ConditionProblem[] = [];
    for (const token of tokens) {
      const problem = token.kind === 'string' ? valueProblem(token.value) : undefined;
      if (problem) problems.push({ message: `Value ${problem}`, fix: VALUE_FIX, column: token.column });
    }
    const checker = new ConditionChecker(tokens);
    checker.check();
    for (const path of checker.paths) {
      const problem = rootProblem(path.text);
      if (problem)
        problems.push({
          message: `${problem} (column ${path.column})`,
          fix: rootFix(path.text),
          column: path.column,
        });
    }
    return problems;
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return [error.problem];
    throw error;
  }
}

/** A string literal for a condition: single quotes, with `'` doubled. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A literal for a tag value: strings are quoted, numbers and booleans stay bare so they compare as such. */
function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? quote(value) : String(value);
}

/** True when the condition has AND or OR outside parentheses, so combining it needs parentheses. */
function hasTopLevelOperator(condition: string): boolean {
  let tokens: Token[];
  try {
    tokens = tokenize(condition);
  } catch {
    return true;
  }
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'symbol' && token.text === '(') depth++;
    else if (token.kind === 'symbol' && token.text === ')') depth--;
    else if (token.kind === 'keyword' && depth === 0 && (token.upper === 'AND' || token.upper === 'OR'))
      return true;
  }
  return false;
}

function operand(condition: string): string {
  return hasTopLevelOperator(condition) ? `(${condition})` : condition;
}

/** `a AND b AND …`, each part parenthesised when needed; empty parts are dropped. */
export function allOf(conditions: readonly string[]): string {
  const parts = conditions.filter((condition) => condition.trim() !== '');
  return parts.length === 1 ? parts[0]! : parts.map(operand).join(' AND ');
}

/** `a OR b OR …`, each part parenthesised when needed; empty parts are dropped. */
export function anyOf(conditions: readonly string[]): string {
  const parts = conditions.filter((condition) => condition.trim() !== '');
  return parts.length === 1 ? parts[0]! : parts.map(operand).join(' OR ');
}

export function tagsCondition(tags: Readonly<Record<string, string | number | boolean>>): string {
  return allOf(Object.entries(tags).map(([name, value]) => `tags.${name}=${literal(value)}`));
}

export function deviceIdsCondition(deviceIds: readonly string[]): string {
  // An OR chain rather than IN, which is unverified for target conditions (reference §10).
  return anyOf(deviceIds.map((id) => `deviceId=${quote(id)}`));
}

/** The ring's own condition, without the app scope. */
export function ringCondition(ring: { target: RingTarget }): string {
  const { target } = ring;
  switch (target.kind) {
    case 'condition':
      return target.condition.trim();
    case 'tags':
      return tagsCondition(target.tags);
    case 'device-ids':
      return deviceIdsCondition(target.deviceIds);
  }
}

/**
 * What the release deployment targets once rings 1..`count` are in: the OR of those rings, ANDed with
 * the app scope. Rings may overlap; a device in several rings is simply reached by the first of them.
 */
export function cumulativeCondition(
  rings: ReadonlyArray<{ target: RingTarget }>,
  count: number,
  appScope?: string,
): string {
  if (!Number.isInteger(count) || count < 1 || count > rings.length) {
    throw new RangeError(`ring count ${count} is outside 1..${rings.length}`);
  }
  const widened = anyOf(rings.slice(0, count).map(ringCondition));
  return appScope?.trim() ? allOf([widened, appScope.trim()]) : widened;
}

/**
 * The target condition of a withdrawn (rolled-back or held) release. It contradicts itself, so no
 * device can ever match it whatever its id, tags or reported properties — unlike a "magic tag" such as
 * `tags.rollout='none'`, which anyone could set. It is an ordinary condition that the hub's
 * `testQueries` accepts, and it avoids relying on how the hub and the SDK treat an empty condition.
 */
export const NEVER_MATCHING_CONDITION =
  "deviceId='ml-to-iot-edge:withdrawn' AND NOT (deviceId='ml-to-iot-edge:withdrawn')";

export function isNeverMatching(condition: string): boolean {
  return condition.trim() === NEVER_MATCHING_CONDITION || condition.trim() === '';
}
