import type { Key, ReadableTable } from '../storage/index.js';
import type { Source } from './plan.js';
import type { Row } from './order.js';

/** Keys a join source reads, kept beside the plan so `explain()` shows a count rather than every key. */
export type JoinKeys = WeakMap<Source, Set<Key>>;

/** A set of ids is built from an index only up to this size; past it, rows are filtered instead. */
const MAX_ID_SET = 200_000;
/** Rows read before the filter's hit rate decides whether id sets are worth building. */
const SAMPLE_ROWS = 64;

/** A value that can be a primary key (a foreign key, or a key given in a condition). */
export const isKey = (value: unknown): value is Key => typeof value === 'string' || typeof value === 'number';

function* unique(ids: Iterable<Key>): Iterable<Key> {
  const seen = new Set<Key>();
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    yield id;
  }
}

function* concat(parts: Iterable<Key>[]): Iterable<Key> {
  for (const part of parts) yield* part;
}

/** Whether a source can list an id more than once (array attributes, OR branches, joins). */
function repeats(table: ReadableTable, source: Source): boolean {
  switch (source.kind) {
    case 'index':
    case 'indexRange':
      return table.index(source.attribute).list;
    case 'union':
    case 'join':
      return true;
    default:
      return false;
  }
}

function rawIds(table: ReadableTable, source: Source, joins: JoinKeys): Iterable<Key> | undefined {
  switch (source.kind) {
    case 'primaryKey':
      return isKey(source.key) ? [source.key] : [];
    case 'index':
      return table.index(source.attribute).ids(source.value);
    case 'indexRange':
      return table.index(source.attribute).range(source.range, source.descending);
    case 'indexOrder': {
      const index = table.index(source.attribute);
      const nulls = index.ids(null);
      const numbers = index.range({}, source.descending);
      return source.descending ? concat([numbers, nulls]) : concat([nulls, numbers]);
    }
    case 'union':
      return concat(source.branches.map((branch) => rawIds(table, branch, joins) ?? scannedIds(table)));
    case 'join': {
      const keys = joins.get(source) ?? new Set<Key>();
      if (source.through === 'primaryKey') return keys;
      const index = table.index(source.attribute);
      return concat([...keys].map((key) => index.ids(key)));
    }
    case 'scan':
      return undefined;
  }
}

/** The candidate ids of a source, each once; undefined for a scan, which reads records directly. */
export function ids(table: ReadableTable, source: Source, joins: JoinKeys): Iterable<Key> | undefined {
  const found = rawIds(table, source, joins);
  return found && repeats(table, source) ? unique(found) : found;
}

function* scannedIds(table: ReadableTable): Iterable<Key> {
  for (const entry of table.scan()) yield entry.id;
}

function* scanned(table: ReadableTable, descending: boolean, predicate: ((row: Row) => boolean) | undefined): Iterable<Row> {
  for (const entry of table.scan({ reverse: descending })) if (!predicate || predicate(entry.value)) yield entry.value;
}

/** An id set, or undefined when the source holds more ids than is worth keeping in memory. */
export function idSet(table: ReadableTable, source: Source, joins: JoinKeys): Set<Key> | undefined {
  const found = rawIds(table, source, joins);
  if (!found) return undefined;
  const set = new Set<Key>();
  for (const id of found) {
    set.add(id);
    if (set.size > MAX_ID_SET) return undefined;
  }
  return set;
}

/**
 * The rows of a source that pass the filter. While reading by id, once more than half of the first
 * rows fail the filter, the other indexed conditions' id sets are built and ids outside them are
 * skipped before their records are read and decoded.
 */
export function* matchingRows(
  table: ReadableTable,
  source: Source,
  predicate: ((row: Row) => boolean) | undefined,
  intersect: Source[],
  joins: JoinKeys,
): Iterable<Row> {
  const candidates = ids(table, source, joins);
  if (!candidates) {
    yield* scanned(table, source.kind === 'scan' && source.descending === true, predicate);
    return;
  }
  let sets: Set<Key>[] | undefined;
  let read = 0;
  let missed = 0;
  for (const id of candidates) {
    if (sets && !sets.every((set) => set.has(id))) continue;
    const row = table.get(id)?.value;
    if (!row) continue;
    if (!predicate || predicate(row)) {
      yield row;
      read++;
      continue;
    }
    missed++;
    if (!sets && ++read >= SAMPLE_ROWS && missed * 2 > read && intersect.length > 0) {
      sets = intersect.map((other) => idSet(table, other, joins)).filter((set) => set !== undefined);
    }
  }
}
