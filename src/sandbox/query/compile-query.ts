// Compiles a whole query: WHERE filter, then either a per-document projection or COUNT()
// aggregation (optionally GROUP BY one property), then TOP.
import type { JsonObject } from '../hub-types.js';
import type { PathExpr, QueryAst, QuerySource, SelectItem } from './ast.js';
import { compilePredicate, type Predicate } from './compile-expression.js';
import { QueryError } from './errors.js';
import { pathGetter, propertyKey, resolveKey } from './paths.js';

export interface CompiledQuery {
  readonly source: QuerySource;
  /** Runs over the documents of the source collection (device twins or module twins), returns the result rows. */
  run(docs: Iterable<JsonObject>): JsonObject[];
}

/** Writes one result column of a row; an undefined value leaves the column out, as the service does. */
type Column = (row: JsonObject, doc: JsonObject) => void;

export function compileAst(ast: QueryAst): CompiledQuery {
  const filter = ast.where === undefined ? () => true : compilePredicate(ast.where);
  const properties = ast.select === '*' ? [] : ast.select.filter(isPropertyItem);
  const produce =
    ast.select === '*'
      ? selectAll(ast, filter)
      : ast.groupBy === undefined && properties.length === ast.select.length
        ? project(properties, filter)
        : aggregate(ast.select, ast.groupBy, filter);
  const top = ast.top;
  return {
    source: ast.source,
    run: (docs) => {
      const rows = produce(docs);
      return top === undefined ? rows : rows.slice(0, top);
    },
  };
}

type Producer = (docs: Iterable<JsonObject>) => JsonObject[];

/** `SELECT *` answers the documents themselves (not copies). */
function selectAll(ast: QueryAst, filter: Predicate): Producer {
  if (ast.groupBy !== undefined) throw new QueryError('SELECT * cannot be grouped', ast.groupBy.pos);
  return (docs) => {
    const rows: JsonObject[] = [];
    for (const doc of docs) if (filter(doc)) rows.push(doc);
    return rows;
  };
}

type PropertyItem = Extract<SelectItem, { kind: 'path' }>;

function isPropertyItem(item: SelectItem): item is PropertyItem {
  return item.kind === 'path';
}

function project(items: PropertyItem[], filter: Predicate): Producer {
  const names = new ColumnNames();
  const columns = items.map((item) => pathColumn(item.path, names.claim(item)));
  return (docs) => {
    const rows: JsonObject[] = [];
    for (const doc of docs) {
      if (!filter(doc)) continue;
      const row: JsonObject = {};
      for (const column of columns) column(row, doc);
      rows.push(row);
    }
    return rows;
  };
}

/**
 * A projected property. Without an alias the column is named after the property as the document
 * spells it (`SELECT DeviceId` gives `deviceId`), like the service.
 */
function pathColumn(path: PathExpr, alias: string | undefined): Column {
  if (alias !== undefined) {
    const get = pathGetter(path.segments);
    return (row, doc) => {
      const value = get(doc);
      if (value !== undefined) row[alias] = value;
    };
  }
  const parent = pathGetter(path.segments.slice(0, -1));
  const last = propertyKey(path.segments.at(-1)!);
  return (row, doc) => {
    const owner = parent(doc);
    const key = resolveKey(owner, last);
    if (key === undefined) return;
    const value = (owner as JsonObject)[key];
    if (value !== undefined) row[key] = value;
  };
}

interface Group {
  sample: JsonObject;
  count: number;
}

function aggregate(items: SelectItem[], groupBy: PathExpr | undefined, filter: Predicate): Producer {
  const names = new ColumnNames();
  const groupKey = groupBy === undefined ? () => undefined : pathGetter(groupBy.segments);
  // Group rows take grouped properties from the group's first document and counts from the group.
  const columns = items.map((item): ((row: JsonObject, group: Group) => void) => {
    const name = names.claim(item);
    if (item.kind === 'count') {
      const key = name ?? names.positional();
      return (row, group) => {
        row[key] = group.count;
      };
    }
    if (groupBy === undefined || !samePath(item.path, groupBy)) {
      throw new QueryError(
        `'${item.path.text}' must be the GROUP BY property or an aggregate such as COUNT()`,
        item.pos,
      );
    }
    const column = pathColumn(item.path, name);
    return (row, group) => column(row, group.sample);
  });
  return (docs) => {
    const groups = new GroupMap();
    for (const doc of docs) if (filter(doc)) groups.add(groupKey(doc), doc);
    // Without GROUP BY there is exactly one row, even over no documents: COUNT() is then 0.
    const all = groupBy === undefined && groups.size === 0 ? [{ sample: {}, count: 0 }] : groups.values();
    return all.map((group) => {
      const row: JsonObject = {};
      for (const column of columns) column(row, group);
      return row;
    });
  };
}

/** Groups by value; objects (rare as group keys) by their JSON text. */
class GroupMap {
  private readonly byValue = new Map<unknown, Group>();
  private readonly order: Group[] = [];

  get size(): number {
    return this.order.length;
  }

  add(value: unknown, doc: JsonObject): void {
    const key = typeof value === 'object' && value !== null ? `\u0000${JSON.stringify(value)}` : value;
    const group = this.byValue.get(key);
    if (group !== undefined) {
      group.count++;
    } else {
      const created = { sample: doc, count: 1 };
      this.byValue.set(key, created);
      this.order.push(created);
    }
  }

  values(): Group[] {
    return this.order;
  }
}

/** Hands out result column names: aliases and property names must be unique; unnamed aggregates are $1, $2… */
class ColumnNames {
  private readonly taken = new Set<string>();
  private unnamed = 0;

  /** The alias (or, for a property, undefined: named per document), after checking for clashes. */
  claim(item: SelectItem): string | undefined {
    const name = item.alias ?? (item.kind === 'path' ? item.path.segments.at(-1) : undefined);
    if (name === undefined) return undefined;
    const lower = name.toLowerCase();
    if (this.taken.has(lower))
      throw new QueryError(`Duplicate result name '${name}'`, item.pos, 'use AS to rename');
    this.taken.add(lower);
    return item.alias;
  }

  positional(): string {
    return `$${++this.unnamed}`;
  }
}

function samePath(a: PathExpr, b: PathExpr): boolean {
  return (
    a.segments.length === b.segments.length &&
    a.segments.every((segment, i) => segment.toLowerCase() === b.segments[i]!.toLowerCase())
  );
}
