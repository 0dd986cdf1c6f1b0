import type { RangeIterable, Transaction as LmdbTransaction } from 'lmdb';
import type { AttributeDef } from '../schema/index.js';
import type { IndexHandle } from './index-handle.js';
import { indexKeys, isAmbiguousKey, lookupKey, type IndexKey } from './index-keys.js';
import { hasRangeableIndexKeys, lookupValue, ownValue } from './keys.js';
import { valueOf, type RecordsDb } from './stored-record.js';
import type { IndexRange, Key, TableIndex } from './types.js';

/** Read access to one ready secondary index, with the counts a query planner estimates from. */
export class ReadyIndex implements TableIndex {
  readonly attribute: string;
  readonly rangeable: boolean;
  readonly list: boolean;
  readonly #handle: IndexHandle;
  readonly #def: AttributeDef | undefined;
  readonly #records: RecordsDb;
  readonly #snapshot: (() => LmdbTransaction | undefined) | undefined;

  constructor(handle: IndexHandle, def: AttributeDef | undefined, records: RecordsDb, snapshot?: () => LmdbTransaction | undefined) {
    this.#snapshot = snapshot;
    this.attribute = handle.attribute;
    this.#handle = handle;
    this.#def = def;
    this.#records = records;
    this.rangeable = hasRangeableIndexKeys(def?.type);
    this.list = def?.type.kind === 'list';
  }

  /** Read options that pin reads to the snapshot, when there is one. */
  #at<T extends object>(options: T): T & { transaction?: LmdbTransaction } {
    const transaction = this.#snapshot?.();
    return transaction ? { ...options, transaction } : options;
  }

  #key(value: unknown): { key: IndexKey; wanted: unknown } | undefined {
    const wanted = lookupValue(this.#def?.type, value);
    const key = wanted === undefined ? undefined : lookupKey(wanted);
    return key === undefined ? undefined : { key, wanted };
  }

  ids(value: unknown): Iterable<Key> {
    const lookup = this.#key(value);
    if (!lookup) return [];
    const ids = this.#handle.db.getValues(lookup.key, this.#at({}));
    return isAmbiguousKey(lookup.key) ? this.#recheck(ids, lookup.wanted) : ids;
  }

  /** False for strings long enough to be truncated in the index: their entries are only candidates. */
  exact(value: unknown): boolean {
    const lookup = this.#key(value);
    return lookup === undefined || !isAmbiguousKey(lookup.key);
  }

  /** Exact, except for strings long enough to be truncated in the index, where it is an upper bound. */
  count(value: unknown): number {
    const lookup = this.#key(value);
    return lookup ? this.#handle.db.getValuesCount(lookup.key, this.#at({})) : 0;
  }

  range(range: IndexRange, descending = false): Iterable<Key> {
    return this.rangeEntries(range, descending).map(({ id }) => id);
  }

  /** `range` with each id's index key, for merging other entries into index order. */
  rangeEntries(range: IndexRange, descending = false): RangeIterable<{ key: number; id: Key }> {
    const lower = range.lower ?? -Infinity;
    const upper = range.upper ?? Infinity;
    const options = descending
      ? { start: upper, end: lower, reverse: true, exclusiveStart: range.upper !== undefined && range.inclusiveUpper !== true, inclusiveEnd: range.exclusiveLower !== true }
      : { start: lower, end: upper, exclusiveStart: range.exclusiveLower === true, inclusiveEnd: range.upper === undefined || range.inclusiveUpper === true };
    return this.#handle.db.getRange(this.#at(options)).map(({ key, value }) => ({ key: key as number, id: value }));
  }

  /** The index keys a record is listed under. */
  keysOf(record: Record<string, unknown>): IndexKey[] {
    return indexKeys(ownValue(record, this.attribute));
  }

  /** Whether `ids(value)` lists a record with these values (for records not yet in the index). */
  matches(record: Record<string, unknown>, value: unknown): boolean {
    const lookup = this.#key(value);
    if (!lookup || !this.keysOf(record).includes(lookup.key)) return false;
    if (!isAmbiguousKey(lookup.key)) return true;
    const actual = ownValue(record, this.attribute);
    return actual === lookup.wanted || (Array.isArray(actual) && actual.includes(lookup.wanted));
  }

  countRange(range: IndexRange): number {
    return this.#handle.db.getCount(
      this.#at({
        start: range.lower ?? -Infinity,
        end: range.upper ?? Infinity,
        exclusiveStart: range.exclusiveLower === true,
        inclusiveEnd: range.upper === undefined || range.inclusiveUpper === true,
      }),
    );
  }

  /**
   * Interpolates between the lowest and highest numeric keys, assuming values spread evenly: two
   * cursor reads instead of a count that walks every entry in the range.
   */
  estimateRange(range: IndexRange): number {
    const db = this.#handle.db;
    const entries = this.entries();
    let lowest: number | undefined;
    let highest: number | undefined;
    for (const key of db.getKeys({ start: -Infinity, end: Infinity, limit: 1 })) lowest = key as number;
    for (const key of db.getKeys({ start: Infinity, end: -Infinity, reverse: true, limit: 1 })) highest = key as number;
    if (lowest === undefined || highest === undefined) return 0;
    const lower = Math.max(range.lower ?? lowest, lowest);
    const upper = Math.min(range.upper ?? highest, highest);
    if (upper < lower) return 0;
    if (highest === lowest) return entries;
    return Math.max(1, Math.ceil((entries * (upper - lower)) / (highest - lowest)));
  }

  entries(): number {
    return this.#handle.db.getStats().entryCount;
  }

  *#recheck(ids: Iterable<Key>, wanted: unknown): Iterable<Key> {
    for (const id of ids) {
      const record = this.#records.get(id, this.#at({}));
      if (record === undefined) continue;
      const actual = ownValue(valueOf(record), this.attribute);
      if (actual === wanted || (Array.isArray(actual) && actual.includes(wanted))) yield id;
    }
  }
}
