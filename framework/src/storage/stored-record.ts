import type { Database } from 'lmdb';
import type { Key } from './types.js';
import type { Value } from './write-op.js';

/**
 * How a record is stored in its table's records DBI (its version is the lmdb-js entry version):
 * the value itself when this node wrote its base, or `[origin, value]` when another node did.
 * A peer's plain write then needs no merge-state entry to keep its origin: that entry was one more
 * put per replicated record. A value is always an object, so an array is always the second form.
 */
export type StoredRecord = Value | RemoteRecord;

type RemoteRecord = [origin: number, value: Value];

export type RecordsDb = Database<StoredRecord, Key>;

/** A stored record as the storage layer reads it. */
export interface RecordRow {
  value: Value;
  version: number;
  /** The node whose write is the record's base (this node's id for an unwrapped value). */
  origin: number;
}

export function storedRecord(value: Value, origin: number, nodeId: number): StoredRecord {
  return origin === nodeId ? value : [origin, value];
}

export function valueOf(stored: StoredRecord): Value {
  return Array.isArray(stored) ? stored[1] : stored;
}

export function rowOf(stored: StoredRecord, version: number | undefined, nodeId: number): RecordRow {
  return Array.isArray(stored) ? { value: stored[1], version: version ?? 0, origin: stored[0] } : { value: stored, version: version ?? 0, origin: nodeId };
}

export function readRecord(records: RecordsDb, id: Key, nodeId: number): RecordRow | undefined {
  const entry = records.getEntry(id);
  return entry === undefined ? undefined : rowOf(entry.value, entry.version, nodeId);
}
