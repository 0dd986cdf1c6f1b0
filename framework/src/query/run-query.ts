import { LodeError } from '../errors/index.js';
import type { AttributeDef, TableDef } from '../schema/index.js';
import { hasRangeableIndexKeys, type IndexRange, type Key, type RecordEntry, type StoredTable } from '../storage/index.js';
import type { Condition, Expression, ParsedQuery, Select, SelectField, SortKey } from './ast.js';
import { matches } from './match.js';
import { comparable, compareComparable, operandOf, type Comparable } from './operands.js';

type Row = Record<string, unknown>;
type Predicate = (row: Row) => boolean;

/** How a query is answered; `explain()` returns it. */
export interface QueryPlan {
  source:
    | { kind: 'primaryKey'; key: Comparable }
    | { kind: 'index'; attribute: string; value: Comparable }
    | { kind: 'indexRange'; attribute: string; range: IndexRange }
    | { kind: 'scan' };
  filter: boolean;
  /** `top-k` keeps only offset + limit rows while sorting; `memory` sorts every match. */
  sort?: { attributes: string[]; method: 'memory' | 'top-k' };
  offset?: number;
  limit?: number;
}

export type QueryOutcome = { kind: 'rows'; rows: Iterable<unknown>; plan: QueryPlan } | { kind: 'value'; value: unknown };

const own = (row: Row, name: string): unknown => (Object.hasOwn(row, name) ? row[name] : undefined);

function unsupportedPath(path: string[], position?: number): LodeError {
  const where = position === undefined ? '' : ` at position ${position}`;
  return new LodeError('BAD_REQUEST', `Queries through relationships (${path.join('.')}${where}) are not supported yet`, {
    errors: [{ path: `query.${path.join('.')}`, message: 'relationship paths are not supported yet' }],
  });
}

class Planner {
  readonly #def: TableDef;
  readonly #table: StoredTable;

  constructor(table: StoredTable) {
    this.#table = table;
    this.#def = table.def;
  }

  attribute(condition: Condition): AttributeDef | undefined {
    if (condition.attribute.length > 1) throw unsupportedPath(condition.attribute, condition.position);
    return this.#def.attributes.find((attribute) => attribute.name === condition.attribute[0]);
  }

  #usable(condition: Condition): boolean {
    const name = condition.attribute[0]!;
    if (name === this.#def.primaryKey) return true;
    const status = this.#table.indexStatus(name);
    if (status === 'building') {
      throw new LodeError('INDEX_BUILDING', `The index on ${this.#def.name}.${name} is still being built`, { headers: { 'Retry-After': '1' } });
    }
    return status === 'ready';
  }

  /** Harper's rule: a query must be anchored on an index (every OR branch too), or it would scan the table. */
  anchored(expression: Expression): boolean {
    if (expression.kind === 'condition') return this.#usable(expression);
    if (expression.kind === 'and') return expression.children.some((child) => this.anchored(child));
    return expression.children.every((child) => this.anchored(child));
  }

  predicate(expression: Expression): Predicate {
    if (expression.kind === 'condition') {
      const name = expression.attribute[0]!;
      const operand = operandOf(expression, this.attribute(expression));
      return (row) => matches(own(row, name), expression.comparator, operand);
    }
    const children = expression.children.map((child) => this.predicate(child));
    return expression.kind === 'and' ? (row) => children.every((test) => test(row)) : (row) => children.some((test) => test(row));
  }

