// Splits IoT Hub query text into tokens. Positions are 1-based so error messages match what a
// person counts in the query text.
import { QueryError } from './errors.js';

export type Token =
  /** An identifier or a keyword; `upper` is for case-insensitive keyword matching. */
  | { kind: 'word'; text: string; upper: string; pos: number }
  /** A `[[...]]` property name, which may hold characters an identifier cannot (deployment ids). */
  | { kind: 'name'; text: string; pos: number }
  | { kind: 'string'; text: string; value: string; pos: number }
  | { kind: 'number'; text: string; value: number; pos: number }
  | { kind: 'symbol'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

const WORD = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const NUMBER = /0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD_START = /[A-Za-z_$]/;
const WORD_CHAR = /[A-Za-z0-9_$.]/;
const TWO_CHAR_SYMBOLS = new Set(['<=', '>=', '<>', '!=']);
const ONE_CHAR_SYMBOLS = new Set(['=', '<', '>', '(', ')', ',', '.', '[', ']', '*', '+', '-', '/', '%']);
const SIMPLE_ESCAPES: Record<string, string> = { "'": "'", '"': '"', '\\': '\\', '/': '/' };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const pos = i + 1;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === "'") {
      const { value, end } = readString(source, i);
      tokens.push({ kind: 'string', text: source.slice(i, end), value, pos });
      i = end;
    } else if (ch === '"') {
      throw new QueryError('Double quote', pos, "IoT Hub strings take single quotes, e.g. 'canary'");
    } else if (source.startsWith('[[', i)) {
      const close = source.indexOf(']]', i + 2);
      if (close < 0) throw new QueryError("Unterminated '[[' property name", pos, "close it with ']]'");
      const text = source.slice(i + 2, close);
      if (text === '') throw new QueryError("Empty '[[]]' property name", pos);
      tokens.push({ kind: 'name', text, pos });
      i = close + 2;
    } else if (ch >= '0' && ch <= '9') {
      const text = match(NUMBER, source, i)!;
      const after = source[i + text.length];
      if (after !== undefined && WORD_CHAR.test(after)) {
        throw new QueryError(`Invalid number '${text}${after}'`, pos);
      }
      tokens.push({ kind: 'number', text, value: Number(text), pos });
      i += text.length;
    } else if (WORD_START.test(ch)) {
      const text = match(WORD, source, i)!;
      tokens.push({ kind: 'word', text, upper: text.toUpperCase(), pos });
      i += text.length;
    } else {
      const two = source.slice(i, i + 2);
      const text = TWO_CHAR_SYMBOLS.has(two) ? two : ONE_CHAR_SYMBOLS.has(ch) ? ch : undefined;
      if (text === undefined) throw new QueryError(`Unexpected character '${ch}'`, pos);
      tokens.push({ kind: 'symbol', text, pos });
      i += text.length;
    }
  }
  tokens.push({ kind: 'end', text: '', pos: source.length + 1 });
  return tokens;
}

function match(pattern: RegExp, source: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0];
}

/** Reads a single-quoted string starting at `start`: `''` is a quote, and so are the documented `\` escapes. */
function readString(source: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "'") {
      if (source[i + 1] !== "'") return { value, end: i + 1 };
      value += "'";
      i += 2;
    } else if (ch === '\\') {
      const { text, length } = readEscape(source, i);
      value += text;
      i += length;
    } else {
      value += ch;
      i++;
    }
  }
  throw new QueryError('Unterminated string', start + 1, "close it with '");
}

function readEscape(source: string, at: number): { text: string; length: number } {
  const code = source[at + 1];
  const simple = code === undefined ? undefined : SIMPLE_ESCAPES[code];
  if (simple !== undefined) return { text: simple, length: 2 };
  const hex = source.slice(at + 2, at + 6);
  if (code === 'u' && /^[0-9a-fA-F]{4}$/.test(hex)) {
    return { text: String.fromCharCode(parseInt(hex, 16)), length: 6 };
  }
  throw new QueryError(
    `Invalid escape sequence '\\${code ?? ''}'`,
    at + 1,
    "write a quote inside a string as ''",
  );
}
