// The hub's use of the query engine: compiled queries and conditions cached per distinct text, query
// errors turned into the service's 400s, and paging with opaque continuation tokens. Queries always
// run over the live twins; only the compiled form is cached.
import { createHash } from 'node:crypto';
import { HubError, type JsonObject, type QueryPage } from './hub-types.js';
import { cloneJson } from './json-values.js';
import {
  QueryError,
  checkTargetCondition,
  compileCondition,
  compileQuery,
  type CompiledQuery,
} from './query/index.js';

export type QuerySource = CompiledQuery['source'];
export type Condition = (doc: JsonObject) => boolean;
/** Yields the live documents of a query source (device twins or module twins). */
export type DocumentSource = (source: QuerySource) => Iterable<JsonObject>;

export const DEFAULT_PAGE_SIZE = 100;
/** The SDK documents 10000 as the largest page (`createQuery(sql, pageSize ≤ 10000)`). */
export const MAX_PAGE_SIZE = 10_000;
/** Caches are bounded so a client sending ever-new query texts cannot grow the hub without limit. */
const MAX_CACHED = 1000;
const MAX_OPEN_CURSORS = 64;

interface ContinuationToken {
  cursor: number;
  offset: number;
  sqlHash: string;
}

function boundedSet<K, V>(cache: Map<K, V>, key: K, value: V, limit: number): V {
  if (cache.size >= limit) cache.delete(cache.keys().next().value as K);
  cache.set(key, value);
  return value;
}

function queryFailed(error: unknown, code: string, prefix: string): never {
  if (error instanceof QueryError) throw new HubError(400, code, `${prefix}${error.message}`);
  throw error;
}

export class HubQueries {
  private readonly queries = new Map<string, CompiledQuery>();
  private readonly conditions = new Map<string, Condition>();
  private readonly cursors = new Map<number, JsonObject[]>();
  private nextCursor = 1;

  /** Compiles (once) a full query; a bad query is a 400 BadRequest naming the problem. */
  compile(sql: string): CompiledQuery {
    const cached = this.queries.get(sql);
    if (cached) return cached;
    try {
      return boundedSet(this.queries, sql, compileQuery(sql), MAX_CACHED);
    } catch (error) {
      return queryFailed(error, 'BadRequest', `Invalid query '${sql}': `);
    }
  }

  /** Compiles (once) a condition; configurations store only conditions that passed `targetConditionError`. */
  condition(expression: string): Condition {
    const cached = this.conditions.get(expression);
    if (cached) return cached;
    try {
      return boundedSet(this.conditions, expression, compileCondition(expression), MAX_CACHED);
    } catch (error) {
      return queryFailed(
        error,
        'InvalidConfigurationTargetCondition',
        `Invalid target condition '${expression}': `,
      );
    }
  }

  /** The reason a target condition is refused, or '' when it is fine. An empty condition is allowed. */
  targetConditionError(expression: string): string {
    if (expression.trim() === '') return '';
    try {
      checkTargetCondition(expression);
      this.condition(expression);
      return '';
    } catch (error) {
      if (error instanceof QueryError || error instanceof HubError) return error.message;
      throw error;
    }
  }

  /** The reason a WHERE expression does not compile, or ''; no deployment rules (module configurations). */
  conditionError(expression: string): string {
    try {
      this.condition(expression);
      return '';
    } catch (error) {
      if (error instanceof HubError) return error.message;
      throw error;
    }
  }

  /** Number of rows a query returns now: what a configuration metric reports. */
  count(sql: string, documents: DocumentSource): number {
    return this.run(sql, documents).length;
  }

  /**
   * One page of a query's answer. The first page runs the query over the live twins; when more rows
   * follow, they wait in a cursor that the continuation token names, so the pages of one query are
   * consistent. A token whose cursor has gone (evicted) re-runs the query and resumes at its offset.
   */
  page(
    sql: string,
    pageSize: number,
    continuation: string | undefined,
    documents: DocumentSource,
  ): QueryPage {
    const size =
      Number.isInteger(pageSize) && pageSize > 0 ? Math.min(pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
    const sqlHash = createHash('sha256').update(sql).digest('base64url').slice(0, 16);
    const token = continuation === undefined ? undefined : this.parseToken(continuation, sqlHash);
    const cursorRows = token && this.cursors.get(token.cursor);
    const rows = cursorRows ?? this.run(sql, documents);
    const offset = token?.offset ?? 0;
    const items = rows.slice(offset, offset + size).map((row) => cloneJson(row));
    const next = offset + size;
    if (next >= rows.length) {
      if (token) this.cursors.delete(token.cursor);
      return { items };
    }
    const cursorId = token && cursorRows ? token.cursor : this.openCursor(rows);
    return { items, continuation: this.formatToken({ cursor: cursorId, offset: next, sqlHash }) };
  }

  private run(sql: string, documents: DocumentSource): JsonObject[] {
    const query = this.compile(sql);
    return query.run(documents(query.source));
  }

  private openCursor(rows: JsonObject[]): number {
    const id = this.nextCursor++;
    boundedSet(this.cursors, id, rows, MAX_OPEN_CURSORS);
    return id;
  }

  private formatToken(token: ContinuationToken): string {
    return Buffer.from(JSON.stringify(token)).toString('base64');
  }

  private parseToken(continuation: string, sqlHash: string): ContinuationToken {
    let token: Partial<ContinuationToken> | undefined;
    try {
      token = JSON.parse(Buffer.from(continuation, 'base64').toString('utf8')) as Partial<ContinuationToken>;
    } catch {
      token = undefined;
    }
    if (
      !token ||
      !Number.isInteger(token.cursor) ||
      !Number.isInteger(token.offset) ||
      (token.offset ?? -1) < 0
    ) {
      throw new HubError(400, 'BadRequest', 'The continuation token is not valid');
    }
    if (token.sqlHash !== sqlHash) {
      throw new HubError(400, 'BadRequest', 'The continuation token belongs to a different query');
    }
    return token as ContinuationToken;
  }
}
