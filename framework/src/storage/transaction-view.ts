import { compareKeys } from 'lmdb';
import type { ReadyIndex } from './table-index.js';
import { TableView } from './table-view.js';
import type { IndexRange, Key, ReadableTable, RecordEntry, ScanOptions, TableIndex } from './types.js';
import type { Value } from './write-op.js';

/** A record as a transaction will leave it: its value (undefined once deleted) and whether it is stored now. */
export interface PendingRow {
  id: Key;
  value: Value | undefined;
  stored: RecordEntry | undefined;
}

/** What a view needs of its transaction. */
export interface PendingSource {
  /** The table's records this transaction writes, keyed by `keyId`. */
  pendingRows(table: ReadableTable): ReadonlyMap<string, PendingRow>;
}

/** A map key for a record id: ids are strings or numbers, which must not collide. */
export function keyId(id: Key): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

/** Merges a sorted stream with a sorted array (both in `compare` order) into one. */
function* mergeSorted<T>(stream: Iterable<T>, extra: T[], compare: (a: T, b: T) => number): Iterable<T> {
  let next = 0;
  for (const item of stream) {
    while (next < extra.length && compare(extra[next]!, item) < 0) yield extra[next++]!;
    yield item;
  }
  while (next < extra.length) yield extra[next++]!;
}

function inRange(key: number, range: IndexRange): boolean {
  if (range.lower !== undefined && (range.exclusiveLower ? key <= range.lower : key < range.lower)) return false;
  if (range.upper !== undefined && (range.inclusiveUpper ? key > range.upper : key >= range.upper)) return false;
  return true;
}

/**
 * A table as one transaction sees it: the stored records with the transaction's own pending writes
 * laid over them, so a query inside the transaction reads its writes. Indexes are overlaid the same
 * way (pending records are matched against the lookup, and merged into index order for ranges), so
 * the query planner runs unchanged.
 */
export class TransactionView extends TableView {
  readonly #source: PendingSource;

  constructor(table: ReadableTable, source: PendingSource) {
    super(table);
    this.#source = source;
  }

  get(id: Key): RecordEntry | undefined {
    const row = this.#pending().get(keyId(id));
    if (!row) return this.table.get(id);
    return row.value === undefined ? undefined : { id, value: row.value, version: row.stored?.version ?? 0 };
  }

  scan(options: ScanOptions = {}): Iterable<RecordEntry> {
    const pending = this.#pending();
    const { start, end, limit, reverse } = options;
    const within = (id: Key): boolean => (start === undefined || compareKeys(id, start) >= 0) && (end === undefined || compareKeys(id, end) < 0);
    const extra: RecordEntry[] = [];
    for (const row of pending.values()) {
      if (row.value !== undefined && within(row.id)) extra.push({ id: row.id, value: row.value, version: row.stored?.version ?? 0 });
    }
    const order = (a: RecordEntry, b: RecordEntry): number => (reverse ? -1 : 1) * compareKeys(a.id, b.id);
    extra.sort(order);
    const stored = this.table.scan({ start, end, reverse });
    const merged = mergeSorted(filterOut(stored, pending, (entry) => entry.id), extra, order);
    return limit === undefined ? merged : take(merged, limit);
  }

  index(attribute: string): TableIndex {
    return new OverlayIndex(this.table.index(attribute) as ReadyIndex, this.#pending());
  }

  /** The table it reads already answers with the transaction's view of the related table. */
  relatedTable(name: string): ReadableTable | undefined {
    return this.table.relatedTable(name);
  }

  count(): number {
    let count = this.table.count();
    for (const row of this.#pending().values()) count += Number(row.value !== undefined) - Number(row.stored !== undefined);
    return count;
  }

  #pending(): ReadonlyMap<string, PendingRow> {
    return this.#source.pendingRows(this.table);
  }
}

function* filterOut<T>(items: Iterable<T>, pending: ReadonlyMap<string, PendingRow>, idOf: (item: T) => Key): Iterable<T> {
  for (const item of items) if (!pending.has(keyId(idOf(item)))) yield item;
}

function* take<T>(items: Iterable<T>, limit: number): Iterable<T> {
  if (limit <= 0) return;
  let taken = 0;
  for (const item of items) {
    yield item;
    if (++taken >= limit) return;
  }
}

/** An index with a transaction's pending records laid over it. Counts are exact, by walking the overlay. */
class OverlayIndex implements TableIndex {
  readonly attribute: string;
  readonly rangeable: boolean;
  readonly list: boolean;
  readonly #index: ReadyIndex;
  readonly #pending: ReadonlyMap<string, PendingRow>;

  constructor(index: ReadyIndex, pending: ReadonlyMap<string, PendingRow>) {
    this.#index = index;
    this.#pending = pending;
    this.attribute = index.attribute;
    this.rangeable = index.rangeable;
    this.list = index.list;
  }

  *ids(value: unknown): Iterable<Key> {
    yield* filterOut(this.#index.ids(value), this.#pending, (id) => id);
    for (const row of this.#pending.values()) if (row.value !== undefined && this.#index.matches(row.value, value)) yield row.id;
  }

  exact(value: unknown): boolean {
    return this.#index.exact(value);
  }

  count(value: unknown): number {
    return count(this.ids(value));
  }

  range(range: IndexRange, descending = false): Iterable<Key> {
    const extra: Array<{ key: number; id: Key }> = [];
    for (const row of this.#pending.values()) {
      if (row.value === undefined) continue;
      for (const key of this.#index.keysOf(row.value)) if (typeof key === 'number' && inRange(key, range)) extra.push({ key, id: row.id });
    }
    const order = (a: { key: number; id: Key }, b: { key: number; id: Key }): number => (descending ? -1 : 1) * (a.key - b.key || compareKeys(a.id, b.id));
    extra.sort(order);
    const stored = filterOut(this.#index.rangeEntries(range, descending), this.#pending, (entry) => entry.id);
    return mapIds(mergeSorted(stored, extra, order));
  }

  countRange(range: IndexRange): number {
    return count(this.range(range));
  }

  estimateRange(range: IndexRange): number {
    return this.#index.estimateRange(range);
  }

  entries(): number {
    return this.#index.entries() + this.#pending.size;
  }
}

function* mapIds(entries: Iterable<{ id: Key }>): Iterable<Key> {
  for (const entry of entries) yield entry.id;
}

function count(items: Iterable<unknown>): number {
  let total = 0;
  for (const _ of items) total++;
  return total;
}