  #numericIndex(condition: Condition): boolean {
    // The primary key lives in the record DBI, not an index, so it has no index range.
    const indexed = condition.attribute[0] !== this.#def.primaryKey && this.#usable(condition);
    return indexed && hasRangeableIndexKeys(this.attribute(condition)?.type);
  }

  /**
   * The cheapest exact source among the top-level AND conditions: a primary-key equality, an
   * index equality, a range over a numeric or Date index (bounds of one attribute combined);
   * otherwise a scan. Every condition is still applied as a filter, so the source only narrows.
   */
  source(where: Expression | undefined): QueryPlan['source'] {
    const candidates = !where ? [] : where.kind === 'condition' ? [where] : where.kind === 'and' ? where.children : [];
    let indexed: QueryPlan['source'] | undefined;
    const ranges = new Map<string, IndexRange>();
    for (const condition of candidates) {
      if (condition.kind !== 'condition') continue;
      const name = condition.attribute[0]!;
      const value = operandOf(condition, this.attribute(condition));
      if (value === null) continue;
      if (condition.comparator === 'eq') {
        if (name === this.#def.primaryKey) return { kind: 'primaryKey', key: value };
        if (!indexed && this.#usable(condition) && typeof value !== 'bigint') indexed = { kind: 'index', attribute: name, value };
      } else if (typeof value === 'number' && ['lt', 'le', 'gt', 'ge'].includes(condition.comparator) && this.#numericIndex(condition)) {
        ranges.set(name, narrow(ranges.get(name) ?? {}, condition.comparator, value));
      }
    }
    if (indexed) return indexed;
    const [range] = ranges;
    return range ? { kind: 'indexRange', attribute: range[0], range: range[1] } : { kind: 'scan' };
  }

  /** Opens the source now (so an unusable index fails before any response starts), read lazily. */
  rows(source: QueryPlan['source']): Iterable<Row> {
    if (source.kind === 'scan') return mapValues(this.#table.scan());
    if (source.kind === 'primaryKey') {
      const entry = typeof source.key === 'string' || typeof source.key === 'number' ? this.#table.get(source.key) : undefined;
      return entry ? [entry.value] : [];
    }
    const ids = source.kind === 'index' ? this.#table.byIndex(source.attribute, source.value) : this.#table.byIndexRange(source.attribute, source.range);
    // An array attribute lists an id once per matching element.
    const isList = this.#def.attributes.find((attribute) => attribute.name === source.attribute)?.type.kind === 'list';
    return this.#records(ids, isList ? new Set<Key>() : undefined);
  }

  *#records(ids: Iterable<Key>, seen: Set<Key> | undefined): Iterable<Row> {
    for (const id of ids) {
      if (seen) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      const entry: RecordEntry | undefined = this.#table.get(id);
      if (entry) yield entry.value;
    }
  }
}

function* mapValues(entries: Iterable<RecordEntry>): Iterable<Row> {
  for (const entry of entries) yield entry.value;
}

/** Tightens a range with one bound: the larger lower bound and the smaller upper bound win. */
function narrow(range: IndexRange, comparator: string, value: number): IndexRange {
  const next = { ...range };
  if (comparator === 'gt' || comparator === 'ge') {
    const exclusive = comparator === 'gt';
    if (next.lower === undefined || value > next.lower || (value === next.lower && exclusive)) Object.assign(next, { lower: value, exclusiveLower: exclusive });
  } else {
    const inclusive = comparator === 'le';
    if (next.upper === undefined || value < next.upper || (value === next.upper && !inclusive)) Object.assign(next, { upper: value, inclusiveUpper: inclusive });
  }
  return next;
}

function* filtered(rows: Iterable<Row>, predicate: Predicate | undefined): Iterable<Row> {
  for (const row of rows) if (!predicate || predicate(row)) yield row;
}

function* window(rows: Iterable<unknown>, offset: number, limit: number | undefined): Iterable<unknown> {
  if (limit === 0) return;
  let index = 0;
  let taken = 0;
  for (const row of rows) {
    if (index++ < offset) continue;
    yield row;
    if (limit !== undefined && ++taken >= limit) return;
  }
}

function rowOrder(keys: SortKey[], primaryKey: string): (a: Row, b: Row) => number {
  const names = keys.map((key) => {
    if (key.attribute.length > 1) throw unsupportedPath(key.attribute);
    return key.attribute[0]!;
  });
  const sortValue = (row: Row, name: string): Comparable => {
    const value = own(row, name);
    const first = Array.isArray(value) ? value[0] : value;
    return comparable(first) ?? null;
  };
  return (a, b) => {
    for (const [index, name] of names.entries()) {
      const order = compareComparable(sortValue(a, name), sortValue(b, name));
      if (order !== 0) return keys[index]!.descending ? -order : order;
    }
    return compareComparable(sortValue(a, primaryKey), sortValue(b, primaryKey));
  };
}

/** The first `count` rows in order, holding no more than `count` rows at a time. */
function topK(rows: Iterable<Row>, order: (a: Row, b: Row) => number, count: number): Row[] {
  const kept: Row[] = [];
  if (count === 0) return kept;
  for (const row of rows) {
    if (kept.length === count && order(row, kept[count - 1]!) >= 0) continue;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (order(row, kept[middle]!) < 0) high = middle;
      else low = middle + 1;
    }
    kept.splice(low, 0, row);
    if (kept.length > count) kept.pop();
  }
  return kept;
}

