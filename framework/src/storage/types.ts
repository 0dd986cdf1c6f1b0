import type { TableDef } from '../schema/index.js';
import type { Logger } from '../util/index.js';

export type Key = string | number;

export interface IndexRange {
  /** Lower bound (inclusive unless `exclusiveLower`). */
  lower?: number;
  exclusiveLower?: boolean;
  /** Upper bound (exclusive unless `inclusiveUpper`). */
  upper?: number;
  inclusiveUpper?: boolean;
}

export interface RecordEntry {
  id: Key;
  value: Record<string, unknown>;
  version: number;
}

export interface ChangeEntry {
  seq: number;
  database: string;
  table: string;
  op: 'put' | 'delete' | 'message';
  id: Key;
  version: number;
  origin: number;
  /** The record for `put`, the published message for `message`. */
  value?: unknown;
}

export interface SchemaChanges {
  createdTables: string[];
  addedAttributes: string[];
  indexesBuilding: string[];
  retired: string[];
}

export interface StorageOptions {
  dataDir: string;
  nodeId?: number;
  now?: () => number;
  /** Where failures of background work (index builds, commit listeners) are reported; default console. */
  logger?: Logger;
  /**
   * Harper's `storage.writeAsync`: a commit resolves once LMDB has written it, without waiting for
   * the disk to sync; the data directory is synced every `flushIntervalMs` instead. A process crash
   * loses nothing; a power cut can lose the writes of the last interval.
   */
  writeAsync?: boolean;
  /** How often a `writeAsync` storage syncs to disk, ms (default 1000). */
  flushIntervalMs?: number;
}

export interface ScanOptions {
  /** Inclusive lower bound, whatever the direction. */
  start?: Key;
  /** Exclusive upper bound, whatever the direction. */
  end?: Key;
  limit?: number;
  reverse?: boolean;
}

export type IndexStatus = 'ready' | 'building' | 'absent';

/** Reads of one ready secondary index: ids by value or range, and the counts a planner estimates from. */
export interface TableIndex {
  readonly attribute: string;
  /** Keys are numbers (numeric and Date attributes), so ranges and order can be read from the index. */
  readonly rangeable: boolean;
  /** An array attribute: an id is listed once under each distinct element. */
  readonly list: boolean;
  ids(value: unknown): Iterable<Key>;
  /** The entries under `value` are exactly its matches (not so for strings truncated in the index). */
  exact(value: unknown): boolean;
  count(value: unknown): number;
  /** Ids in index order (nulls excluded); only for `rangeable` indexes. */
  range(range: IndexRange, descending?: boolean): Iterable<Key>;
  countRange(range: IndexRange): number;
  estimateRange(range: IndexRange): number;
  /** Index entries in all: one per record, or per distinct element of an array. */
  entries(): number;
}

/** What a query reads of a table: a stored table, or a transaction's view of one with its pending writes. */
export interface ReadableTable {
  readonly name: string;
  readonly def: TableDef;
  coerceKey(raw: string): Key;
  get(id: Key): RecordEntry | undefined;
  scan(options?: ScanOptions): Iterable<RecordEntry>;
  indexStatus(attribute: string): IndexStatus;
  /** A ready index; 503 while it is building, 400 when the attribute has none. */
  index(attribute: string): TableIndex;
  /** Another table of the same storage, by type name: the target of a relationship. */
  relatedTable(name: string): ReadableTable | undefined;
  count(): number;
}

/** Per-write options: when the record expires (ms since the epoch), overriding the table's `expiration`. */
export interface WriteOptions {
  expiresAt?: number;
}

export interface StoredTable extends ReadableTable {
  put(id: Key, record: unknown, options?: WriteOptions): Promise<RecordEntry>;
  patch(id: Key, partial: unknown, options?: WriteOptions): Promise<RecordEntry | undefined>;
  create(record: unknown): Promise<RecordEntry>;
  delete(id: Key): Promise<boolean>;
  byIndex(attribute: string, value: unknown): Iterable<Key>;
  /**
   * Ids whose indexed number (or Date, as epoch ms) lies in a range, in index order. Only for
   * numeric and Date attributes: string keys may be truncated in the index, so string ranges
   * cannot be answered exactly. An id appears once per matching array element.
   */
  byIndexRange(attribute: string, range: IndexRange): Iterable<Key>;
  whenIndexesReady(): Promise<void>;
  /**
   * Sends `message` to the subscribers of record `id` (and of the table) without storing a record:
   * it is a change-log entry, so it replays and replicates like a write.
   */
  publish(id: Key, message: unknown): Promise<ChangeEntry>;
  relatedTable(name: string): StoredTable | undefined;
  /** When the record expires (ms since the epoch; the invalidation's time once invalidated); undefined if it never does. */
  expiresAt(id: Key): number | undefined;
  /** Marks a record stale without changing it; false when there is no such record. */
  invalidate(id: Key): Promise<boolean>;
  /** Removes up to `limit` records that expired before `before` (no change-log entries); how many. */
  evictExpired(before: number, limit: number): Promise<number>;
}
