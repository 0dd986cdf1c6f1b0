import { LodeError } from '../errors/index.js';
import type { AttributeDef, TableDef } from '../schema/index.js';
import type { Key, RecordEntry, StoredTable } from '../storage/index.js';
import type { Condition, Expression, ParsedQuery, Select, SelectField, SortKey } from './ast.js';
import { matches } from './match.js';
import { comparable, compareComparable, operandOf, type Comparable } from './operands.js';

type Row = Record<string, unknown>;
type Predicate = (row: Row) => boolean;

/** How a query is answered; `explain()` returns it. */
export interface QueryPlan {
  source: { kind: 'primaryKey'; key: Comparable } | { kind: 'index'; attribute: string; value: Comparable } | { kind: 'scan' };
  filter: boolean;
  sort?: { attributes: string[]; method: 'memory' };
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

  /** The cheapest exact source: a primary-key equality, then an index equality; otherwise a scan. */
  source(where: Expression | undefined): QueryPlan['source'] {
    const candidates = !where ? [] : where.kind === 'condition' ? [where] : where.kind === 'and' ? where.children : [];
    let indexed: QueryPlan['source'] | undefined;
    for (const condition of candidates) {
      if (condition.kind !== 'condition' || condition.comparator !== 'eq') continue;
      const name = condition.attribute[0]!;
      const value = operandOf(condition, this.attribute(condition));
      if (value === null) continue;
      if (name === this.#def.primaryKey) return { kind: 'primaryKey', key: value };
      if (!indexed && this.#usable(condition) && typeof value !== 'bigint') indexed = { kind: 'index', attribute: name, value };
    }
    return indexed ?? { kind: 'scan' };
  }

  *rows(source: QueryPlan['source']): Iterable<Row> {
    if (source.kind === 'scan') {
      for (const entry of this.#table.scan()) yield entry.value;
    } else if (source.kind === 'primaryKey') {
      const entry = typeof source.key === 'string' || typeof source.key === 'number' ? this.#table.get(source.key) : undefined;
      if (entry) yield entry.value;
    } else {
      for (const id of this.#table.byIndex(source.attribute, source.value)) {
        const entry: RecordEntry | undefined = this.#table.get(id as Key);
        if (entry) yield entry.value;
      }
    }
  }
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

function sorted(rows: Iterable<Row>, keys: SortKey[], primaryKey: string): Row[] {
  const names = keys.map((key) => {
    if (key.attribute.length > 1) throw unsupportedPath(key.attribute);
    return key.attribute[0]!;
  });
  const sortValue = (row: Row, name: string): Comparable => {
    const value = own(row, name);
    const first = Array.isArray(value) ? value[0] : value;
    return comparable(first) ?? null;
  };
  return [...rows].sort((a, b) => {
    for (const [index, name] of names.entries()) {
      const order = compareComparable(sortValue(a, name), sortValue(b, name));
      if (order !== 0) return keys[index]!.descending ? -order : order;
    }
    return compareComparable(sortValue(a, primaryKey), sortValue(b, primaryKey));
  });
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
  if (query.sort) plan.sort = { attributes: query.sort.map((key) => `${key.descending ? '-' : '+'}${key.attribute.join('.')}`), method: 'memory' };
  if (query.offset !== undefined) plan.offset = query.offset;
  if (query.limit !== undefined) plan.limit = query.limit;
  if (query.explain) return { kind: 'value', value: plan };

  const matching = filtered(planner.rows(source), predicate);
  const ordered = query.sort ? sorted(matching, query.sort, table.def.primaryKey) : matching;
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