function project(select: Select): (row: Row) => unknown {
  const plain = (field: SelectField): string => {
    if (field.children) throw unsupportedPath([field.name]);
    return field.name;
  };
  if (select.kind === 'value') {
    const name = plain(select.field);
    return (row) => own(row, name);
  }
  const names = select.fields.map(plain);
  if (select.kind === 'array') return (row) => names.map((name) => own(row, name));
  return (row) => {
    const picked: Row = {};
    for (const name of names) if (Object.hasOwn(row, name)) Object.defineProperty(picked, name, { value: row[name], enumerable: true, writable: true, configurable: true });
    return picked;
  };
}

/**
 * Runs a parsed query against one table: the cheapest exact source (primary key, index equality,
 * or a scan), every condition as a filter, then sort, window and projection. Results are lazy
 * unless a sort needs them all.
 */
export function runQuery(table: StoredTable, query: ParsedQuery): QueryOutcome {
  const planner = new Planner(table);
  const { where } = query;
  if (where && !planner.anchored(where)) {
    const indexed = table.def.attributes.filter((attribute) => table.indexStatus(attribute.name) === 'ready').map((attribute) => attribute.name);
    throw new LodeError('BAD_REQUEST', `A query on ${table.def.name} needs a condition on an indexed attribute (add @indexed in the schema)${indexed.length ? `; indexed: ${indexed.join(', ')}` : ''}`, {
      errors: [{ path: 'query', message: 'no condition on an @indexed attribute or the primary key' }],
    });
  }
  const predicate = where && planner.predicate(where);
  const source = planner.source(where);
  const plan: QueryPlan = { source, filter: predicate !== undefined };
  if (query.sort) {
    const attributes = query.sort.map((key) => `${key.descending ? '-' : '+'}${key.attribute.join('.')}`);
    plan.sort = { attributes, method: query.limit === undefined ? 'memory' : 'top-k' };
  }
  if (query.offset !== undefined) plan.offset = query.offset;
  if (query.limit !== undefined) plan.limit = query.limit;
  if (query.explain) return { kind: 'value', value: plan };

  const matching = filtered(planner.rows(source), predicate);
  let ordered: Iterable<Row> = matching;
  if (query.sort) {
    const order = rowOrder(query.sort, table.def.primaryKey);
    ordered = query.limit === undefined ? [...matching].sort(order) : topK(matching, order, (query.offset ?? 0) + query.limit);
  }
  const rows = window(ordered, query.offset ?? 0, query.limit);
  if (query.count) {
    let count = 0;
    for (const _row of rows) count++;
    return { kind: 'value', value: { count } };
  }
  if (!query.select) return { kind: 'rows', rows, plan };
  const shape = project(query.select);
  return { kind: 'rows', rows: mapRows(rows, shape), plan };
}

function* mapRows(rows: Iterable<unknown>, shape: (row: Row) => unknown): Iterable<unknown> {
  for (const row of rows) yield shape(row as Row);
}
