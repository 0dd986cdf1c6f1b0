import { LodeError } from '../errors/index.js';
import type { ReadableTable } from '../storage/index.js';
import type { Expression, ParsedQuery } from './ast.js';
import { countFromIndexes } from './count.js';
import { rowOrder, sortRuns, sortValue, topK, type Row } from './order.js';
import type { QueryPlan, Source } from './plan.js';
import { Planner, type Access, type Predicate } from './planner.js';
import { project } from './project.js';
import { Relations } from './relationships.js';
import { matchingRows } from './sources.js';

export type QueryOutcome = { kind: 'rows'; rows: Iterable<unknown>; plan: QueryPlan } | { kind: 'value'; value: unknown };

function notAnchored(table: ReadableTable): LodeError {
  const indexed = table.def.attributes.filter((attribute) => table.indexStatus(attribute.name) === 'ready').map((attribute) => attribute.name);
  return new LodeError('BAD_REQUEST', `A query on ${table.def.name} needs a condition on an indexed attribute (add @indexed in the schema)${indexed.length ? `; indexed: ${indexed.join(', ')}` : ''}`, {
    errors: [{ path: 'query', message: 'no condition on an @indexed attribute or the primary key' }],
  });
}

function describe(source: Source): string {
  switch (source.kind) {
    case 'index':
    case 'indexRange':
    case 'indexOrder':
      return source.attribute;
    case 'join':
      return source.path;
    default:
      return source.kind;
  }
}

interface Ordering {
  source: Source;
  method: 'index' | 'memory' | 'top-k';
  /** The access the order replaced as the source; it still narrows, as an id set. */
  replaced?: Access;
}

/**
 * Reads in the order of the first sort key when an index has it: a range on that attribute read
 * forwards or backwards, or the whole index when nothing narrows better. With a limit, an ordered
 * read that stops early is preferred when it is expected to touch fewer rows than the driver.
 */
function ordering(planner: Planner, query: ParsedQuery, driver: Access | undefined, accesses: Access[]): Ordering | undefined {
  const keys = query.sort;
  if (!keys) return undefined;
  const source: Source = driver?.source ?? { kind: 'scan' };
  const unordered: Ordering = { source, method: query.limit === undefined ? 'memory' : 'top-k' };
  const [first] = keys;
  if (!first || first.attribute.length > 1) return unordered;
  const name = first.attribute[0]!;
  const descending = first.descending;
  const table = planner.table;
  if (name === table.def.primaryKey) return source.kind === 'scan' ? { source: { kind: 'scan', descending }, method: 'index' } : unordered;
  if (!planner.usable(name) || !table.index(name).rangeable || table.index(name).list) return unordered;
  if (source.kind === 'indexRange' && source.attribute === name) return { source: { ...source, descending }, method: 'index' };
  if (source.kind === 'scan') return { source: { kind: 'indexOrder', attribute: name, descending }, method: 'index' };
  if (query.limit === undefined || !driver) return unordered;
  const range = accesses.find((access) => access.source.kind === 'indexRange' && access.source.attribute === name);
  const candidates = Math.max(planner.estimate(source), 1);
  const spanned = range ? planner.estimate(range.source) : table.count();
  if ((((query.offset ?? 0) + query.limit) * spanned) / candidates >= candidates) return unordered;
  const ordered: Source = range && range.source.kind === 'indexRange' ? { ...range.source, descending } : { kind: 'indexOrder', attribute: name, descending };
  return { source: ordered, method: 'index', replaced: driver };
}

function* emit(rows: Iterable<Row>, offset: number, limit: number | undefined, shape: ((row: Row) => unknown) | undefined): Iterable<unknown> {
  if (limit === 0) return;
  let skipped = 0;
  let taken = 0;
  for (const row of rows) {
    if (skipped < offset) {
      skipped++;
      continue;
    }
    yield shape ? shape(row) : row;
    if (limit !== undefined && ++taken >= limit) return;
  }
}

function countWindow(total: number, query: ParsedQuery): number {
  const afterOffset = Math.max(0, total - (query.offset ?? 0));
  return query.limit === undefined ? afterOffset : Math.min(afterOffset, query.limit);
}

function topLevel(where: Expression): Expression[] {
  return where.kind === 'and' ? where.children : [where];
}

/**
 * Runs a parsed query against one table: the index access with the fewest estimated candidates
 * as the source (or index order when a sort and limit make that cheaper), every condition as a
 * filter, then sort, window and projection. Results are lazy unless a sort needs them all.
 */
export function runQuery(table: ReadableTable, query: ParsedQuery, relations: Relations = new Relations(table)): QueryOutcome {
  const planner = new Planner(table, relations, (target, where) => matchingRowsOf(target, where, relations.of(target)));
  const { where } = query;
  if (where) planner.groupJoins(where);
  if (where && !planner.anchored(where)) throw notAnchored(table);
  planner.checkSortable(query);
  const accesses = where ? (where.kind === 'and' ? planner.accesses(where.children) : [planner.access(where)].filter((access) => access !== undefined)) : [];
  const driver = planner.best(accesses);
  const order = ordering(planner, query, driver, accesses);
  const source = order?.source ?? driver?.source ?? { kind: 'scan' };
  const narrowing = accesses.filter((access) => access !== driver || order?.replaced === access).map((access) => access.source);
  const predicate: Predicate | undefined = where && planner.predicate(where);

  const plan: QueryPlan = { source, filter: predicate !== undefined };
  if (accesses.length > 1 || order?.replaced) plan.estimate = planner.estimate(driver!.source);
  if (narrowing.length > 0) plan.intersect = narrowing.map(describe);
  if (query.sort && order) plan.sort = { attributes: query.sort.map((key) => `${key.descending ? '-' : '+'}${key.attribute.join('.')}`), method: order.method };
  const indexCountable = query.count && (!where || topLevel(where).every((part) => planner.access(part)?.exact === true));
  if (query.count) plan.count = indexCountable ? 'index' : 'rows';
  if (query.offset !== undefined) plan.offset = query.offset;
  if (query.limit !== undefined) plan.limit = query.limit;
  if (query.explain) return { kind: 'value', value: plan };

  if (indexCountable) {
    const total = countFromIndexes(table, source, narrowing, planner.joins);
    if (total !== undefined) return { kind: 'value', value: { count: countWindow(total, query) } };
  }
  let rows = matchingRows(table, source, predicate, narrowing, planner.joins);
  if (query.sort && order) {
    const sorted = rowOrder(query.sort, table.def.primaryKey, (row, path) => relations.valueAt(row, path));
    if (order.method === 'index') {
      const first = query.sort[0]!.attribute;
      rows = sortRuns(rows, (row) => sortValue(relations.valueAt(row, first)), sorted);
    } else {
      rows = order.method === 'top-k' ? topK(rows, sorted, (query.offset ?? 0) + query.limit!) : [...rows].sort(sorted);
    }
  }
  if (query.count) {
    let count = 0;
    for (const _row of emit(rows, query.offset ?? 0, query.limit, undefined)) count++;
    return { kind: 'value', value: { count } };
  }
  const shape = query.select && project(query.select, relations);
  return { kind: 'rows', rows: emit(rows, query.offset ?? 0, query.limit, shape), plan };
}

/** The rows of another table matching a condition: the inner side of a relationship join. */
function matchingRowsOf(table: ReadableTable, where: Expression, relations: Relations): Iterable<Row> {
  const outcome = runQuery(table, { where, count: false, explain: false }, relations);
  return outcome.kind === 'rows' ? (outcome.rows as Iterable<Row>) : [];
}
