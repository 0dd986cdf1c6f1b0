import type { SortKey } from './ast.js';
import { comparable, compareComparable, type Comparable } from './operands.js';

export type Row = Record<string, unknown>;
export type RowOrder = (a: Row, b: Row) => number;

export const own = (row: Row, name: string): unknown => (Object.hasOwn(row, name) ? row[name] : undefined);

/** The value a row sorts by: arrays by their first element, unsortable values as null. */
export function sortValue(value: unknown): Comparable {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return comparable(first) ?? null;
}

/** Sort keys in order, then the primary key, so equal rows still come out in one deterministic order. */
export function rowOrder(keys: SortKey[], primaryKey: string, valueAt: (row: Row, path: string[]) => unknown): RowOrder {
  return (a, b) => {
    for (const key of keys) {
      const order = compareComparable(sortValue(valueAt(a, key.attribute)), sortValue(valueAt(b, key.attribute)));
      if (order !== 0) return key.descending ? -order : order;
    }
    return compareComparable(sortValue(own(a, primaryKey)), sortValue(own(b, primaryKey)));
  };
}

/** The first `count` rows in order, holding no more than `count` rows at a time. */
export function topK(rows: Iterable<Row>, order: RowOrder, count: number): Row[] {
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

/**
 * Rows that arrive ordered by the first sort key (read in index order): each run of rows with an
 * equal first key is sorted by the whole order, which settles later keys and the primary key.
 */
export function* sortRuns(rows: Iterable<Row>, firstKey: (row: Row) => Comparable, order: RowOrder): Iterable<Row> {
  let run: Row[] = [];
  let current: Comparable | undefined;
  for (const row of rows) {
    const key = firstKey(row);
    if (run.length > 0 && key !== current) {
      yield* run.length === 1 ? run : run.sort(order);
      run = [];
    }
    current = key;
    run.push(row);
  }
  yield* run.length === 1 ? run : run.sort(order);
}
